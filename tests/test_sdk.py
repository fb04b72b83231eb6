"""The SDK release gate (`faxplus-conformance sdk`): conformant, broken and real SDKs.

Test clients live in tests/sdk_clients/ and speak the gate's driver protocol. The real published
`faxplus-api` is installed once into ~/.cache/faxplus-conformance/sdk/ (PyPI on the first run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, SharedRuns, run_cli
from helpers.sdk_runs import PINNED, client, fails, gate_run, warns

from conformance.contract import vendored
from conformance.mock import MockServer
from conformance.sdk import _corpus, _gate_checks, install
from conformance.sdk.protocol import Driver

# --- (a) a conformant client passes -------------------------------------------------------------------


def test_conformant_client_passes_the_gate(shared_runs: SharedRuns) -> None:
    result, summary = gate_run(shared_runs, "conformant", "--sdk-driver", client())
    assert result.returncode == 0 == summary["exit_code"], result.output
    assert summary["verdict"] in ("pass", "warn") and not fails(summary)
    families = summary["families"]
    for event in ("fax_received", "fax_sent", "fax_page_received"):
        assert families[f"valid/event={event}"]["pass"] >= 1
    for family in ("valid/numbers=list", "valid/numbers=null", "valid/id", "response/200"):
        assert families[family]["fail"] == 0 and families[family]["cases"] >= 1
    for status in (400, 500):
        assert families[f"response/{status}"] == {"cases": 1, "pass": 1, "warn": 0, "fail": 0}
    # Server faults are informational: never fails, and every one is described.
    assert all(f["verdict"] == "warn" for f in summary["findings"])
    assert {row["fault"] for row in summary["server_faults"]} >= {
        "webhook-id-extra-keys",
        "webhook-id-not-string",
        "error-not-json",
        "success-201",
        "error-extra-keys",
    }
    out = result.output_dir
    assert out is not None and (out / "summary.md").read_text(encoding="utf-8").startswith("# ⚠️ SDK release gate")
    results = [json.loads(p.read_text()) for p in (out / "allure-results").glob("*-result.json")]
    assert sorted(r["fullName"] for r in results) == sorted(f"sdk-gate::{name}" for name in families)
    assert all(r["status"] == "passed" for r in results)


# --- (b) clients broken one way each fail, naming the gap ---------------------------------------------


@pytest.mark.parametrize(
    ("broken", "finding", "words"),
    [
        ("target-as-url", "valid/event=fax_received::wire-schema", ["'target' is a required property", "'url'"]),
        ("no-page-received", "valid/event=fax_page_received::expressible", ["fax_page_received", "refused"]),
        ("swallow-errors", "response/400::error-surfaced", ["400", "reported success"]),
    ],
)
def test_broken_client_fails_and_the_finding_names_the_gap(
    shared_runs: SharedRuns, broken: str, finding: str, words: list[str]
) -> None:
    result, summary = gate_run(shared_runs, broken, "--sdk-driver", client(broken))
    assert result.returncode == 1 == summary["exit_code"] and summary["verdict"] == "fail", result.output
    found = fails(summary)
    assert finding in found, sorted(found)
    assert all(word in found[finding]["message"] for word in words), found[finding]["message"]
    assert f"FAIL [{finding.replace('::', ' :: ')}]" in result.stdout
    if broken == "swallow-errors":
        assert "response/500::error-surfaced" in found
    if broken == "no-page-received":  # the other events are unaffected
        assert not any(key.startswith(("valid/event=fax_sent", "valid/event=fax_received")) for key in found)
    repro = found[finding]["reproduction"]
    assert repro["driver_replay"].startswith('echo \'{"op": "register"')
    assert "127.0.0.1:8080" in repro["driver_replay"] and "mock-token" in repro["driver_replay"]
    results = [json.loads(p.read_text()) for p in (result.output_dir / "allure-results").glob("*-result.json")]
    family = finding.split("::")[0]
    assert [r["status"] for r in results if r["fullName"] == f"sdk-gate::{family}"] == ["failed"]


# --- (c) the published faxplus-api --------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(shared_runs: SharedRuns) -> tuple[CliResult, dict[str, Any]]:
    return gate_run(shared_runs, "faxplus-api", "--sdk-spec", PINNED)


def test_published_sdk_runs_end_to_end_and_reports_its_gaps(published: tuple[CliResult, dict[str, Any]]) -> None:
    result, summary = published
    assert summary["sdk"]["name"] == "faxplus-api" and summary["sdk"]["version"] == "3.0.5"
    assert summary["exit_code"] == result.returncode == (1 if summary["verdict"] == "fail" else 0)
    found, warned = fails(summary), warns(summary)
    # Observed on 3.0.5: the Webhook model has no `numbers`, so filtered webhooks (and numbers: null)
    # cannot be registered at all.
    assert set(found) == {"valid/numbers=list::expressible", "valid/numbers=null::expressible"}, sorted(found)
    for finding in found.values():
        assert "unexpected keyword argument 'numbers'" in finding["message"]
    # Typed-API gaps: fax_page_received is missing from WebhookEventType, Error only as raw bytes.
    assert "fax_page_received" in warned["valid/event=fax_page_received::typed-event"]["message"]
    assert "raw response body" in warned["response/400::typed-error"]["message"]
    # ... and `webhook.numbers = [...]` is accepted, then left out of the request.
    assert "dropped from the request body" in warned["valid/numbers=list::silent-drop"]["message"]
    # Against broken servers: a 200 without `id` makes the model setter raise a bare ValueError.
    assert "ValueError" in warned["server-fault/webhook-id-renamed::sdk-behaviour"]["message"]
    assert "server-fault/webhook-id-not-string::sdk-behaviour" in warned
    # What it can express, it puts on the wire faithfully and surfaces properly.
    families = summary["families"]
    for family in ("valid/event=fax_received", "valid/event=fax_sent", "valid/id", "response/200"):
        assert families[family]["fail"] == 0 and families[family]["cases"] >= 1
    assert families["valid/event=fax_page_received"]["fail"] == 0
    assert families["response/400"]["fail"] == families["response/500"]["fail"] == 0
    # The OAuth path works (ApiClient's default header), and only `target` is checked before sending.
    assert families["auth/oauth"] == {"cases": 1, "pass": 1, "warn": 0, "fail": 0}
    rows = {row["case"]: row for row in summary["sdk"]["client_validation"]}
    assert {case for case, row in rows.items() if not row["expressible"]} == {
        "numbers-pattern",
        "numbers-too-long",
        "numbers-empty",
    }
    assert {case for case, row in rows.items() if row["checked_client_side"]} == {"target-missing"}
    assert rows["event-unknown"]["server_status"] == 400


def test_published_sdk_reproduction_replays_the_gap(published: tuple[CliResult, dict[str, Any]]) -> None:
    """The Python snippet in the finding, run against a live mock with the cached SDK, fails the same way."""
    _, summary = published
    snippet = fails(summary)["valid/numbers=list::expressible"]["reproduction"]["sdk_call"]
    with MockServer(port=0) as mock:
        code = snippet.replace("http://127.0.0.1:8080/v3", mock.url)
        proc = subprocess.run(
            [sys.executable, "-S", "-c", code],
            env={**os.environ, "PYTHONPATH": str(install.cache_root() / install.resolve(PINNED)[1])},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode != 0 and "unexpected keyword argument 'numbers'" in proc.stderr, proc.stderr


# --- plumbing -----------------------------------------------------------------------------------------


def test_absent_and_null_are_the_same_on_the_wire() -> None:
    assert _corpus.without_nulls({"target": "t", "event": "fax_sent", "numbers": None}) == {
        "target": "t",
        "event": "fax_sent",
    }
    assert _corpus.without_nulls({"numbers": ["+12"]}) == {"numbers": ["+12"]}


def test_corpus_covers_every_event_and_numbers_shape() -> None:
    corpus = list(_corpus.iter_corpus(vendored(), "ci", None))
    assert corpus == list(_corpus.iter_corpus(vendored(), "ci", None))  # ci is deterministic
    families = {_corpus.family_of(w) for w in corpus}
    assert families >= {
        "valid/event=fax_received",
        "valid/event=fax_sent",
        "valid/event=fax_page_received",
        "valid/numbers=list",
        "valid/numbers=null",
        "valid/id",
    }
    nightly = _corpus.drawn_webhooks(vendored(), "nightly", seed=7)
    assert nightly == _corpus.drawn_webhooks(vendored(), "nightly", seed=7)  # a nightly seed replays
    assert len(nightly) > len(
        _corpus.drawn_webhooks(vendored(), "ci", seed=None)
    )  # the tier's own settings decide how many


def test_every_gate_check_is_registered_once_per_stage() -> None:
    assert set(_gate_checks.CHECKS["request"]) >= {"driver", "expressible", "wire-path", "wire-auth", "wire-body"}
    assert set(_gate_checks.CHECKS["answer"]) == {"result-id", "error-surfaced"}
    with pytest.raises(ValueError, match="registered twice"):
        _gate_checks.check("answer", "result-id")(lambda obs, token, contract: [])


def test_install_cache_keys(tmp_path: Path) -> None:
    assert install.resolve(None)[0] == "faxplus-api"
    assert install.resolve("faxplus-api==3.0.5")[1] != install.resolve("faxplus-api==3.0.4")[1]
    wheel = tmp_path / "faxplus_api-9.9.9rc1-py3-none-any.whl"
    wheel.write_bytes(b"one")
    target, key = install.resolve(str(wheel))
    assert target == str(wheel) and key.startswith("path-")
    wheel.write_bytes(b"two")  # a rebuilt release candidate is installed afresh
    assert install.resolve(str(wheel))[1] != key


def test_a_local_sdk_wheel_installs_in_the_suites_own_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate installs with the env's own pip: an env built by uv (tox-uv) has none unless the
    package depends on it. A wheel written here, so nothing comes from the network."""
    import zipfile

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    wheel = tmp_path / "tiny_sdk-1.0-py3-none-any.whl"
    files = {
        "tiny_sdk.py": "VERSION = '1.0'\n",
        "tiny_sdk-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tiny-sdk\nVersion: 1.0\n",
        "tiny_sdk-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr("tiny_sdk-1.0.dist-info/RECORD", "".join(f"{name},,\n" for name in [*files, "RECORD"]))
    where = install.install(str(wheel), say=lambda line: None)
    assert (where / "tiny_sdk.py").read_text() == "VERSION = '1.0'\n"
    assert where.is_relative_to(tmp_path / "cache")


def test_driver_crash_is_a_finding_and_the_driver_restarts() -> None:
    crashy = (
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    if json.loads(line)['op'] != 'hello': sys.exit(3)\n"
        "    print(json.dumps({'ok': True, 'sdk': 'crashy'}), flush=True)\n"
    )
    with Driver([sys.executable, "-c", crashy], timeout=10) as driver:
        assert driver.hello()["sdk"] == "crashy"
        first = driver.call({"op": "register", "base_url": "x", "token": "t", "webhook": {}})
        assert "exited with code 3" in first["crash"]
        assert driver.hello()["sdk"] == "crashy" and driver.restarts == 1


def test_a_driver_that_cannot_start_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("sdk", "--sdk-driver", str(tmp_path / "no-such-driver"), "--output-dir", tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "cannot start the SDK driver" in result.stderr
