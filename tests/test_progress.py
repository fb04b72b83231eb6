"""Progress (issue 22, item 1): a live line on a terminal, a plain line every 10 s or 10 % in CI."""

from __future__ import annotations

import io

from conformance.engine import CaseJudged, Phase, PhaseFinished, PhaseStarted
from conformance.report.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def judged() -> CaseJudged:
    return CaseJudged(result=None)  # type: ignore[arg-type]  # the handler only counts


def plain_cases(cases: int, every: float, expected: int | None = None) -> tuple[io.StringIO, Progress, Clock]:
    """A CI (plain) Progress through `cases` judged cases, `every` seconds apart."""
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, live=False, clock=clock)
    progress(PhaseStarted(Phase.CASES, expected=expected))
    for _ in range(cases):
        clock.now += every
        progress(judged())
    return out, progress, clock


def test_ci_gets_a_plain_line_every_tenth_of_the_cases_with_an_eta() -> None:
    out, progress, _ = plain_cases(25, 0.1, expected=100)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # at 10 and at 20 of 100
    assert lines[0] == "progress: cases 10/100 (10%) · 10 cases/s · 1.0 s · ETA 9.0 s"
    progress(PhaseFinished(Phase.CASES, 2.5))
    assert out.getvalue().splitlines()[-1] == "progress: cases done in 2.5 s (25 cases)"


def test_a_total_the_run_outgrows_is_dropped_not_shown_past_100_percent() -> None:
    out, progress, clock = plain_cases(12, 1.0, expected=10)
    assert progress.status(clock.now) == "cases 12 · 1 cases/s · 12.0 s"
    assert "/10" not in out.getvalue().splitlines()[-1]


def test_ci_without_a_known_total_gets_a_line_every_ten_seconds() -> None:
    out, _, _ = plain_cases(30, 1.0)
    assert out.getvalue().splitlines() == [
        "progress: cases 10 · 1 cases/s · 10.0 s",
        "progress: cases 20 · 1 cases/s · 20.0 s",
        "progress: cases 30 · 1 cases/s · 30.0 s",
    ]


def test_a_terminal_gets_one_line_redrawn_at_most_ten_times_a_second_and_cleared_at_the_end() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, live=True, clock=clock)
    progress(PhaseStarted(Phase.CASES, expected=50))
    for _ in range(50):
        clock.now += 0.02
        progress(judged())
    draws = out.getvalue().count("\r\x1b[2K")
    assert 1 + 50 * 0.02 / 0.1 - 1 <= draws <= 1 + 50 * 0.02 / 0.1 + 1
    assert "\n" not in out.getvalue()  # one line, redrawn in place
    progress(PhaseFinished(Phase.CASES, 1.0))  # the end of the phase is always drawn
    assert out.getvalue().rsplit("\r\x1b[2K", 1)[-1].startswith("cases 50/50 (100%)")
    progress(PhaseStarted(Phase.REPORT))
    progress(PhaseFinished(Phase.REPORT, 0.1))
    assert out.getvalue().endswith("\r\x1b[2K")  # the line is gone before the summary prints


def test_a_signal_gets_a_line_at_once_and_the_second_says_it_cuts_short() -> None:
    import signal

    from conformance.engine import Interrupted

    for live in (False, True):
        out = io.StringIO()
        progress = Progress(out, live=live, clock=Clock())
        progress(PhaseStarted(Phase.CASES, expected=50))
        progress(Interrupted(signal.SIGINT, second=False))
        progress(Interrupted(signal.SIGTERM, second=True))
        lines = out.getvalue().replace("\r\x1b[2K", "\n").split("\n")
        assert (
            "progress: SIGINT: stopping; what is in flight ends within its --timeout, then cleanup runs "
            "(a second signal cuts both short)" in lines
        ), lines
        assert any(line.startswith("progress: SIGTERM again: cutting short") for line in lines), lines


def test_after_a_signal_each_phase_that_starts_gets_a_line() -> None:
    import signal

    from conformance.engine import Interrupted

    out = io.StringIO()
    progress = Progress(out, live=False, clock=Clock())
    progress(PhaseStarted(Phase.CASES))
    progress(Interrupted(signal.SIGTERM, second=False))
    progress(PhaseStarted(Phase.CLEANUP))
    progress(PhaseStarted(Phase.REPORT))
    assert out.getvalue().splitlines()[-2:] == ["progress: cleanup …", "progress: report …"]
