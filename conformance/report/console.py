"""The compact console summary: per family cases / pass / warn / fail, then the findings, then what
the run could not do, ending with the verdict and exit code the process ends with.

It reads only the RunResult's document (secrets already masked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .divergence import console_lines
from .markdown import cleanup_line, selection_line

if TYPE_CHECKING:
    from conformance.engine import RunResult


def summary(result: RunResult, limit: int = 12, *, verbose: bool = False, closing: bool = True) -> str:
    """Verdict first, then each root cause with its id and replay line, what was not judged, cleanup,
    the family table (only rows that are not all pass, unless `verbose`), and (`closing`) the closing
    line, which the CLI prints last of all, after the paths of the reports."""
    data = result.document
    fails = [g for g in data["groups"] if g["verdict"] == "fail"]
    warns = [g for g in data["groups"] if g["verdict"] == "warn"]
    lines = [f"{_headline(result, fails, warns)} · exit {result.exit_code}"]
    lines += [f"  {gap}" if gap.startswith("incomplete") else f"  incomplete: {gap}" for gap in data["incomplete"]]
    if partial := selection_line(data.get("selection")):
        lines.append(f"  {partial}")
    if fails:
        entries = _entries(data, "fail")
        lines.append("")
        lines.append(f"{_count(len(fails), 'contract violation')}, one line per mechanism or root cause:")
        for entry in entries[:limit]:
            lines += _fail_lines(entry, data)
        if len(entries) > limit:
            lines.append(f"  … {len(entries) - limit} more in summary.json")
    if warns:
        entries = _entries(data, "warn")
        lines.append(f"{_count(len(warns), 'warning')} (spec gaps, tolerated deviations):")
        for entry in entries[:limit]:
            if "check" not in entry:  # a mechanism
                lines.append(f"  warn {entry['title']} — {_count(len(entry['groups']), 'root cause')}  ({entry['id']})")
            else:
                lines.append(f"  warn [{entry['check']}] {entry['title']} — {_spread(entry)}  ({_ref(entry)})")
        if len(entries) > limit:
            lines.append(f"  … {len(entries) - limit} more in summary.json / summary.md")
    not_sent = data["counts"]["not_sent"]
    if not_sent:
        lines.append(f"not sent: {not_sent} case(s), because {data['stopped'] or 'the run was interrupted'}")
    throttled = data["throttled"]
    if throttled["answers_429"]:
        lines.append(f"rate-limited: waited {throttled['waited_s']:.1f}s over {throttled['answers_429']} answer(s) 429")
    stale = (data.get("baseline") or {}).get("stale", [])
    if stale:
        lines.append(f"baseline entries that no longer occur (remove them): {', '.join(stale)}")
    lines += _cleanup_lines(data.get("cleanup"), limit)
    if data.get("cleanup") is None and not data["target"]["embedded"] and data.get("registered"):
        lines.append(
            f"cleanup: off (--no-cleanup): {_count(data['registered'], 'webhook')} kept registered; "
            "`faxplus-conformance cleanup --base-url URL` removes them"
        )
    skipped = data["skipped_families"]
    if skipped:
        lines.append(f"skipped {len(skipped)} famil{'ies' if len(skipped) != 1 else 'y'} this contract makes moot:")
        lines += [f"  skip {reason}" for reason in skipped.values()]
    lines += _contract_note_lines(data.get("contract_notes") or [], verbose)
    lines += data["warnings"]
    lines += console_lines(data.get("divergences"))
    lines += [""] + _families(data["families"], verbose)
    if closing:
        lines.append(closing_line(result))
    return "\n".join(lines)


def closing_line(result: RunResult) -> str:
    """`fail: 3 root causes · 604 cases · 597 requests · 2.1 s · exit 1`: how every run ends."""
    data = result.document
    fails = [g for g in data["groups"] if g["verdict"] == "fail"]
    warns = [g for g in data["groups"] if g["verdict"] == "warn"]
    complete = "" if result.complete else " · incomplete"
    selection = data.get("selection")
    selected = ""
    if selection:  # `selected 12 of 129 tests`, `selected 3 tests`, or `selected` (not collected yet)
        of = f" of {selection['of']}" if selection["of"] is not None else ""
        selected = f"selected {selection['tests']}{of} tests · " if selection["tests"] is not None else "selected · "
    counts = f"{selected}{data['counts']['cases']} cases · {data['requests']} requests · {data['duration_s']:.1f} s"
    return f"{_headline(result, fails, warns)} · {counts} · exit {result.exit_code}{complete}"


UNDER = 5  # root causes shown under a mechanism; the rest are in summary.json


def _entries(data: Mapping[str, Any], verdict: str) -> list[Mapping[str, Any]]:
    """The lines of one verdict: each mechanism, then each group no mechanism claims."""
    mechanisms = [m for m in data.get("mechanisms", []) if m["verdict"] == verdict]
    alone = [g for g in data["groups"] if g["verdict"] == verdict and not g.get("mechanism")]
    return [*mechanisms, *alone]


def _fail_lines(entry: Mapping[str, Any], data: Mapping[str, Any]) -> list[str]:
    if "check" in entry:  # a root cause of its own
        return [
            f"  FAIL [{entry['check']}] {entry['title']} — {_spread(entry)}  ({_ref(entry)})",
            f"       e.g. [{entry['example']}] {entry['message']}",
            f"       replay: {entry['reproduction']['curl']}",
        ]
    by_id = {g["id"]: g for g in data["groups"]}
    groups = [by_id[i] for i in entry["groups"] if i in by_id]
    lines = [f"  FAIL {entry['title']} — {_count(len(groups), 'root cause')}  ({entry['id']})"]
    for g in groups[:UNDER]:
        lines.append(f"       [{g['check']}] {g['title']} — {_spread(g)}  ({_ref(g)})")
        lines.append(f"         replay: {g['reproduction']['curl']}")
    if len(groups) > UNDER:
        lines.append(f"       … and {_count(len(groups) - UNDER, 'more root cause')} of it in summary.json")
    return lines


def _headline(result: RunResult, fails: list[dict[str, Any]], warns: list[dict[str, Any]]) -> str:
    """`fail: 3 root causes in 2 mechanisms`, `warn: 2 warnings`, `pass`: the verdict in words."""
    if fails:
        mechanisms = [m for m in result.document.get("mechanisms", []) if m["verdict"] == "fail"]
        within = f" in {_count(len(mechanisms), 'mechanism')}" if mechanisms else ""
        return f"{result.verdict}: {_count(len(fails), 'root cause')}{within}"
    if warns:
        return f"{result.verdict}: {_count(len(warns), 'warning')}"
    return str(result.verdict)


def _families(rows: dict[str, dict[str, int]], verbose: bool) -> list[str]:
    """The family table: fails first; only the rows that are not all pass unless `verbose`."""
    shown = {name: row for name, row in rows.items() if verbose or row["warn"] or row["fail"]}
    width = max([len(name) for name in shown] + [6])
    lines = [f"{'family':<{width}}  {'cases':>5}  {'pass':>5}  {'warn':>5}  {'fail':>5}"]
    for name, row in sorted(shown.items(), key=lambda kv: (-kv[1]["fail"], -kv[1]["warn"], kv[0])):
        lines.append(f"{name:<{width}}  {row['cases']:>5}  {row['pass']:>5}  {row['warn']:>5}  {row['fail']:>5}")
    folded = len(rows) - len(shown)
    if folded:
        lines.append(f"… and {_count(folded, 'family')} with every case passed (-v shows them)")
    return lines


def _contract_note_lines(notes: list[dict[str, str]], verbose: bool) -> list[str]:
    """One line: the contract's own gaps are for its authors, not part of the server's verdict."""
    if not notes:
        return []
    checks = ", ".join(dict.fromkeys(n["check"] for n in notes))  # each lint once, in order
    lines = [f"contract notes: {len(notes)} gap(s) of the contract itself, not the server's verdict ({checks})"]
    return lines + ([f"  note [{n['check']}] {n['message']}" for n in notes] if verbose else [])


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


def _cleanup_lines(cleanup: dict[str, Any] | None, limit: int) -> list[str]:
    """What cleanup left behind and why, with the ids to remove by hand; nothing when all is clean."""
    if not cleanup:
        return []
    lines = []
    if cleanup.get("unaddressable"):
        lines.append(
            f"cleanup never requested {len(cleanup['unaddressable'])} webhook(s): the server issued ids that "
            "cannot be addressed safely (cleanup.unaddressable in summary.json)"
        )
    earlier = sum(cleanup.get("earlier_runs", {}).values())
    if earlier:
        lines.append(
            f"{earlier} webhook(s) of {len(cleanup['earlier_runs'])} earlier run(s) are still registered "
            "(a killed run's): `faxplus-conformance cleanup --base-url URL` removes them"
        )
    left = cleanup["undeleted"]
    if left:
        why = next(iter(cleanup["failed"].values()), None) or cleanup.get("error")
        why = why or ("unaddressable ids" if cleanup.get("unaddressable") else "still listed after cleanup")
        more = f" … and {len(left) - limit} more" if len(left) > limit else ""
        lines.append(
            f"cleanup could not delete {len(left)} webhook(s) ({why}); remove them by hand "
            f"(DELETE /hooks/ID, ids under cleanup.undeleted in summary.json): {', '.join(left[:limit])}{more}"
        )
    elif cleanup.get("error") or not cleanup["verified"]:
        lines.append(cleanup_line(cleanup).replace("**", "").replace("`", ""))
    return lines


def _ref(group: Mapping[str, Any]) -> str:
    """The group's id, and the rule it concerns where its title does not already name it:
    `status#1a2b3c4d, rule :json` beside "accepted a not-json request"."""
    rule = group.get("rule")
    return f"{group['id']}, rule {rule}" if rule and rule not in group["title"] else str(group["id"])


def _spread(group: Mapping[str, Any]) -> str:
    families = group["families"]
    named = ", ".join(families[:3]) + (f" and {len(families) - 3} more" if len(families) > 3 else "")
    occurrences = group["occurrences"]
    cases = f"{occurrences} case{'s' if occurrences != 1 else ''}"
    return f"{cases} in {len(families)} famil{'ies' if len(families) != 1 else 'y'} ({named})"
