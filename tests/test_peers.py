"""Real peers built the ordinary way: the suite's verdicts on servers nobody here designed for it.

Two implementations of `POST /hooks` from the vendored spec, each the way its stack is normally
used (tests/peers/): FastAPI + pydantic written by hand, and connexion 3 serving the spec itself.
Each is installed on first use from its pinned requirements into its own venv under `.peers/`
(gitignored), started with uvicorn on 127.0.0.1:<free port>, and the real CLI is run against it
once per session (`shared_runs`).

What the suite reported was audited by hand (docs/benchmarks.md, "Real peers"). The audit is
pinned as data, per peer:
- `pinned`: findings (family, check) that must be reported, with the verdict the suite gives
  today. A policy change that flips a verdict is a one-line edit there.
- `causes`: the root causes the audit found, each a predicate over a finding (its request and
  response). Every fail and warn must be explained by one of them, and each must explain at
  least one finding: a new finding outside the audit, or an audited cause that vanished, fails.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import CliResult, SharedRuns
from helpers.peer_audit import (
    APPS,
    ENCODED_SURROGATE,
    READS_ONE_LINE,
    TOKEN,
    Finding,
    RootCause,
    answered,
    assert_explained,
    assert_observed,
    finding_is,
    free_port,
    media_type,
    mixed_groups,
    not_utf8,
    peer_env,
    run_once,
    sent,
    serving_process,
    status,
)
from helpers.python_peers import Peer, _numbers_with_trailing_newline, peer_python
from tiers import SYSTEM

pytestmark = SYSTEM  # real stacks, installed and started by the tests: `tox -e system`


# --- what a finding's reproduction says ---------------------------------------------------------


TABS = ("auth-token-tab-padded", "auth-token-tab-separated")


# Issue 20's stack classes, audited on both peers (docs/benchmarks.md, "Real peers").
# `credentials.split()`-style parsing: a tab where RFC 6750 allows only spaces still finds the token.
TAB_TOKEN = RootCause("a tab around the bearer token is stripped", finding_is(TABS, "status", 200))

FASTAPI = Peer(
    name="fastapi",
    module="fastapi_app",
    prefix="",
    exit_code=1,
    pinned={
        ("id-wrong-type", "status"): "fail",
        # Lenient UTF-8 parsing (a lone surrogate let through): RFC 8259 §9 permits it, a warn.
        ("body-invalid-utf8", "status"): "warn",
        ("body-invalid-utf8", "response-schema"): "fail",
        ("body-invalid-utf8", "response-detail"): "warn",
        ("schemathesis-negative", "response-schema"): "fail",
        ("auth-token-tab-padded", "status"): "fail",
        ("body-utf16", "status"): "fail",
        ("body-bom", "status"): "warn",
    },
    causes=(
        READS_ONE_LINE,
        # `id: Optional[str] = None` lets `"id": null` through; the contract's id is a plain string.
        RootCause(
            "Optional[str] id accepts null",
            lambda f: (
                f["check"] == "status"
                and status(f) == 200
                and isinstance(sent(f), dict)
                and "id" in sent(f)
                and sent(f)["id"] is None
            ),
        ),
        # Starlette's `json.loads(bytes)` decodes with 'surrogatepass' (UTF-8-encoded surrogates
        # register) and skips a UTF-8 BOM: one parser, one lenient mechanism.
        RootCause(
            "json.loads(bytes): encoded surrogates and a BOM read (lenient)",
            lambda f: (
                f["check"] == "status"
                and status(f) == 200
                and (not_utf8(f, ENCODED_SURROGATE) or f["family"] == "body-bom")
            ),
        ),
        # Any other undecodable body: FastAPI raises its own HTTPException(400), which the
        # RequestValidationError handler never sees, so the body is `{"detail": ...}`, not an Error.
        RootCause(
            "body-parse error answered by FastAPI's default {'detail'} body",
            lambda f: (
                f["check"] in ("response-schema", "response-detail", "schemathesis")
                and status(f) == 400
                and isinstance(answered(f), dict)
                and set(answered(f)) == {"detail"}
            ),
        ),
        TAB_TOKEN,
        # Starlette's `json.loads(bytes)` detects UTF-16 and UTF-32 (RFC 4627) and skips a UTF-8 BOM.
        RootCause("json.loads(bytes) reads UTF-16 (RFC 4627)", finding_is("body-utf16", "status", 200)),
    ),
    fail_groups_at_most=4,
)

CONNEXION = Peer(
    name="connexion",
    module="connexion_app",
    prefix="/v3",
    exit_code=1,
    pinned={
        ("missing-target", "content-type"): "fail",
        ("missing-target", "response-schema"): "fail",
        ("missing-target", "response-detail"): "warn",
        ("event-unknown", "content-type"): "fail",
        ("body-truncated", "response-schema"): "fail",
        ("numbers-trailing-newline", "status"): "fail",
        ("body-invalid-utf8", "no-server-error"): "fail",
        ("wrong-media-type", "status"): "warn",
        ("auth-token-tab-separated", "status"): "fail",
        ("body-deep-nesting", "no-server-error"): "fail",
        ("body-over-1mb", "transport"): "fail",
        ("body-foreign-media-type", "status"): "warn",
    },
    causes=(
        READS_ONE_LINE,
        # connexion's default error handler answers every problem as RFC 7807 problem+json.
        RootCause(
            "problem+json error bodies",
            lambda f: (
                f["check"] in ("content-type", "response-schema", "response-detail", "schemathesis")
                and media_type(f) == "application/problem+json"
            ),
        ),
        # jsonschema checks `pattern` with Python `re.search`, whose `$` also matches before a final "\n".
        RootCause(
            "Python re `$` accepts a trailing newline",
            lambda f: f["check"] == "status" and status(f) == 200 and _numbers_with_trailing_newline(f),
        ),
        # The JSON validator lets its parser's own errors escape as a 500: the UnicodeDecodeError of a
        # strict `bytes.decode` on ill-formed UTF-8, the RecursionError of nesting past Python's limit.
        RootCause(
            "500 on a parser error (ill-formed UTF-8, deep nesting)",
            lambda f: (
                f["check"] == "no-server-error"
                and status(f) == 500
                and (not_utf8(f) or f["family"] == "body-deep-nesting")
            ),
        ),
        # connexion checks the media type before the body: text/plain is 415, a tolerated answer.
        RootCause(
            "415 for JSON sent as text/plain",
            lambda f: (
                (f["family"], f["check"], f["verdict"]) == ("wrong-media-type", "status", "warn") and status(f) == 415
            ),
        ),
        TAB_TOKEN,
        # Its problem+json 400 echoes the invalid value: for a 1 MB body, an answer over the 1 MB cap.
        RootCause(
            "the 400 echoes a 1 MB body (answer over the cap)",
            lambda f: (f["family"], f["check"]) == ("body-over-1mb", "transport") and "over" in f["message"],
        ),
        RootCause("415 for text, form and XML bodies", finding_is("body-foreign-media-type", "status", 415)),
    ),
    fail_groups_at_most=6,  # problem+json is one cause but two checks (content-type, response-schema)
)

PEERS = {peer.name: peer for peer in (FASTAPI, CONNEXION)}


# --- installed on first use --------------------------------------------------------------------


# --- served on loopback --------------------------------------------------------------------------


def serving(peer: Peer, log: Path) -> AbstractContextManager[str]:
    """The peer under uvicorn on 127.0.0.1:<free port> (installed on first use); yields its base URL."""
    port = free_port()
    cmd = [str(peer_python(peer)), "-m", "uvicorn", "--app-dir", str(APPS), f"{peer.module}:app"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return serving_process(peer.name, cmd, f"http://127.0.0.1:{port}{peer.prefix}", log, env=peer_env())


@pytest.fixture(params=sorted(PEERS))
def peer(request: pytest.FixtureRequest) -> Peer:
    return PEERS[request.param]


def peer_run(peer: Peer, shared_runs: SharedRuns) -> tuple[CliResult, dict[str, Any]]:
    return run_once(peer.name, shared_runs, lambda log: serving(peer, log))


@pytest.fixture
def run(peer: Peer, shared_runs: SharedRuns) -> tuple[CliResult, dict[str, Any]]:
    return peer_run(peer, shared_runs)


# --- the audit -----------------------------------------------------------------------------------


def test_peer_verdict(peer: Peer, run: tuple[CliResult, dict[str, Any]]) -> None:
    result, summary = run
    assert result.returncode == peer.exit_code, result.output[-2000:]
    assert summary["exit_code"] == peer.exit_code
    assert summary["requests"] > 300, "the run did not reach the whole suite"
    assert TOKEN not in result.output


def test_audited_findings_are_reported(peer: Peer, run: tuple[CliResult, dict[str, Any]]) -> None:
    _, summary = run
    reported = {(f["family"], f["check"]): f["verdict"] for f in summary["findings"]}
    wrong = {key: (verdict, reported.get(key)) for key, verdict in peer.pinned.items() if reported.get(key) != verdict}
    assert not wrong, f"(family, check): (audited verdict, reported verdict): {wrong}"


def test_every_fail_and_warn_has_an_audited_cause(peer: Peer, run: tuple[CliResult, dict[str, Any]]) -> None:
    assert_explained(run[1], peer.causes)


def test_every_audited_cause_is_observed(peer: Peer, run: tuple[CliResult, dict[str, Any]]) -> None:
    assert_observed(run[1], peer.causes)


def test_root_cause_groups_agree_with_the_audit(peer: Peer, run: tuple[CliResult, dict[str, Any]]) -> None:
    """Each fail/warn group of summary.json holds findings of one audited cause, and fails fall
    into few groups. Skips on a judge that does not group findings yet."""
    _, summary = run
    if "groups" not in summary:
        pytest.skip("this judge writes no root-cause groups in summary.json")
    mixed = mixed_groups(summary, peer.causes)
    assert not mixed, f"groups whose findings no single audited cause explains: {mixed}"
    groups = [g for g in summary["groups"] if g["verdict"] in ("fail", "warn")]
    fail_groups = [g["id"] for g in groups if g["verdict"] == "fail"]
    assert len(fail_groups) <= peer.fail_groups_at_most, fail_groups


def test_cleanup_deletes_every_registered_webhook(peer: Peer, run: tuple[CliResult, dict[str, Any]]) -> None:
    """The peers serve `GET /hooks` and `DELETE /hooks/{hook_id}`, so cleanup is complete and verified."""
    _, summary = run
    cleanup = summary["cleanup"]
    assert cleanup["verified"] and cleanup["deleted"] > 0, cleanup
    assert cleanup["leftovers"] == [] and cleanup["failed"] == {}, cleanup


def test_only_connexion_accepts_a_trailing_newline(shared_runs: SharedRuns) -> None:
    """The same pattern, two regex engines: pydantic-core (Rust `regex`, `$` is end of text)
    rejects `"+12135550123\\n"`; connexion's jsonschema (Python `re.search`) accepts it."""
    verdicts = {}
    for peer in (FASTAPI, CONNEXION):
        family = peer_run(peer, shared_runs)[1]["families"]["numbers-trailing-newline"]
        verdicts[peer.name] = {"pass": family["pass"] > 0, "fail": family["fail"] > 0}
    assert verdicts == {
        "fastapi": {"pass": True, "fail": False},
        "connexion": {"pass": False, "fail": True},
    }, verdicts


