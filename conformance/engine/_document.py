"""The run's document: what summary.json says, built once from a finished Session.

Its shape is versioned (`SCHEMA_VERSION`, see CHANGELOG.md) and published as a JSON Schema
(conformance/report/summary.schema.json): a new key is a minor version, a changed or removed one a
major version. It carries the exit code and the verdict the process ends with, and says whether
the run is complete.
"""

from __future__ import annotations

import platform
import shlex
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from conformance.judge import Verdict, diagnose
from conformance.send import tls_warnings
from conformance.suite import Session
from conformance.target import redact_url

__all__ = ["SCHEMA_VERSION", "build", "replay_command", "with_path"]

SCHEMA_VERSION = "1.5"


def with_path(reproduction: dict[str, Any], base_url: str | None) -> dict[str, Any]:
    """The reproduction plus `path`: its URL after the base URL (`/hooks?…`), what replay re-sends
    to any other base URL. None when there was no exchange (spec lint) or the URL is elsewhere."""
    url, base = reproduction.get("url") or "", (base_url or "").rstrip("/")
    path = url[len(base) :] if base and url.startswith(base + "/") else None
    if reproduction.get("preceded_by"):
        return {**reproduction, "path": path, "preceded_by": with_path(reproduction["preceded_by"], base_url)}
    return {**reproduction, "path": path}


def replay_command(run: Session) -> str:
    t = run.target
    parts = ["faxplus-conformance run", f"--tier {t.tier}"]
    if t.tier == "nightly":
        parts.append(f"--seed {run.seed}")
    if t.select is not None:
        parts.append(f"--select {shlex.quote(t.select)}")
    if run.contract.source:
        parts.append(f"--spec {run.contract.source}")
    if run.mock is None:  # the embedded mock is gone after the run: a replay starts its own
        parts.append(f"--base-url {redact_url(t.base_url or '')}")
        parts.append('--token "$FAXPLUS_TOKEN"')
        if t.client_id:
            parts.append('--client-id "$FAXPLUS_CLIENT_ID"')
    if run.reference is not None:
        parts[0] = "faxplus-conformance diff"
        parts += [f"--reference-url {redact_url(url)}" for url in run.reference.urls]
        parts.append('--reference-token "$FAXPLUS_REFERENCE_TOKEN"')
    return " ".join(parts)


def build(run: Session, *, exit_code: int, gaps: tuple[str, ...]) -> dict[str, Any]:
    """summary.json's content, secrets masked (the last line of defence: no secret leaves in it)."""
    ledger = run.ledger
    counts = ledger.counts()
    groups = ledger.groups()
    diagnoses = diagnose(groups, ledger.results)
    mechanism_of = {g.id: d.id for d in diagnoses for g in d.groups}
    reference = run.reference  # a diff run
    contract = run.contract
    document = {
        "schema_version": SCHEMA_VERSION,
        "verdict": str(ledger.verdict),
        "exit_code": exit_code,
        "complete": not gaps,
        "incomplete": list(gaps),  # why not, one line each
        # --select (pytest's -k): a partial run by choice; what it chose, and how much of the suite that is.
        "selection": _selection(run),
        "contract": {
            "title": contract.title,
            "version": contract.version,
            "operation": "POST /hooks",
            "spec": contract.source,  # the --spec file, or None for the vendored contract
        },
        # Invalid families this contract makes moot (its version lacks the rule they break).
        "skipped_families": dict(run.skipped),
        "target": {
            "base_url": "embedded reference mock" if run.mock is not None else redact_url(run.target.base_url or ""),
            "embedded": run.mock is not None,
        },
        # Run-wide warnings about how the run was made (e.g. --insecure): they weaken its evidence.
        "warnings": tls_warnings(run.target),
        "tier": run.target.tier,
        "seed": run.seed,
        "replay": replay_command(run),
        "requests": run.sender.sent,
        "duration_s": round(time.monotonic() - run.started, 3),
        "counts": {**counts, "not_sent": sum(ledger.not_sent.values())},
        "families": ledger.families(),
        "checks": ledger.checks(),
        # One line per mechanism (a server behaviour behind several root causes), its groups under it.
        "mechanisms": [d.as_dict() for d in diagnoses],
        # One entry per root cause (check + cause across families), smallest reproduction first.
        "groups": [
            {**_replayable(g.as_dict(), run.target.base_url), "mechanism": mechanism_of.get(g.id)} for g in groups
        ],
        "findings": [_replayable(f.as_dict(), run.target.base_url) for f in ledger.ranked()],
        "not_sent": dict(ledger.not_sent),
        "cleanup": run.cleanup.as_dict() if run.cleanup else None,
        "registered": len(set(ledger.registered)),  # webhooks the run learnt it registered (by id)
        # --max-live: the bound and the most of the run's webhooks that were registered at once.
        "live": {"max": run.live.limit, "peak": run.live.peak} if run.live is not None else None,
        "baseline": run.baseline.as_dict() if run.target.baseline and not run.target.update_baseline else None,
        # The contract's own gaps (spec lint): beside the verdict, not in it (--contract-notes-warn: both).
        "contract_notes": [note.as_dict() for note in ledger.contract_notes],
        "stopped": ledger.stopped,
        # A diff run: where candidate and reference part ways although both conform (None otherwise).
        "divergences": reference.as_dict() if reference is not None else None,
        "interrupted": run.interrupted,  # by a signal: the counts cover what was measured until then
        "throttled": {"answers_429": run.sender.throttled, "waited_s": round(run.sender.waited, 3)},
        "versions": {name: _version(name) for name in ("faxplus-conformance", "schemathesis", "hypothesis")}
        | {"python": platform.python_version()},
    }
    masked: dict[str, Any] = run.redactor.any(document)
    return masked


def _selection(run: Session) -> dict[str, Any] | None:
    if run.target.select is not None:
        selected, collected = run.selected or (None, None)  # None: not collected (an interrupt came first)
        return {"expression": run.target.select, "by": "select", "tests": selected, "of": collected}
    if run.selected is not None and run.narrowed_by is not None:  # plain pytest's -m, --deselect, node ids
        selected, collected = run.selected
        return {"expression": run.narrowed_by, "by": "pytest", "tests": selected, "of": collected}
    return None


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return ""


def _replayable(entry: dict[str, Any], base_url: str | None) -> dict[str, Any]:
    return {**entry, "reproduction": with_path(entry["reproduction"], base_url)}


def verdict_of(document: dict[str, Any]) -> Verdict:
    return Verdict[str(document["verdict"]).upper()]
