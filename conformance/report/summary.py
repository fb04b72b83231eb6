"""summary.json: the machine-readable verdict a CI gate reads.

Its shape is versioned (`schema_version`, see CHANGELOG.md) and published as a JSON Schema,
`summary.schema.json` next to this module: a new key is a minor version, a changed or removed one
a major version. `faxplus-conformance replay` reads it back.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import conformance
from conformance.contract import CONTRACT
from conformance.judge import Verdict
from conformance.send._tls import tls_warnings as run_warnings
from conformance.target import redact_url

if TYPE_CHECKING:
    from conformance.suite._session import Session

EXIT_CODES = {Verdict.PASS: 0, Verdict.WARN: 0, Verdict.FAIL: 1}
SCHEMA_VERSION = "1.0"
SCHEMA_PATH = Path(__file__).with_name("summary.schema.json")


def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def with_path(reproduction: dict[str, Any], base_url: str | None) -> dict[str, Any]:
    """The reproduction plus `path`: its URL after the base URL (`/hooks?…`), what replay re-sends
    to any other base URL. None when there was no exchange (spec lint) or the URL is elsewhere."""
    url, base = reproduction.get("url") or "", (base_url or "").rstrip("/")
    path = url[len(base) :] if base and url.startswith(base + "/") else None
    return {**reproduction, "path": path}


def replay_command(run: Session) -> str:
    t = run.target
    parts = ["faxplus-conformance run", f"--tier {t.tier}"]
    if t.tier == "nightly":
        parts.append(f"--seed {run.seed}")
    if CONTRACT.source:
        parts.append(f"--spec {CONTRACT.source}")
    if run.mock is None:  # the embedded mock is gone after the run: a replay starts its own
        parts.append(f"--base-url {redact_url(t.base_url or '')}")
        parts.append('--token "$FAXPLUS_TOKEN"')
        if t.client_id:
            parts.append('--client-id "$FAXPLUS_CLIENT_ID"')
    if getattr(run, "reference", None) is not None:
        parts[0] = "faxplus-conformance diff"
        parts += [f"--reference-url {redact_url(url)}" for url in run.reference.urls]
        parts.append('--reference-token "$FAXPLUS_REFERENCE_TOKEN"')
    return " ".join(parts)


def build(run: Session) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, **_fields(run)}


def _fields(run: Session) -> dict[str, Any]:
    ledger = run.ledger
    findings = ledger.ranked()
    counts = ledger.counts()
    import hypothesis
    import schemathesis

    reference = getattr(run, "reference", None)  # a diff run
    diverged = reference is not None and reference.failing
    return {
        "verdict": str(ledger.verdict),
        "exit_code": max(EXIT_CODES[ledger.verdict], 1 if diverged else 0),
        "contract": {
            "title": CONTRACT.title,
            "version": CONTRACT.version,
            "operation": "POST /hooks",
            "spec": CONTRACT.source,  # the --spec file, or None for the vendored contract
        },
        # Invalid families this contract makes moot (its version lacks the rule they break).
        "skipped_families": dict(getattr(run, "skipped", {})),
        "target": {
            "base_url": "embedded reference mock" if run.mock is not None else redact_url(run.target.base_url or ""),
            "embedded": run.mock is not None,
        },
        # Run-wide warnings about how the run was made (e.g. --insecure): they weaken its evidence.
        "warnings": run_warnings(run.target),
        "tier": run.target.tier,
        "seed": run.seed,
        "replay": replay_command(run),
        "requests": run.sender.sent,
        "duration_s": round(time.monotonic() - run.started, 3),
        "counts": {**counts, "not_sent": sum(ledger.not_sent.values())},
        "families": ledger.families(),
        "checks": ledger.checks(),
        # One entry per root cause (check + cause across families), smallest reproduction first.
        "groups": [_replayable(g.as_dict(), run.target.base_url) for g in ledger.groups()],
        "findings": [_replayable(f.as_dict(), run.target.base_url) for f in findings],
        "not_sent": dict(ledger.not_sent),
        "cleanup": run.cleanup.as_dict() if run.cleanup else None,
        "baseline": run.baseline.as_dict() if run.target.baseline and not run.target.update_baseline else None,
        "stopped": ledger.stopped,
        # A diff run: where candidate and reference part ways although both conform (None otherwise).
        "divergences": reference.as_dict() if reference is not None else None,
        "interrupted": run.interrupted,  # by a signal: the counts cover what was measured until then
        "throttled": {"answers_429": run.sender.throttled, "waited_s": round(run.sender.waited, 3)},
        "versions": {
            "faxplus-conformance": conformance.__version__,
            "python": platform.python_version(),
            "schemathesis": schemathesis.__version__ if hasattr(schemathesis, "__version__") else "",
            "hypothesis": hypothesis.__version__,
        },
    }


def write(run: Session, path: Path) -> dict[str, Any]:
    data = run.redactor.any(build(run))  # last line of defence: no secret leaves in a summary
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data


def _replayable(entry: dict[str, Any], base_url: str | None) -> dict[str, Any]:
    return {**entry, "reproduction": with_path(entry["reproduction"], base_url)}
