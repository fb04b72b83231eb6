"""`faxplus-conformance` end to end: real subprocesses, real exit codes, real files."""

from __future__ import annotations

import json
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import CliResult, SharedRuns, run_cli
from helpers.cli_runs import BROKEN_RULE, CLIENT_ID, RUNS, SECRET_ENV, TOKEN
from tiers import SYSTEM

from conformance.mock import FAULTS
from conformance.strategies import FAMILIES


def wanted(items: list[pytest.Item]) -> list[str]:
    """The runs the selected tests of this module need, in RUNS order."""
    names = set()
    for item in items:
        if item.path != Path(__file__):
            continue
        params = item.callspec.params if hasattr(item, "callspec") else {}
        names |= set(getattr(item, "fixturenames", ())) & set(RUNS)
        names |= {f"fault-{params['faulty']}"} if "faulty" in params else set()
        names |= {params["run"]} if "run" in params else set()
    return [name for name in RUNS if name in names]


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, shared_runs: SharedRuns) -> Iterator[Callable[[str], CliResult]]:
    """`runs(name)`: that run's result. Each run is a child process, so the runs the selected tests
    need are started one at a time in the background and overlap with the tests meanwhile."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as pool:
        for name in wanted(request.session.items):
            pool.submit(shared_runs, name, RUNS[name], wait=False)  # a failure resurfaces in the test
        yield lambda name: shared_runs(name, RUNS[name])
        pool.shutdown(cancel_futures=True)


def one_line(result: CliResult) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the embedded reference run ---------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded(runs: Callable[[str], CliResult]) -> CliResult:
    return runs("embedded")


def test_embedded_run_exits_0_with_family_table_and_verdict(embedded):
    assert embedded.returncode == 0, embedded.output
    assert "embedded reference mock" in embedded.stdout
    assert re.search(r"^family\s+cases\s+pass\s+warn\s+fail$", embedded.stdout, re.M)
    # All-pass families are folded (-v lists them); the verdict opens the summary and closes the run.
    assert re.search(r"^… and \d+ families with every case passed \(-v shows them\)$", embedded.stdout, re.M)
    assert not re.search(r"^numbers-empty\s", embedded.stdout, re.M)
    lines = embedded.stdout.strip().splitlines()
    assert re.match(r"(pass|warn)\b.* · exit 0$", lines[-1]), lines[-1]
    assert re.search(r"^(pass|warn)\b.* · exit 0$", embedded.stdout.split("\n\n", 1)[1], re.M)
    assert "Traceback" not in embedded.output


def test_embedded_summary_json(embedded):
    data = embedded.summary()
    assert data["verdict"] in ("pass", "warn")
    assert data["exit_code"] == 0
    assert [f for f in data["findings"] if f["verdict"] == "fail"] == []
    assert data["counts"]["fail"] == 0
    assert data["target"]["embedded"] is True
    families = data["families"]
    for name in ("numbers-empty", "valid-webhook", "schemathesis-negative", "schemathesis-positive", "no-credentials"):
        assert families[name]["cases"] > 0, name
        assert families[name]["fail"] == 0, name
    assert set(FAMILIES.names()) <= set(families), "every invalid family must have been sent"
    assert data["requests"] > 0


def test_embedded_summary_md(embedded):
    text = (embedded.output_dir / "summary.md").read_text(encoding="utf-8")
    verdict = embedded.summary()["verdict"]
    assert f"**{verdict}**" in text.splitlines()[0]
    assert re.search(r"^\| numbers-empty \| [1-9]\d* \|", text, re.M)
    assert "Contract violations" not in text


def test_embedded_junit_xml(embedded):
    root = ET.parse(embedded.output_dir / "junit.xml").getroot()
    cases = list(root.iter("testcase"))
    assert len(cases) > len(FAMILIES)  # one per invalid family, plus the others
    names = {case.get("name") for case in cases}
    assert "test_valid_webhook_is_registered" in names
    assert "test_invalid_family_is_rejected[numbers-empty]" in names
    assert not [case for case in cases if case.find("failure") is not None or case.find("error") is not None]


def test_embedded_allure_results(embedded):
    results = embedded.output_dir / "allure-results"
    files = sorted(results.glob("*-result.json"))
    assert files, "no allure results"
    parsed = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    assert {r["status"] for r in parsed} == {"passed"}
    junit_cases = list(ET.parse(embedded.output_dir / "junit.xml").getroot().iter("testcase"))
    assert len(parsed) == len(junit_cases)
    # A sampled passing exchange is one attachment holding the request, its answer and its curl line.
    samples = [step for r in parsed for step in r.get("steps", []) if step["name"] == "sample passing exchange"]
    assert samples, "exchanges are attached"
    assert all([a["name"] for a in step["attachments"]] == ["exchange"] for step in samples)
    text = (results / samples[0]["attachments"][0]["source"]).read_text(encoding="utf-8")
    assert text.startswith("POST ") and "\n--- response ---\nHTTP " in text and "\n--- replay ---\ncurl " in text


# --- runs against a MockServer given by --base-url --------------------------------------------


@pytest.fixture(scope="module")
def reference(runs: Callable[[str], CliResult]) -> CliResult:
    return runs("reference")


@pytest.fixture(scope="module", params=sorted(BROKEN_RULE))
def faulty(request: pytest.FixtureRequest, runs: Callable[[str], CliResult]) -> tuple[str, CliResult]:
    return request.param, runs(f"fault-{request.param}")


@pytest.fixture(scope="module")
def hanging(runs: Callable[[str], CliResult]) -> CliResult:
    return runs("hanging")


@pytest.fixture(scope="module")
def nightly(runs: Callable[[str], CliResult]) -> CliResult:
    return runs("nightly")


def test_base_url_reference_mock_exits_0(reference):
    assert reference.returncode == 0, reference.output
    data = reference.summary()
    assert data["target"]["embedded"] is False
    assert data["target"]["base_url"].startswith("http://127.0.0.1:")
    assert [f for f in data["findings"] if f["verdict"] == "fail"] == []
    assert data["cleanup"]["verified"] is True
    assert data["cleanup"]["leftovers"] == []


def test_faulty_mock_exits_1_with_finding_naming_the_rule(faulty):
    fault, result = faulty
    assert result.returncode == 1, result.output
    data = result.summary()
    assert data["verdict"] == "fail" and data["exit_code"] == 1
    fails = {(f["family"], f["check"]): f for f in data["findings"] if f["verdict"] == "fail"}
    assert BROKEN_RULE[fault] in fails, sorted(fails)
    family, check = BROKEN_RULE[fault]
    assert FAULTS[fault].covers(family, check, fails[BROKEN_RULE[fault]]["rule"])
    curl = fails[BROKEN_RULE[fault]]["reproduction"]["curl"]
    assert curl.startswith("curl ") and " -X POST " in curl
    assert '"Authorization: Bearer $FAXPLUS_TOKEN"' in curl
    assert TOKEN not in curl
    # The console prints one line per root cause: the group holding this finding is there.
    group = next(g for g in data["groups"] if f"{family}::{check}" in g["findings"])
    assert f"FAIL [{check}] {group['title']}" in result.stdout


def test_faulty_mock_does_not_abort_schemathesis_generation(faulty, reference):
    """schemathesis's own checks objecting is a judged case, never a test cut short: the ci tier
    is derandomized, so a faulty server gets exactly as many generated cases as the reference."""
    fault, result = faulty
    families, expected = result.summary()["families"], reference.summary()["families"]
    for family in ("schemathesis-positive", "schemathesis-negative"):
        assert families[family]["cases"] == expected[family]["cases"] > 0, family
    junit = ET.parse(result.output_dir / "junit.xml").getroot()
    assert "FailureGroup" not in ET.tostring(junit, encoding="unicode")


@pytest.mark.parametrize("run", ["reference", *(f"fault-{name}" for name in sorted(BROKEN_RULE))])
def test_secrets_never_leak(run, runs):
    fault = run.removeprefix("fault-") if run.startswith("fault-") else None
    result = runs(run)
    files = [p for p in result.output_dir.rglob("*") if p.is_file()]
    assert len(files) > 3
    if fault:  # a failing run writes findings, attachments and failure messages
        assert list(result.output_dir.glob("allure-results/*-attachment.*"))
        assert [f for f in result.summary()["findings"] if f["verdict"] == "fail"]
    placeholders = 0
    for path in files:
        blob = path.read_bytes()
        for secret in (TOKEN, CLIENT_ID):
            assert secret.encode() not in blob, f"{secret} leaked into {path}"
        placeholders += blob.count(b"$FAXPLUS_TOKEN")
    assert placeholders > 0, "the credentials were sent and replaced, so placeholders must appear"
    for secret in (TOKEN, CLIENT_ID):
        assert secret not in result.output


# --- usage and infrastructure errors: exit 2, one line ----------------------------------------


def test_unreachable_base_url_exits_2_with_one_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v3"
    result = run_cli("run", "--base-url", url, "--no-html", "--output-dir", tmp_path / "out", env=SECRET_ENV)
    assert result.returncode == 2, result.output
    line = one_line(result)
    assert url in line
    assert "--base-url" in line
    assert TOKEN not in result.output


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["run", "--tier", "weekly"], "weekly"),
        (["run", "--timeout", "-1"], "--timeout"),
        (["mock", "--port", "0", "--fault", "no-such-fault"], "no-such-fault"),
    ],
    ids=["tier", "timeout", "fault"],
)
def test_bad_option_exits_2_with_one_line(args, mentions, tmp_path):
    result = run_cli(*args, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.output
    assert mentions in one_line(result)


def test_production_base_url_is_refused(tmp_path):
    result = run_cli("run", "--base-url", "https://restapi.fax.plus/v3", cwd=tmp_path, env=SECRET_ENV)
    assert result.returncode == 2, result.output
    assert "--allow-production" in one_line(result)
    assert TOKEN not in result.output


def test_base_url_without_token_exits_2(tmp_path):
    result = run_cli("run", "--base-url", f"http://127.0.0.1:{free_port()}/v3", cwd=tmp_path)
    assert result.returncode == 2, result.output
    assert "FAXPLUS_TOKEN" in one_line(result)


# --- a server that never answers ----------------------------------------------------------------


def test_hanging_server_is_a_transport_finding(hanging):
    result = hanging
    assert result.returncode == 1, result.output
    # It found a violation before the breaker stopped it: exit 1, and it says it is incomplete.
    assert re.search(r"^fail: .* · exit 1 · incomplete$", result.stdout, re.M)
    data = result.summary()
    assert (data["exit_code"], data["complete"]) == (1, False)
    transport = [f for f in data["findings"] if f["check"] == "transport" and f["verdict"] == "fail"]
    assert transport, data["findings"]
    assert "timeout" in transport[0]["message"]
    assert data["counts"]["not_sent"] > 0, "the hang breaker stops sending after repeated timeouts"


# --- faults and nightly -------------------------------------------------------------------------


def test_faults_lists_the_catalogue():
    result = run_cli("faults", timeout=60)
    assert result.returncode == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) >= 35
    listed = []
    for line in lines:
        match = re.fullmatch(r"(\S+) {2,}(\S.*)", line)
        assert match, line
        listed.append(match.group(1))
        assert match.group(2) == FAULTS[match.group(1)].description
    assert listed == FAULTS.names()


@SYSTEM
def test_nightly_run_prints_and_records_its_seed(nightly):
    result = nightly
    assert result.returncode == 0, result.output
    assert re.search(r"^seed: 1234\b", result.stdout, re.M)
    data = result.summary()
    assert data["seed"] == 1234
    assert data["tier"] == "nightly"
    assert "--seed 1234" in data["replay"]


def test_an_unexpected_error_is_one_redacted_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from conformance import cli

    def explode(args: object) -> int:
        raise RuntimeError("boom while sending Authorization: Bearer tok-LEAK-123")

    monkeypatch.setitem(cli.COMMANDS, "faults", explode)
    monkeypatch.setenv("FAXPLUS_TOKEN", "tok-LEAK-123")
    monkeypatch.delenv("FAXPLUS_DEBUG", raising=False)
    assert cli.main(["faults"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "tok-LEAK-123" not in err and "$FAXPLUS_TOKEN" in err and "internal error" in err
