"""The ci tier's case cache (issue 10, item 4): what is recorded, what never is, and how recorded
cases go on the wire ahead of their test. That a cached run finds exactly what a drawn one does is
proven end to end in tests/test_determinism.py."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from conftest import run_cli, run_suite_in_pytest
from helpers.selections import A_FEW
from schemathesis.core import NOT_SET
from tiers import SYSTEM

from conformance.contract import vendored
from conformance.judge import Kind
from conformance.mock import MockServer
from conformance.send import Sender
from conformance.strategies import RawBody
from conformance.suite._cases import CaseCache, Prefetch, Record, cache_key, cache_name, generated_parts
from conformance.suite._operation import operation_of
from conformance.suite._sent import Sent
from conformance.target import Target

OPERATION = operation_of(vendored())  # the vendored contract's POST /hooks

DOMAIN = "run-1a2b3c4d.example.com"
OTHER = "run-99999999.example.com"
TOKEN = "cache-secret-token-0042"


def record(payload, **how) -> Record:
    return Record.of(Sent(payload, **how), "family", Kind.INVALID, 0)


@pytest.mark.parametrize(
    "payload",
    [
        {"target": f"https://hooks.{DOMAIN}/a", "event": "fax_sent", "numbers": ["+12"]},
        RawBody(b"\xff\xfe{not json", "application/json"),
        RawBody(None, None),
        {"target": "\ud800", "x": [1, 2.5, None, True]},
        [],
    ],
    ids=["webhook", "raw-bytes", "no-body", "lone-surrogate", "empty-list"],
)
def test_a_record_survives_the_file_and_moves_to_the_next_runs_domain(payload) -> None:
    original = record(payload, headers={"Accept": None}, chunked=True)
    stored = json.loads(json.dumps(original.encode(DOMAIN, ())))
    assert DOMAIN not in json.dumps(stored) and "run-1a2b3c4d" not in json.dumps(stored)
    assert Record.decode(stored, DOMAIN) == original
    moved = Record.decode(stored, OTHER)
    assert json.dumps(_encode(moved.sent.payload)) == json.dumps(_encode(payload)).replace(DOMAIN, OTHER)


def _encode(payload):
    return payload if not isinstance(payload, RawBody) else repr(payload)


def test_the_ip_path_label_moves_too() -> None:
    original = record({"target": "http://192.0.2.1/run-1a2b3c4d/hook", "event": "fax_sent"})
    moved = Record.decode(original.encode(DOMAIN, ()), OTHER)
    assert moved.sent.payload["target"] == "http://192.0.2.1/run-99999999/hook"


@pytest.mark.parametrize(
    "holder",
    [
        {"headers": {"Authorization": f"Basic {TOKEN}"}},
        {"query": {"access_token": TOKEN}},
        {"headers": {"Authorization": "Basic " + base64.b64encode(TOKEN.encode()).decode()}},
    ],
    ids=["plain", "query", "base64"],
)
def test_a_case_holding_a_secret_is_never_recorded(holder) -> None:
    with pytest.raises(TypeError, match="credential"):
        record({"target": "x", "event": "fax_sent"}, **holder).encode(DOMAIN, (TOKEN,))


@pytest.mark.parametrize(
    "payload",
    [
        {"target": f"https://HOOKS.{DOMAIN.upper()}/a", "event": "fax_sent"},  # the label in upper case
        {"n": float("nan")},  # NaN != NaN: it would not replay as drawn
        {"$raw": "spoof"},  # looks like an encoded RawBody
    ],
    ids=["label-upper-case", "nan", "spoofed-tag"],
)
def test_what_would_not_replay_faithfully_is_not_recorded(payload) -> None:
    with pytest.raises(TypeError):
        record(payload).encode(DOMAIN, ())


def test_a_generated_case_is_recorded_with_its_parts() -> None:
    case = OPERATION.Case(body=b"\x00", media_type="application/json", query={"a": "1"})
    original = Record.of(Sent(case.body), "schemathesis-negative", Kind.NOT_JSON, 0, generated_parts(case))
    again = Record.decode(original.encode(DOMAIN, ()), DOMAIN)
    assert again == original
    rebuilt, how = again.request(OPERATION)
    assert (rebuilt.body, rebuilt.query, rebuilt.media_type, how) == (b"\x00", {"a": "1"}, "application/json", {})
    no_body = Record.of(Sent(NOT_SET), "f", Kind.NO_BODY, 0, generated_parts(OPERATION.Case()))
    assert Record.decode(no_body.encode(DOMAIN, ()), DOMAIN).sent.payload is NOT_SET


def test_the_cache_file_round_trips_and_only_kept_tests_are_written(tmp_path: Path) -> None:
    cache = CaseCache.open(tmp_path, "k1", DOMAIN, (TOKEN,))
    assert cache.plan("t::a") is None
    kept = [record({"target": f"https://{DOMAIN}/", "event": "fax_sent"})]
    cache.keep("t::a", kept)
    cache.keep("t::secret", [record({}, query={"access_token": TOKEN})])  # not cacheable: dropped
    cache.save()
    (written,) = tmp_path.glob("cases-k1.json")
    assert TOKEN not in written.read_text()
    again = CaseCache.open(tmp_path, "k1", OTHER, (TOKEN,))
    assert again.plan("t::secret") is None
    assert again.plan("t::a")[0].sent.payload == {"target": f"https://{OTHER}/", "event": "fax_sent"}
    assert CaseCache.open(tmp_path, "k2", DOMAIN, ()).plan("t::a") is None  # another key, another file


def test_the_cache_counts_what_each_test_judged_for_the_progress_total(tmp_path: Path) -> None:
    cache = CaseCache.open(tmp_path, "k", DOMAIN, ())
    assert cache.expected() is None  # nothing recorded: no total
    cache.keep("t::a", [record({"event": "fax_sent"})])
    cache.count("t::a", 1)
    cache.count("t::auth", 7)  # never cached (it holds a credential), yet its cases count
    cache.save()
    assert CaseCache.open(tmp_path, "k", DOMAIN, ()).expected() == 8
    again = CaseCache.open(tmp_path, "k", DOMAIN, ())
    again.count("t::auth", 9)  # the same cases, counted anew: the file follows
    again.save()
    assert CaseCache.open(tmp_path, "k", DOMAIN, ()).expected() == 10


def test_a_damaged_cache_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "cases-k.json").write_text("{not json")
    assert CaseCache.open(tmp_path, "k", DOMAIN, ()).plan("t::a") is None
    (tmp_path / "cases-k.json").write_text(json.dumps({"tests": {"t::a": [{"nonsense": 1}]}}))
    assert CaseCache.open(tmp_path, "k", DOMAIN, ()).plan("t::a") is None


def test_the_key_changes_with_the_contract_and_the_reserved_domain() -> None:
    base = cache_key(b"spec", "ci", "example.com")
    assert base == cache_key(b"spec", "ci", "example.com")
    assert len({base, cache_key(b"spec2", "ci", "example.com"), cache_key(b"spec", "ci", "example.org")}) == 3


def test_prefetch_sends_ahead_in_order_and_settles_what_no_test_took() -> None:
    payloads = [{"target": f"https://{DOMAIN}/{i}", "event": "fax_sent"} for i in range(6)]
    with MockServer(token=TOKEN) as mock:
        sender = Sender(Target(base_url=mock.url, token=TOKEN, concurrency=2))
        try:
            plans = [("t::a", [record(p) for p in payloads[:3]]), ("t::b", [record(p) for p in payloads[3:]])]
            ahead = Prefetch(sender, OPERATION)
            ahead.send(plans)
            assert ahead.take("t::a", record(payloads[1])) is None  # not the next one recorded
            first = ahead.take("t::a", record(payloads[0]))
            assert first is not None and first.result().status == 200
            untaken = ahead.release()
        finally:
            sender.close()
        registered = {hook["target"] for hook in mock.store.all()}
    # What had left was waited for and handed back; what had not was called back and never sent:
    # either way nothing registered goes unnoticed by cleanup.
    handed_back = {json.loads(e.request_body)["target"] for _, _, e in untaken}
    assert registered == {payloads[0]["target"]} | handed_back
    assert all(e.status == 200 for _, _, e in untaken) and len(untaken) <= 5


def test_test_key_is_the_same_whatever_the_rootdir() -> None:
    assert {
        cache_name("conformance/suite/test_post_hooks.py::test_x[a/b]"),
        cache_name("x/conformance/suite/test_post_hooks.py::test_x[a/b]"),
        cache_name("test_post_hooks.py::test_x[a/b]"),
    } == {"test_post_hooks.py::test_x[a/b]"}


@SYSTEM
def test_cases_recorded_by_plain_pytest_elsewhere_replay_as_the_same_cases(tmp_path: Path) -> None:
    """A cache recorded by `pytest --pyargs` from another directory (other node ids) replays the very
    cases a CLI run draws: none twice, none extra (the CLI sends every recorded test ahead)."""
    cache, elsewhere = tmp_path / "cache", tmp_path / "elsewhere"
    elsewhere.mkdir()
    recorded = run_suite_in_pytest(
        *("-k", "valid_space or exotic", "--cache-dir", cache, "--output-dir", elsewhere / "out"), cwd=elsewhere
    )
    assert recorded.returncode == 0, recorded.stdout[-2000:]
    drawn = run_cli("run", "--no-html", "--no-case-cache", "--output-dir", tmp_path / "drawn")
    replayed = run_cli("run", "--no-html", "--cache-dir", cache, "--output-dir", tmp_path / "replayed")
    counts = [json.loads((tmp_path / name / "summary.json").read_text())["counts"] for name in ("drawn", "replayed")]
    assert drawn.returncode == replayed.returncode == 0, replayed.output[-2000:]
    assert counts[0] == counts[1]


def test_a_cached_run_sends_each_case_once_and_keeps_the_one_connection_pair_live(tmp_path: Path) -> None:
    """With the cache warm, cases go ahead of their tests; a pair that must share one connection
    (`Probe.in_order`) is never recorded, so it is neither sent ahead alone nor sent twice.

    The cache is what is tested, not the suite: recorded tests of each kind (valid Webhooks, an invalid
    family, a refused credential) and every test that sends a pair on one connection suffice. A whole
    warm run (every recorded test sent ahead before pytest collects) is counted the same way by
    tests/test_contract_notes.py."""
    import conformance
    from conformance.report import outputs

    token = "cache-pair-token-51"
    select = f"{A_FEW} or on_one_connection"
    runs = []
    with MockServer(token=token) as mock:
        for name in ("cold", "warm"):
            target = Target(
                base_url=mock.url, token=token, output_dir=tmp_path / name, cache_dir=tmp_path / "cache", select=select
            )
            runs.append(conformance.run(target, reporters=outputs.reporters(allure=False)).as_dict())
    for data in runs:
        assert data["counts"]["cases"] == data["requests"], "every request is a judged case, once"
        assert {"keep-alive-right-token", "keep-alive-wrong-token"} <= set(data["families"])
        assert {"valid-after-wrong-credentials", "valid-after-wrong-media-type"} <= set(data["families"])
    recorded = json.loads(next((tmp_path / "cache").glob("cases-*.json")).read_text())["tests"]
    assert not [name for name in recorded if "on_one_connection" in name]
    # What the warm run had to send ahead: every other selected test.
    assert sorted(recorded) == [
        f"test_post_hooks.py::{name}"
        for name in (
            "test_invalid_family_is_rejected[numbers-empty-string]",
            "test_invalid_family_is_rejected[numbers-empty]",
            "test_request_envelope[no-credentials]",
            "test_valid_webhook_is_registered",
        )
    ]
