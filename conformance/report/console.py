"""The compact console summary: per family cases / pass / warn / fail, then the findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.judge import Group, Verdict
from conformance.send._tls import tls_warnings as run_warnings

if TYPE_CHECKING:
    from conformance.suite._session import Session


def summary(run: Session, limit: int = 12) -> str:
    ledger = run.ledger
    rows = ledger.families()
    width = max([len(name) for name in rows] + [6])
    lines = [f"{'family':<{width}}  {'cases':>5}  {'pass':>5}  {'warn':>5}  {'fail':>5}"]
    for name, row in sorted(rows.items(), key=lambda kv: (-kv[1]["fail"], -kv[1]["warn"], kv[0])):
        lines.append(f"{name:<{width}}  {row['cases']:>5}  {row['pass']:>5}  {row['warn']:>5}  {row['fail']:>5}")
    groups = ledger.groups()
    fails = [g for g in groups if g.verdict is Verdict.FAIL]
    warns = [g for g in groups if g.verdict is Verdict.WARN]
    if fails:
        lines.append("")
        lines.append(f"{len(fails)} contract violation(s), one line per root cause:")
        for g in fails[:limit]:
            lines.append(f"  FAIL [{g.check}] {g.title} — {_spread(g)}")
            lines.append(f"       e.g. [{g.example.key}] {g.example.message}")
            lines.append(f"       replay: {g.example.reproduction.curl}")
        if len(fails) > limit:
            lines.append(f"  … {len(fails) - limit} more in summary.json")
    if warns:
        lines.append(f"{len(warns)} warning(s) (spec gaps, tolerated deviations):")
        lines += [f"  warn [{g.check}] {g.title} — {_spread(g)}" for g in warns[:limit]]
        if len(warns) > limit:
            lines.append(f"  … {len(warns) - limit} more in summary.json / summary.md")
    if ledger.not_sent:
        lines.append(f"not sent: {sum(ledger.not_sent.values())} case(s), because {ledger.stopped}")
    if run.sender.throttled:
        sender = run.sender
        lines.append(f"rate-limited: waited {sender.waited:.1f}s over {sender.throttled} answer(s) 429")
    stale = run.baseline.stale() if run.target.baseline and not run.target.update_baseline else []
    if stale:
        lines.append(f"baseline entries that no longer occur (remove them): {', '.join(stale)}")
    if run.cleanup and run.cleanup.unaddressable:
        lines.append(
            f"cleanup never requested {len(run.cleanup.unaddressable)} webhook(s): the server issued ids that "
            "cannot be addressed safely (cleanup.unaddressable in summary.json)"
        )
    if run.cleanup and run.cleanup.undeleted:
        left = run.cleanup.undeleted
        why = next(iter(run.cleanup.failed.values()), None) or run.cleanup.error
        why = why or ("unaddressable ids" if run.cleanup.unaddressable else "still listed after cleanup")
        lines.append(
            f"cleanup could not delete {len(left)} webhook(s) ({why}); remove them by hand "
            f"(DELETE /hooks/ID, ids under cleanup.undeleted in summary.json): {', '.join(left[:limit])}"
            + (f" … and {len(left) - limit} more" if len(left) > limit else "")
        )
    skipped = getattr(run, "skipped", {})
    if skipped:
        lines.append(f"skipped {len(skipped)} famil{'ies' if len(skipped) != 1 else 'y'} this contract makes moot:")
        lines += [f"  skip {reason}" for reason in skipped.values()]
    lines += run_warnings(run.target)
    if getattr(run, "reference", None) is not None:
        from .divergence import console_lines

        lines += console_lines(run.reference, run.redactor.text)
    lines.append(f"verdict: {ledger.verdict}  ({len(ledger.results)} cases, {run.sender.sent} requests)")
    return run.redactor.text("\n".join(lines))


def _spread(group: Group) -> str:
    families = group.families
    named = ", ".join(families[:3]) + (f" and {len(families) - 3} more" if len(families) > 3 else "")
    cases = f"{group.occurrences} case{'s' if group.occurrences != 1 else ''}"
    return f"{cases} in {len(families)} famil{'ies' if len(families) != 1 else 'y'} ({named})"
