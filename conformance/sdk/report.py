"""Reports of an SDK gate run: summary.json, summary.md, allure-results and the console lines.

summary.json has the suite's top-level keys (verdict, exit_code, contract, target, tier, seed,
replay, requests, duration_s, counts, families, findings[...]) and each finding is a judge
Finding (family, check, verdict, category, severity, message, reproduction), so CI jobs read both
the same way. The reproduction's `sdk_call` replays a finding with the SDK itself.
"""

from __future__ import annotations

import json
import platform
import re
import time
import uuid
from importlib.metadata import version
from pathlib import Path
from typing import Any

from conformance.judge import Verdict
from conformance.report.markdown import ICON, family_table
from conformance.report.summary import EXIT_CODES, SCHEMA_VERSION

from .gate import REPLAY_ORIGIN, REPLAY_TOKEN, GateRun

FENCES = {"python": "python", "node": "js"}  # the code fence of an `sdk_call` snippet, by the SDK's language
_LOOPBACK = re.compile(r"http://127\.0\.0\.1:\d+")


def _replayable(run: GateRun, data: Any) -> Any:
    """Mock ports and the gate's throwaway token become what `faxplus-conformance mock --port 8080` uses."""
    text = json.dumps(data, ensure_ascii=False)
    text = _LOOPBACK.sub(REPLAY_ORIGIN, text.replace(run.token, REPLAY_TOKEN))
    return json.loads(text)


def replay_command(run: GateRun) -> str:
    parts = ["faxplus-conformance sdk", f"--tier {run.tier}"]
    if run.tier == "nightly" and run.seed is not None:
        parts.append(f"--seed {run.seed}")
    if run.sdk.get("gate_option"):
        parts.append(run.sdk["gate_option"])  # the option that chose this SDK, shell-quoted
    return " ".join(parts)


def build(run: GateRun) -> dict[str, Any]:
    ledger = run.ledger
    findings = ledger.ranked()
    counts = ledger.counts()
    data = {
        "schema_version": SCHEMA_VERSION,
        "verdict": str(ledger.verdict),
        "exit_code": EXIT_CODES[ledger.verdict],
        "contract": {
            "title": run.contract.title,
            "version": run.contract.version,
            "operation": "POST /hooks",
            "spec": run.contract.source,
        },
        "target": {"base_url": "embedded reference mock", "embedded": True},
        "sdk": {
            **{k: v for k, v in run.sdk.items() if k != "gate_option"},
            "client_validation": run.client_validation,  # under `sdk`: a trait of the SDK, not a verdict
        },
        "tier": run.tier,
        "seed": run.seed,
        "replay": replay_command(run),
        "requests": run.requests,
        "duration_s": round(time.monotonic() - run.started, 3),
        "counts": counts,
        "families": ledger.families(),
        "findings": [f.as_dict() for f in findings],
        "server_faults": run.server_faults,
        "not_run": run.not_run,
        "driver_restarts": run.driver.restarts,
        "versions": {"faxplus-conformance": version("faxplus-conformance"), "python": platform.python_version()},
    }
    replayable: dict[str, Any] = _replayable(run, data)
    return replayable


def _title(data: dict[str, Any]) -> str:
    sdk = data["sdk"]
    return f"{sdk.get('name') or 'SDK'} {sdk.get('version') or ''}".strip()


def markdown(data: dict[str, Any], top: int = 15) -> str:
    verdict = data["verdict"]
    fence = FENCES.get(data["sdk"].get("language") or "", "")
    lines = [
        f"# {ICON[verdict]} SDK release gate, {_title(data)} · Fax.Plus `POST /hooks`: **{verdict}**",
        "",
        f"Driver: `{data['sdk'].get('driver', '')}` · tier `{data['tier']}` · seed `{data['seed']}` · "
        f"{data['counts']['cases']} cases, {data['requests']} requests, {data['duration_s']} s",
        "",
        *family_table(data["families"]),
    ]
    fails = [f for f in data["findings"] if f["verdict"] == "fail"]
    warns = [f for f in data["findings"] if f["verdict"] == "warn"]
    if fails:
        lines += ["", f"## Contract gaps that block the release ({len(fails)})", ""]
        for f in fails[:top]:
            repro = f["reproduction"]
            lines.append(f"- **{f['family']} :: {f['check']}** ({f['category']}): {f['message']}")
            if repro.get("sdk_call"):
                lines += [f"  ```{fence}", *(f"  {line}" for line in repro["sdk_call"].splitlines()), "  ```"]
            else:
                lines += ["  ```sh", f"  {repro.get('driver_replay', '')}", "  ```"]
    if warns:
        lines += ["", f"## Warnings ({len(warns)})", ""]
        lines += [f"- {f['family']} :: {f['check']}: {f['message']}" for f in warns[:top]]
    if data["server_faults"]:
        lines += ["", "## Against a server that breaks the contract (informational)", ""]
        lines += ["| fault | verdict | what the SDK did |", "|---|---|---|"]
        for row in data["server_faults"]:
            lines.append(f"| {row['fault']} | {row['verdict']} | {row['behaviour'].replace('|', '/')} |")
    if data["sdk"].get("client_validation"):
        lines += ["", "## Rules checked before sending (informational: the server rejects the rest)", ""]
        lines += ["| invalid Webhook | checked client-side | what the SDK did |", "|---|---|---|"]
        for row in data["sdk"]["client_validation"]:
            did = row["behaviour"].replace("|", "/").replace("\n", " ")[:200]
            lines.append(f"| {row['case']} | {'yes' if row['checked_client_side'] else 'no'} | {did} |")
    if data["not_run"]:
        lines += ["", "Not run: " + "; ".join(data["not_run"])]
    lines += ["", f"Replay the gate: `{data['replay']}`", ""]
    return "\n".join(lines)


