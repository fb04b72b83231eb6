"""Real Node peers (issue 20, item 9): the mechanism diagnosis on servers built the ordinary way.

test_mechanisms.py imitates two stacks in-process; here they are the real thing (tests/peers/):
- `fastify`: fastify 5 with the contract's Webhook schema as the route's `schema.body` and Ajv left
  at fastify's defaults (`coerceTypes: 'array'`, `removeAdditional: true`, `useDefaults: true`);
  its own default 400 body on a validation failure.
- `mockoon`: the Mockoon CLI serving the vendored spec as it imports it: it validates nothing,
  checks no credentials, and answers every `POST /v3/hooks` with the spec's example id.

Each is installed on first use with `npm ci` from its pinned package-lock.json into its own folder
(node_modules, gitignored), started on 127.0.0.1:<free port>, and the real CLI is run against it
once per session. The audit is pinned as in tests/test_peers.py (tests/peer_audit.py): `causes`
must explain every fail and warn, each cause at least one; and the fail lines a report prints (a
mechanism of verdict fail, or a fail group no mechanism claims) are pinned as observed, next to
issue 20's target of at most two per peer.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, SharedRuns
from helpers.node_peers import MOCKOON, NodePeer, _accepted, _body, fail_lines, installed
from helpers.peer_audit import (
    READS_ONE_LINE,
    TOKEN,
    RootCause,
    assert_explained,
    assert_observed,
    assert_one_cause_per_group,
    finding_is,
    free_port,
    not_utf8,
    peer_env,
    run_once,
    serving_process,
)
from tiers import SYSTEM

pytestmark = SYSTEM  # real stacks, installed and started by the tests: `tox -e system`

TARGET_FAIL_LINES = 2  # issue 20: each of these stacks is at most two fail lines


# --- what a finding's request said ----------------------------------------------------------------

WEBHOOK_TYPES = {"id": str, "target": str, "event": str}


def _wrong_typed(body: Any) -> bool:
    """A known property of the wrong JSON type (what `coerceTypes` turns into the right one)."""
    if not isinstance(body, dict):
        return False
    numbers = body.get("numbers")
    return any(k in body and not isinstance(body[k], t) for k, t in WEBHOOK_TYPES.items()) or (
        "numbers" in body
        and numbers is not None
        and (not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers))
    )


def _unknown_keys(body: Any) -> bool:
    return isinstance(body, dict) and bool(set(body) - {*WEBHOOK_TYPES, "numbers"})


FASTIFY = NodePeer(
    name="fastify",
    exit_code=1,
    fail_lines=("coerces-types", "drops-unknown-properties"),
    causes=(
        READS_ONE_LINE,
        RootCause(
            "Ajv coerceTypes: a wrong-typed property accepted", lambda f: _accepted(f) and _wrong_typed(_body(f))
        ),
        # Also `body-deep-nesting`: its nesting sits under an unknown key `x`, removed before anything looks at it.
        RootCause(
            "Ajv removeAdditional: unknown properties dropped",
            lambda f: (
                _accepted(f)
                and not _wrong_typed(_body(f))
                and (_unknown_keys(_body(f)) or f["family"] == "body-deep-nesting")
            ),
        ),
        # The body is read as a UTF-8 string (ill-formed bytes become U+FFFD) and a leading BOM is skipped.
        RootCause(
            "body decoded leniently: BOM skipped, ill-formed UTF-8 replaced",
            lambda f: _accepted(f) and (f["family"] == "body-bom" or not_utf8(f)),
        ),
        # The hand-written onRequest hook compares the scheme with `=== 'Bearer'`.
        RootCause("case-sensitive `Bearer` in the auth hook", finding_is("auth-lowercase-scheme", "status", 401)),
        RootCause("fastify's own 413 (bodyLimit 1 MiB)", finding_is("body-over-1mb", "status", 413)),
        RootCause("fastify's own 415 (no body parser)", finding_is("body-foreign-media-type", "status", 415)),
    ),
    cleanup_verified=True,
)


PEERS = {peer.name: peer for peer in (FASTIFY, MOCKOON)}


# --- installed on first use --------------------------------------------------------------------


def serving(peer: NodePeer, log: Path) -> AbstractContextManager[str]:
    """The peer on 127.0.0.1:<free port> (installed on first use); yields its base URL (the spec's `/v3`)."""
    installed(peer)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v3"
    env = peer_env(PORT=str(port))
    return serving_process(peer.name, peer.command(port), base_url, log, env=env, cwd=peer.folder, seconds=60)


@pytest.fixture(params=sorted(PEERS))
def peer(request: pytest.FixtureRequest) -> NodePeer:
    return PEERS[request.param]


def peer_run(peer: NodePeer, shared_runs: SharedRuns) -> tuple[CliResult, dict[str, Any]]:
    return run_once(peer.name, shared_runs, lambda log: serving(peer, log))


@pytest.fixture
def run(peer: NodePeer, shared_runs: SharedRuns) -> tuple[CliResult, dict[str, Any]]:
    return peer_run(peer, shared_runs)


# --- the audit -----------------------------------------------------------------------------------


def test_peer_verdict(peer: NodePeer, run: tuple[CliResult, dict[str, Any]]) -> None:
    result, summary = run
    assert result.returncode == peer.exit_code, result.output[-2000:]
    assert (summary["exit_code"], summary["verdict"]) == (peer.exit_code, "fail")
    assert summary["requests"] > 300, "the run did not reach the whole suite"
    assert TOKEN not in result.output


def test_fail_lines_as_observed(peer: NodePeer, run: tuple[CliResult, dict[str, Any]]) -> None:
    """The diagnosis as it stands (docs/benchmarks.md, "Real peers"): a change to it is an edit here."""
    _, summary = run
    lines = fail_lines(summary)
    steady = [line for line in lines if line not in peer.intermittent_lines]
    assert steady == list(peer.fail_lines), json.dumps(summary["mechanisms"], indent=1)


# A body nested 5,000 deep under an unknown key is read by the judge as V8 reads it (`shallow_json`), so
# fastify's removeAdditional of it joins the drops-unknown-properties line.
@pytest.mark.parametrize("name", ["fastify", "mockoon"])
def test_issue_20_target_of_two_fail_lines(name: str, shared_runs: SharedRuns) -> None:
    peer = PEERS[name]
    lines = fail_lines(peer_run(peer, shared_runs)[1])
    if len(lines) > TARGET_FAIL_LINES and len(set(lines) - set(peer.intermittent_lines)) <= TARGET_FAIL_LINES:
        # Not silent: the race of `intermittent` happened in this run, and it is a line of its own.
        pytest.xfail(f"issue 20 target missed in this run by an intermittent peer failure: {lines}")
    assert len(lines) <= TARGET_FAIL_LINES, lines


def test_mockoon_has_no_lenient_parsing_warn_of_its_own(shared_runs: SharedRuns) -> None:
    """It parses nothing: what a lenient parser would be warned for is part of "validates nothing"."""
    summary = peer_run(MOCKOON, shared_runs)[1]
    lenient = [g["title"] for g in summary["groups"] if g["category"] == "lenient parsing" and not g["mechanism"]]
    assert lenient == []


def test_every_fail_and_warn_has_an_audited_cause(peer: NodePeer, run: tuple[CliResult, dict[str, Any]]) -> None:
    assert_explained(run[1], peer.all_causes)


def test_every_audited_cause_is_observed(peer: NodePeer, run: tuple[CliResult, dict[str, Any]]) -> None:
    assert_observed(run[1], peer.causes)


def test_root_cause_groups_agree_with_the_audit(peer: NodePeer, run: tuple[CliResult, dict[str, Any]]) -> None:
    """Each fail/warn group of summary.json holds findings of one audited cause."""
    assert_one_cause_per_group(run[1], peer.all_causes)


def test_cleanup(peer: NodePeer, run: tuple[CliResult, dict[str, Any]]) -> None:
    """fastify lists and deletes, so cleanup is complete and verified; Mockoon cannot be verified."""
    _, summary = run
    cleanup = summary["cleanup"]
    assert cleanup["verified"] is peer.cleanup_verified, cleanup
    assert cleanup["failed"] == {} and cleanup["leftovers"] == [], cleanup
    if peer.cleanup_verified:
        assert cleanup["deleted"] > 0, cleanup
