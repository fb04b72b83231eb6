"""RunResult: the one frozen outcome of a run, decided once; every report and the exit code read it.

The exit code is decided here and nowhere else:

- 0: conformant (warns allowed), 1: contract violations (or divergences a diff must not have),
  2: usage or infrastructure: the suite could not run, or the run is incomplete and found nothing.
- An incomplete run that already found violations exits 1: what it measured is enough to fail a
  gate. It still says `complete: false` and why, so nobody reads its counts as the whole story.

>>> decide(Verdict.WARN, gaps=("interrupted",))
2
>>> decide(Verdict.FAIL, gaps=("interrupted",))
1
>>> decide(Verdict.WARN)
0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from conformance.judge import Finding, Group, Verdict
from conformance.send import Cleanup

__all__ = ["EXIT_OK", "EXIT_USAGE", "EXIT_VIOLATIONS", "RunResult", "decide"]

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2


def decide(
    verdict: Verdict,
    *,
    diverged: bool = False,
    gaps: tuple[str, ...] = (),
    suite_ran: bool = True,
    baseline_written: bool = False,
) -> int:
    """The process's exit code for a run with this `verdict` and these `gaps` (why it is incomplete).
    `baseline_written`: `--update-baseline` recorded the fails as accepted, so they fail nothing."""
    if not suite_ran:
        return EXIT_USAGE
    code = EXIT_VIOLATIONS if verdict is Verdict.FAIL or diverged else EXIT_OK
    if baseline_written:
        code = EXIT_OK
    return EXIT_USAGE if gaps and code == EXIT_OK else code


@dataclass(frozen=True)
class RunResult:
    """What a run found, decided once. `document` is summary.json's content (secrets already masked);
    the typed fields are the ones a caller decides on."""

    verdict: Verdict
    exit_code: int
    gaps: tuple[str, ...]  # why the run is incomplete, one line each (empty: complete)
    groups: tuple[Group, ...]  # one per root cause, fails first
    findings: tuple[Finding, ...]
    cleanup: Cleanup | None
    output_dir: Path
    timings: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))  # phase → seconds
    document: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def complete(self) -> bool:
        return not self.gaps

    def as_dict(self) -> dict[str, Any]:
        """summary.json's content: a fresh copy, safe to change."""
        thawed: dict[str, Any] = _thaw(self.document)
        return thawed


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_thaw(v) for v in value]
    return value


def freeze(value: Any) -> Any:
    """A JSON-like value made read-only (mappings and lists all the way down)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value
