"""`faxplus-conformance replay`: a finding written by a run against a faulty mock is still failing
against that fault and fixed against the faithful mock; secrets never printed; usage errors are one line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, SharedRuns, cli_in_process, run_cli

from conformance.contract import vendored
from conformance.judge import Kind, Verdict
from conformance.mock import FAULTS, MockServer
from conformance.replay import NotReplayable, Replay, choose
from conformance.send import Exchange
from conformance.target import UsageError

TOKEN = "tok-SECRET-abc123"
CLIENT_ID = "cid-SECRET-xyz789"
SECRET_ENV = {"FAXPLUS_TOKEN": TOKEN, "FAXPLUS_CLIENT_ID": CLIENT_ID}
FAULT = "numbers-min-items-ignored"  # accepts `numbers: []`: the finding numbers-empty::status
FINDING = "numbers-empty::status"
# The fault's finding on the default path and on a chunked path: one group of two fails to replay, one
# of them with a body that must go out chunked again. A whole run has the same fail on 13 paths.
REPLAYED = "numbers-empty or envelope-chunked"


def faulty_run(out: Path) -> CliResult:
    with MockServer(port=0, token=TOKEN, fault=FAULTS[FAULT]) as server:
        return cli_in_process(
            "run", "--base-url", server.url, "--no-html", "--output-dir", out, "-k", REPLAYED, env=SECRET_ENV
        )


@pytest.fixture(scope="module")
def summary_path(shared_runs: SharedRuns) -> Path:
    result = shared_runs(f"replay-fault-{FAULT}", faulty_run)
    assert result.returncode == 1, result.output
    fails = {f["id"] for f in result.summary()["findings"] if f["verdict"] == "fail"}
    assert {FINDING, "numbers-empty@envelope-chunked::status"} <= fails, fails
    return result.output_dir / "summary.json"


def replay(*args: object, fault: str | None = None, env: dict[str, str] = SECRET_ENV) -> CliResult:
    with MockServer(port=0, token=TOKEN, fault=FAULTS[fault] if fault else None) as server:
        return run_cli("replay", *args, "--base-url", server.url, env=env, timeout=120)


def lines(result: CliResult) -> dict[str, str]:
    """finding id → its outcome line."""
    return {m[1]: m[2] for m in re.finditer(r"^(\S+::\S+)\s+(.*)$", result.stdout, re.M)}


def assert_no_secret(result: CliResult) -> None:
    assert TOKEN not in result.output and CLIENT_ID not in result.output
    assert "Traceback" not in result.output


def test_against_the_same_fault_the_finding_is_still_failing(summary_path: Path) -> None:
    result = replay(summary_path, fault=FAULT)
    assert result.returncode == 1, result.output
    assert lines(result)[FINDING] == "still failing: status (answered 200)"
    assert_no_secret(result)


def test_against_the_faithful_mock_every_fail_is_fixed(summary_path: Path) -> None:
    result = replay(summary_path)
    assert result.returncode == 0, result.output
    outcomes = lines(result)
    assert outcomes and all(line.startswith("fixed") for line in outcomes.values()), result.stdout
    assert outcomes[FINDING] == "fixed (answered 400)"
    assert_no_secret(result)


def test_a_named_finding_only_and_a_group_id_stands_for_its_findings(summary_path: Path) -> None:
    data = json.loads(summary_path.read_text(encoding="utf-8"))
    group = next(f["group"] for f in data["findings"] if f["id"] == FINDING)
    assert list(lines(replay(summary_path, FINDING, fault=FAULT))) == [FINDING]
    members = next(g["findings"] for g in data["groups"] if g["id"] == group)
    assert sorted(lines(replay(summary_path, group))) == sorted(members)


def test_an_unknown_id_is_one_line_naming_the_nearest(summary_path: Path) -> None:
    result = replay(summary_path, "numbers-empty::statu")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no finding 'numbers-empty::statu'" in result.stderr and f"did you mean {FINDING!r}" in result.stderr


def test_the_client_id_placeholder_needs_a_client_id(summary_path: Path) -> None:
    result = replay(summary_path, FINDING, env={"FAXPLUS_TOKEN": TOKEN})
    assert result.returncode == 2, result.output
    assert "needs $FAXPLUS_CLIENT_ID: pass --client-id" in lines(result)[FINDING]
    assert_no_secret(result)


def test_an_embedded_summary_replays_against_a_fresh_embedded_mock(summary_path: Path, tmp_path: Path) -> None:
    data = json.loads(summary_path.read_text(encoding="utf-8"))
    data["target"] = {"base_url": "embedded reference mock", "embedded": True}
    for finding in data["findings"]:  # an embedded run has no client id
        finding["reproduction"]["request_headers"].pop("x-fax-clientid", None)
    (tmp_path / "summary.json").write_text(json.dumps(data), encoding="utf-8")
    result = run_cli("replay", tmp_path / "summary.json", FINDING, timeout=120)
    assert result.returncode == 0, result.output
    assert "against embedded reference mock at http://127.0.0.1:" in result.stdout
    assert lines(result)[FINDING] == "fixed (answered 400)"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot read"),
        ('{"schema_version": "2.0", "findings": []}', "has summary schema 2.0, this version reads 1.x"),
        ('{"schema_version": "1.0", "findings": [], "sdk": {"name": "x"}}', "SDK gate summary"),
    ],
)
def test_a_summary_it_cannot_read_is_a_usage_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "s.json").write_text(content, encoding="utf-8")
    result = run_cli("replay", tmp_path / "s.json", "--base-url", "http://127.0.0.1:9/v3", env=SECRET_ENV)
    assert result.returncode == 2 and message in result.stderr, result.output
    assert result.stderr.strip().count("\n") == 0


# --- how a reproduction becomes a request again ------------------------------------------------------


def finding(**reproduction: Any) -> dict[str, Any]:
    base = {
        "method": "POST",
        "url": "http://127.0.0.1:1/v3/hooks",
        "path": "/hooks",
        "request_headers": {"host": "127.0.0.1:1", "content-length": "2", "Authorization": "Bearer $FAXPLUS_TOKEN"},
        "request_body": "[]",
    }
    return {
        "id": "f::status",
        "check": "status",
        "verdict": "fail",
        "kind": "invalid",
        "reproduction": {**base, **reproduction},
    }


SECRETS = {"$FAXPLUS_TOKEN": "t0k/en", "$FAXPLUS_CLIENT_ID": "cid"}


def test_secrets_are_put_back_framing_is_left_to_the_wire_and_removed_defaults_stay_removed() -> None:
    replay = Replay.of(finding(path="/hooks?access_token=$FAXPLUS_TOKEN"), SECRETS)
    assert replay.headers == {"Authorization": "Bearer t0k/en"}  # no host, no content-length
    assert replay.path == "/hooks?access_token=t0k%2Fen"
    assert set(replay.removed) == {"accept", "accept-encoding", "connection", "user-agent"}
    assert (replay.body, replay.chunked, replay.kind) == (b"[]", False, Kind.INVALID)


def test_a_chunked_body_and_a_body_that_is_not_utf8() -> None:
    headers = {"Transfer-Encoding": "chunked", "Accept": "*/*", "Authorization": "Bearer $FAXPLUS_TOKEN"}
    replay = Replay.of(finding(request_headers=headers, request_body_base64="eyJ0IjogIv8ifQ=="), SECRETS)
    assert replay.chunked and replay.body == b'{"t": "\xff"}'
    assert "accept" not in replay.removed and "Transfer-Encoding" not in replay.headers


@pytest.mark.parametrize(
    ("reproduction", "why"),
    [
        ({"method": ""}, "no exchange behind it"),
        ({"request_headers": {"Authorization": "[redacted]"}}, "credential the summary never keeps"),
        ({"path": None, "url": "http://x/elsewhere"}, "has no /hooks path"),
    ],
)
def test_what_cannot_be_replayed_says_why(reproduction: dict[str, Any], why: str) -> None:
    with pytest.raises(NotReplayable, match=why):
        Replay.of(finding(**reproduction), SECRETS)


def test_judged_by_the_findings_own_check_under_its_kind() -> None:
    replay = Replay.of(finding(), SECRETS)
    accepted = Exchange("POST", "u", {}, b"[]", 200, {"content-type": "application/json"}, b'{"id": "1"}')
    rejected = Exchange("POST", "u", {}, b"[]", 400, {"content-type": "application/json"}, b'{"error": "x"}')
    assert replay.failing(accepted, vendored()) == ["status"] and replay.failing(rejected, vendored()) == []
    assert replay.verdict is Verdict.FAIL
    # Fixed means no fail at all: a 500 or no answer is a request that fails another way.
    crashed = Exchange("POST", "u", {}, b"[]", 500, {"content-type": "application/json"}, b'{"error": "x"}')
    assert replay.failing(crashed, vendored()) == ["no-server-error"]
    assert replay.failing(Exchange("POST", "u", {}, b"[]", error="timeout", error_detail="late"), vendored()) == [
        "transport"
    ]


def test_choose_defaults_to_every_fail() -> None:
    data = {"findings": [finding(), {**finding(), "id": "w::status", "verdict": "warn"}], "groups": []}
    assert [f["id"] for f in choose(data, [])] == ["f::status"]
    assert [f["id"] for f in choose(data, ["w::status"])] == ["w::status"]
    with pytest.raises(UsageError, match="did you mean 'w::status'"):
        choose(data, ["w::statux"])


def test_a_hanging_target_stops_the_replay_in_one_line(summary_path: Path, tmp_path: Path) -> None:
    data = json.loads(summary_path.read_text(encoding="utf-8"))
    one = next(f for f in data["findings"] if f["id"] == FINDING)
    data["findings"] = [{**one, "id": f"copy-{i}::status"} for i in range(4)]  # the breaker trips after 3
    (tmp_path / "summary.json").write_text(json.dumps(data), encoding="utf-8")
    with MockServer(port=0, token=TOKEN, fault=FAULTS["slow-answers"]) as server:
        result = run_cli(
            "replay", tmp_path / "summary.json", "--base-url", server.url, "--timeout", "0.2", env=SECRET_ENV
        )
    assert result.returncode == 1, result.output  # the first three timed out: still failing
    assert list(lines(result).values()) == ["still failing: transport (no answer: timeout)"] * 3
    assert "stopped sending: 3 requests in a row got no answer" in result.stdout
    assert "Traceback" not in result.output
    assert_no_secret(result)


# --- a finding judged after another request on its connection (issue 20, item 7) -----------------

DESYNC = "refuses-before-reading-body"  # answers a wrong token unread: its body poisons the next request
AFTER = "valid-after-wrong-credentials::keep-alive"


@pytest.fixture(scope="module")
def desync_summary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import conformance
    from conformance.report import outputs

    out = tmp_path_factory.mktemp("desync")
    with MockServer(port=0, token=TOKEN, fault=FAULTS[DESYNC]) as server:
        # The one test that sends a refusal then a valid Webhook on one connection (a whole run finds
        # this fail and no other).
        target = conformance.Target(base_url=server.url, token=TOKEN, output_dir=out, select="after-wrong-credentials")
        assert conformance.run(target, reporters=outputs.reporters(allure=False)).exit_code == 1
    return out / "summary.json"


def test_a_desync_is_blamed_on_the_refusal_and_recorded_with_it(desync_summary: Path) -> None:
    finding = next(f for f in json.loads(desync_summary.read_text())["findings"] if f["id"] == AFTER)
    assert "right after a 401 on the same keep-alive connection" in finding["message"]
    before = finding["reproduction"]["preceded_by"]
    assert before["status"] == 401 and before["request_headers"]["Authorization"] != "Bearer $FAXPLUS_TOKEN"


def test_replaying_a_desync_sends_the_refusal_first_on_one_connection(desync_summary: Path) -> None:
    still = replay(desync_summary, AFTER, fault=DESYNC)
    assert still.returncode == 1, still.output
    assert lines(still)[AFTER].startswith("still failing: keep-alive"), still.output
    fixed = replay(desync_summary, AFTER)
    assert fixed.returncode == 0 and lines(fixed)[AFTER].startswith("fixed"), fixed.output
    assert_no_secret(still)


def test_without_the_request_before_it_the_desync_would_look_fixed(desync_summary: Path, tmp_path: Path) -> None:
    data = json.loads(desync_summary.read_text())
    for finding in data["findings"]:
        finding["reproduction"].pop("preceded_by", None)
    alone = tmp_path / "summary.json"
    alone.write_text(json.dumps(data))
    result = replay(alone, AFTER, fault=DESYNC)
    assert result.returncode == 0 and lines(result)[AFTER].startswith("fixed"), result.output