def _sent_bytes(finding: Finding) -> bytes:
    """The request body as sent: undo the suite's `backslashreplace` of bytes that are not UTF-8."""
    text = finding["reproduction"]["request_body"]
    return re.sub(rb"\\x([89a-f][0-9a-f])", lambda m: bytes([int(m[1], 16)]), text.encode("utf-8"))


def test_fastapi_lists_nothing_while_an_accepted_surrogate_is_stored(shared_runs: SharedRuns, tmp_path: Path) -> None:
    """Why the audit keeps `body-invalid-utf8 :: status` a real finding on FastAPI: the lone surrogate
    it accepted cannot be encoded back to UTF-8, so `GET /hooks` answers 500 until that webhook is
    deleted (the suite's cleanup deletes by id first, so its run does not see this). Replays the
    suite's own reproduction against a fresh peer."""
    finding = next(
        f
        for f in peer_run(FASTAPI, shared_runs)[1]["findings"]
        if (f["family"], f["check"]) == ("body-invalid-utf8", "status")
    )
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    # One connection per request: uvicorn closes the connection after the unhandled exception.
    with serving(FASTAPI, tmp_path / "peer.log") as base_url:
        registered = httpx.post(f"{base_url}/hooks", headers=headers, content=_sent_bytes(finding))
        assert registered.status_code == 200, registered.text
        assert httpx.get(f"{base_url}/hooks", headers=headers).status_code == 500
        hook_id = registered.json()["id"]
        assert httpx.delete(f"{base_url}/hooks/{hook_id}", headers=headers).status_code == 204
        assert httpx.get(f"{base_url}/hooks", headers=headers).json() == {"data": []}
    assert "surrogates not allowed" in (tmp_path / "peer.log").read_text(errors="replace")
