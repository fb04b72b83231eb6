"""How a diff run's divergences are reported: console lines, a side-by-side table for summary.md,
and one Allure result per divergence group (with its own category, like the findings' root causes).

Everything here reads the redacted `summary.json` data or redacted Reproductions: no secret passes.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.engine import RunResult

LIMIT = 12


def console_lines(data: Mapping[str, Any] | None) -> list[str]:
    """One line per divergence cause, with a replay line for each target (`data`: the document's
    `divergences`, None for a run that is no diff)."""
    if not data:
        return []
    groups = data["groups"]
    head = f"diff: {data['compared']} cases compared, {data['remaining']} divergence cause(s)"
    if data["noise"]:
        head += f", noise ignored in: {', '.join(data['noise'])}"
    lines = ["", head]
    for g in groups[:LIMIT]:
        mark = "accepted [baseline]" if g["accepted"] else "DIVERGES"
        families = ", ".join(g["families"][:3])
        lines.append(f"  {mark} [{g['id']}] {g['cause']} ({g['kind']}) — {g['occurrences']} case(s) in {families}")
        lines.append(f"       candidate: {g['candidate']['curl']}")
        lines.append(f"       reference: {g['reference']['curl']}")
    if len(groups) > LIMIT:
        lines.append(f"  … {len(groups) - LIMIT} more in summary.json")
    if data["reference_verdict"] == "fail":
        bad = data["reference_findings"]
        lines.append(
            f"the reference itself broke the contract ({len(bad)} root cause(s); its pairs were not compared, "
            "and they do not fail the candidate):"
        )
        lines += [f"  FAIL [{g['check']}] {g['title']}" for g in bad[:LIMIT]]
    return lines


def _cell(rep: dict[str, Any]) -> str:
    body = (rep.get("response_body") or "").replace("\n", " ").replace("|", "\\|")
    body = body if len(body) <= 80 else body[:77] + "…"
    media = rep.get("response_headers", {}).get("content-type", "")
    return f"`{rep.get('status')}` {media} `{body}`" if body else f"`{rep.get('status')}` {media}"


def markdown_lines(data: dict[str, Any] | None) -> list[str]:
    """The side-by-side table: one row per cause, the candidate's answer beside the reference's."""
    if not data:
        return []
    groups = data["groups"]
    lines = [
        "",
        f"## Divergences from the reference ({data['remaining']} remaining, {data['accepted']} accepted)",
        "",
        f"{data['compared']} cases compared; noise ignored in: {', '.join(data['noise']) or 'nothing'}.",
    ]
    if groups:
        lines += ["", "| cause | request kind | cases | candidate | reference |", "|---|---|---:|---|---|"]
        for g in groups:
            cause = g["cause"].replace("|", "\\|") + (" [baseline]" if g["accepted"] else "")
            lines.append(
                f"| {cause} | {g['kind']} | {g['occurrences']} | {_cell(g['candidate'])} | {_cell(g['reference'])} |"
            )
        for g in groups[:LIMIT]:
            lines += [
                "",
                f"`{g['id']}` {g['cause']} ({g['kind']})",
                "```sh",
                f"{g['candidate']['curl']}   # candidate",
                f"{g['reference']['curl']}   # reference",
                "```",
            ]
    if data.get("reference_findings"):
        lines += ["", "The reference itself broke the contract:", ""]
        lines += [f"- {g['check']}: {g['title']}" for g in data["reference_findings"]]
    return lines


def _exchange_text(rep: dict[str, Any]) -> str:
    request = f"{rep['method']} {rep['url']}\n" + "".join(f"{k}: {v}\n" for k, v in rep["request_headers"].items())
    request += "\n" + (rep["request_body"] if rep["request_body"] is not None else "(no body)")
    if rep.get("error"):
        response = f"(no response) {rep['error']}"
    else:
        response = f"HTTP {rep['status']}\n" + "".join(f"{k}: {v}\n" for k, v in rep["response_headers"].items())
        response += "\n" + rep["response_body"]
    return f"{request}\n\n--- response ---\n{response}\n\n--- replay ---\n{rep['curl']}\n"


def write_allure(result: RunResult) -> int:
    """One Allure result per divergence group, candidate and reference side by side as attachments."""
    data = result.document.get("divergences")
    if not data:
        return 0
    results = result.output_dir / "allure-results"
    results.mkdir(parents=True, exist_ok=True)
    now = int(time.time() * 1000)
    categories: list[dict[str, Any]] = []
    for g in data["groups"]:
        attachments = []
        for side in ("candidate", "reference"):
            source = f"{uuid.uuid4()}-attachment.txt"
            (results / source).write_text(_exchange_text(g[side]), encoding="utf-8")
            attachments.append({"name": f"{side} exchange", "source": source, "type": "text/plain"})
        fields = "\n".join(
            f"{k}: {v['candidate']} (candidate) vs {v['reference']} (reference)" for k, v in g["fields"].items()
        )
        entry = {
            "uuid": str(uuid.uuid4()),
            "historyId": hashlib.md5(g["id"].encode()).hexdigest(),  # noqa: S324 - an id, not security
            "name": f"divergence: {g['cause']} ({g['kind']})",
            "fullName": f"conformance.diff#{g['id']}",
            "status": "skipped" if g["accepted"] else "failed",
            "statusDetails": {
                "message": f"{g['cause']} ({g['kind']}) in {g['occurrences']} case(s) (root cause {g['id']})",
                "trace": f"{fields}\n\ncandidate: {g['candidate']['curl']}\nreference: {g['reference']['curl']}",
            },
            "stage": "finished",
            "start": now,
            "stop": now,
            "attachments": attachments,
            "parameters": [{"name": "families", "value": ", ".join(g["families"])}],
            "labels": [
                {"name": "epic", "value": "API"},
                {"name": "feature", "value": "POST /hooks"},
                {"name": "story", "value": "divergence from the reference"},
                {"name": "suite", "value": "divergences"},
                {"name": "tag", "value": str(g["kind"])},
            ],
        }
        (results / f"{entry['uuid']}-result.json").write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
        categories.append(
            {
                "name": f"divergence: {g['cause']}",
                "description": f"candidate and reference part ways for {g['kind']} requests",
                "matchedStatuses": ["failed"],
                "messageRegex": f"[\\s\\S]*root cause {re.escape(g['id'])}[\\s\\S]*",
            }
        )
    path = results / "categories.json"
    existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    path.write_text(json.dumps(categories + existing, indent=2, ensure_ascii=False), encoding="utf-8")
    return len(data["groups"])