def console(data: dict[str, Any], limit: int = 12) -> str:
    rows = data["families"]
    width = max([len(name) for name in rows] + [6])
    lines = [f"{'family':<{width}}  {'cases':>5}  {'pass':>5}  {'warn':>5}  {'fail':>5}"]
    for name, row in sorted(rows.items(), key=lambda kv: (-kv[1]["fail"], -kv[1]["warn"], kv[0])):
        lines.append(f"{name:<{width}}  {row['cases']:>5}  {row['pass']:>5}  {row['warn']:>5}  {row['fail']:>5}")
    fails = [f for f in data["findings"] if f["verdict"] == "fail"]
    warns = [f for f in data["findings"] if f["verdict"] == "warn"]
    if fails:
        lines += ["", f"{len(fails)} contract gap(s) in the SDK:"]
        for f in fails[:limit]:
            lines.append(f"  FAIL [{f['family']} :: {f['check']}] {f['message']}")
        if len(fails) > limit:
            lines.append(f"  … {len(fails) - limit} more in summary.json")
    if warns:
        lines.append(f"{len(warns)} warning(s) (typed-API gaps, behaviour against broken servers): see summary.md")
    lines.append(f"verdict: {data['verdict']}  ({data['counts']['cases']} cases, {data['requests']} requests)")
    return "\n".join(lines)


def _allure(data: dict[str, Any], results: Path) -> None:
    """One Allure result per family (check group), written with allure-python-commons."""
    from allure_commons.logger import AllureFileLogger
    from allure_commons.model2 import Attachment, Label, Parameter, Status, StatusDetails, TestResult

    results.mkdir(parents=True, exist_ok=True)
    for old in results.glob("*-result.json"):
        old.unlink()
    for old in results.glob("*-attachment.json"):
        old.unlink()
    logger = AllureFileLogger(str(results))
    now = int(time.time() * 1000)
    by_family: dict[str, list[dict[str, Any]]] = {name: [] for name in data["families"]}
    for finding in data["findings"]:
        by_family.setdefault(finding["family"], []).append(finding)
    sdk = _title(data)
    for family, findings in by_family.items():
        worst = max((Verdict[f["verdict"].upper()] for f in findings), default=Verdict.PASS)
        row = data["families"].get(family, {"cases": 0})
        labels = [
            Label("epic", "SDK"),
            Label("feature", f"POST /hooks via {sdk}"),
            Label("story", family),
            Label("suite", "sdk-gate"),
            Label("severity", min((f["severity"] for f in findings), key=_SEVERITIES.index, default="normal")),
        ]
        if worst is Verdict.WARN:
            labels.append(Label("tag", "warn"))
        result = TestResult(
            uuid=str(uuid.uuid4()),
            name=f"{family}: {row['cases']} case(s) → {worst}",
            fullName=f"sdk-gate::{family}",
            historyId=f"sdk-gate::{family}",
            testCaseId=f"sdk-gate::{family}",
            status=Status.FAILED if worst is Verdict.FAIL else Status.PASSED,
            start=now,
            stop=now,
            labels=labels,
            parameters=[Parameter("sdk", sdk), Parameter("tier", data["tier"]), Parameter("seed", str(data["seed"]))],
        )
        if findings:
            message = "\n".join(f"{f['verdict'].upper()} {f['check']}: {f['message']}" for f in findings)
            result.statusDetails = StatusDetails(message=message)
            for f in findings:
                name = f"{uuid.uuid4()}-attachment.json"
                logger.report_attached_data(json.dumps(f["reproduction"], indent=2, ensure_ascii=False), name)
                result.attachments.append(Attachment(name=f"reproduction: {f['check']}", source=name, type=JSON_TYPE))
        logger.report_result(result)
    from conformance.report import allure_context

    allure_context.write(
        results,
        base_url=f"embedded reference mock, SDK {sdk}",
        tier=data["tier"],
        seed=data["seed"],
        spec_title=data["contract"]["title"],
        spec_version=data["contract"]["version"],
    )


_SEVERITIES = ["blocker", "critical", "normal", "minor", "trivial"]
JSON_TYPE = "application/json"


def write(run: GateRun) -> dict[str, Any]:
    data = build(run)
    out = run.output_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "summary.md").write_text(markdown(data), encoding="utf-8")
    _allure(data, out / "allure-results")
    return data
