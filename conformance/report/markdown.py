"""summary.md: the verdict, a table per family and the top findings, for a CI job summary or PR."""

from __future__ import annotations

from typing import Any

ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌"}


def family_table(families: dict[str, dict[str, int]]) -> list[str]:
    """Markdown rows per family, fails first, then warns, then by name."""
    lines = ["| family | cases | pass | warn | fail |", "|---|---:|---:|---:|---:|"]
    for name, row in sorted(families.items(), key=lambda kv: (-kv[1]["fail"], -kv[1]["warn"], kv[0])):
        lines.append(f"| {name} | {row['cases']} | {row['pass']} | {row['warn']} | {row['fail']} |")
    return lines


def render(data: dict[str, Any], top: int = 10) -> str:
    verdict = data["verdict"]
    seed = "derandomized" if data["seed"] is None else data["seed"]
    lines = [
        f"# {ICON[verdict]} Fax.Plus `POST /hooks` conformance: **{verdict}** (exit {data['exit_code']})",
        "",
        *[item for gap in data.get("incomplete", []) for item in (f"> **Incomplete:** {gap}", "")],
        *([f"> **{partial.capitalize()}**", ""] if (partial := selection_line(data.get("selection"))) else []),
        f"Target: {data['target']['base_url']} · tier `{data['tier']}` · seed `{seed}` · "
        f"{data['counts']['cases']} cases, {data['requests']} requests, {data['duration_s']} s",
        "",
        *([cleanup_line(data["cleanup"]), ""] if data.get("cleanup") else []),
        *[item for line in data.get("warnings", []) for item in (f"> ⚠️ {line}", "")],
    ]
    fails = [g for g in data["groups"] if g["verdict"] == "fail"]
    warns = [g for g in data["groups"] if g["verdict"] == "warn"]
    if fails:
        lines += ["", f"## Contract violations ({_count(len(fails), 'root cause')})", ""]
        by_id = {g["id"]: g for g in data["groups"]}
        for m in [m for m in data.get("mechanisms", []) if m["verdict"] == "fail"]:
            lines.append(f"- **{m['title']}** (`{m['id']}`) — {_count(len(m['groups']), 'root cause')}:")
            for g in [by_id[i] for i in m["groups"] if i in by_id][:top]:
                lines += ["  " + line for line in _group_lines(g)]
        for g in [g for g in fails if not g.get("mechanism")][:top]:
            lines += _group_lines(g)
    if warns:
        lines += ["", f"## Warnings ({len(warns)} causes)", ""]
        lines += [
            f"- {g['check']}: {g['title']} "
            f"({g['category']}; {_count(len(g['families']), 'family')}, e.g. `{g['example']}`)"
            for g in warns[:top]
        ]
    notes = data.get("contract_notes") or []
    if notes:
        lines += ["", f"## Contract notes ({len(notes)}: about the contract, not the server's verdict)", ""]
        lines += [f"- `{n['check']}`: {n['message']}" for n in notes]
    if data.get("skipped_families"):
        lines += ["", "## Families this contract makes moot", ""]
        lines += [f"- {reason}" for reason in data["skipped_families"].values()]
    from .divergence import markdown_lines

    lines += markdown_lines(data.get("divergences"))
    # The families last, folded: a reader wants the causes first; the all-pass rows only on request.
    bent = {name: row for name, row in data["families"].items() if row["warn"] or row["fail"]}
    if bent:
        lines += ["", "## Families with findings", "", *family_table(bent)]
    lines += ["", f"<details><summary>Every family ({len(data['families'])})</summary>", ""]
    lines += [*family_table(data["families"]), "", "</details>"]
    lines += ["", f"Replay the run: `{data['replay']}`", ""]
    return "\n".join(lines)


def _group_lines(g: dict[str, Any]) -> list[str]:
    families = ", ".join(g["families"][:5]) + (" …" if len(g["families"]) > 5 else "")
    return [
        f"- **{g['check']}: {g['title']}** (`{g['id']}`;{_rule(g)} {g['category']}, {g['severity']}) — "
        f"{_count(g['occurrences'], 'case')} in {_count(len(g['families']), 'family')}: {families}",
        f"  e.g. `{g['example']}`: {g['message']}",
        "  ```sh",
        f"  {g['reproduction']['curl']}",
        "  ```",
    ]


def _rule(group: dict[str, Any]) -> str:
    """` rule `numbers/*:pattern`;` for a group that concerns a rule of the contract, else nothing."""
    return f" rule `{group['rule']}`;" if group.get("rule") else ""


def selection_line(selection: dict[str, Any] | None) -> str | None:
    """What a `--select` run chose, in one line (None: every test ran). The same words in every report.

    >>> selection_line({"expression": "numbers", "tests": 12, "of": 130})
    "partial run: --select 'numbers' ran 12 of the suite's 130 tests; the verdict covers only them"
    >>> selection_line({"expression": "pytest node ids", "by": "pytest", "tests": 1, "of": None})
    "partial run: pytest node ids ran 1 of the suite's tests; the verdict covers only them"
    >>> selection_line({"expression": "numbers", "tests": None, "of": None})  # interrupted before collecting
    "partial run: --select 'numbers' ran only the suite's tests it matches; the verdict covers only them"
    """
    if not selection:
        return None
    if selection["of"] is not None:
        ran = f"ran {selection['tests']} of the suite's {selection['of']} tests"
    elif selection["tests"] is not None:
        ran = f"ran {selection['tests']} of the suite's tests"
    else:
        ran = "ran only the suite's tests it matches"
    how = selection["expression"] if selection.get("by") == "pytest" else f"--select {selection['expression']!r}"
    return f"partial run: {how} {ran}; the verdict covers only them"


def cleanup_line(cleanup: dict[str, Any]) -> str:
    """What cleanup did, in one line: deleted, left behind (and why), checked or not."""
    left = cleanup.get("undeleted", [])
    checked = "checked with GET /hooks" if cleanup.get("verified") else "not checked (GET /hooks did not answer)"
    line = f"Cleanup: {_count(cleanup['deleted'], 'webhook')} deleted, {checked}"
    if left:
        line += f"; **{len(left)} left behind**, remove them by hand: {', '.join(f'`{i}`' for i in left[:10])}"
        line += " …" if len(left) > 10 else ""
    if cleanup.get("unaddressable"):
        line += f" ({len(cleanup['unaddressable'])} with ids the server issued that cannot be addressed safely)"
    if cleanup.get("error"):
        line += f"; {cleanup['error']}"
    earlier = sum(cleanup.get("earlier_runs", {}).values())
    if earlier:
        line += f"; {earlier} of earlier runs still registered (`faxplus-conformance cleanup` removes them)"
    return line


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"
