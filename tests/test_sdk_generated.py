"""Generated SDKs as gate candidates (`faxplus-conformance sdk --generate NAME`), Python side.

Each client is generated from the vendored contract on first use and cached under
~/.cache/faxplus-conformance/sdk/ (the generator's PyPI wheel, Java for openapi-generator, pip for the
client's dependencies); later runs reuse it. The findings pinned here were audited by hand against the
generated code (docs/sdk-gate.md, "What the generators get right and wrong"). The broken client is
openapi-generator's with one line changed, gated from a folder with `--sdk-spec`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from conftest import SharedRuns, run_cli
from helpers.sdk_runs import fails, gate_run, warns
from tiers import SYSTEM

from conformance.contract import vendored_path
from conformance.sdk import generate as generated
from conformance.sdk.install import install
from conformance.sdk.protocol import python_driver

pytestmark = SYSTEM  # real stacks, installed and started by the tests: `tox -e system`

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="openapi-generator needs Java")

# What every generated client gets right about this contract: every event, numbers as a list and as null
# (the Webhook's nullable array), a client id, the OAuth client id header, a 200's id, and the status
# and Error fields of a 400 and a 500.
RIGHT = ("valid/numbers=null", "valid/numbers=list", "valid/id", "auth/oauth", "response/200", "response/400")

# What each gets wrong, audited: the warns of a run (no fails).
AUDITED = {
    "python": {  # openapi-generator 7.26.0, pydantic models: a 200 that is not a WebhookId raises a bare
        # pydantic ValidationError (no status); an undocumented 201 gives None as the result.
        "server-fault/rejection-200::sdk-behaviour",
        "server-fault/success-201::sdk-behaviour",
        "server-fault/success-content-type-text::sdk-behaviour",
        "server-fault/webhook-id-not-string::sdk-behaviour",
        "server-fault/webhook-id-renamed::sdk-behaviour",
    },
    "openapi-python-client": {  # 0.29.1, attrs models: errors are returned, not raised; a numeric id
        # passes unchecked; a non-JSON error body or a WebhookId without id escape as JSONDecodeError/KeyError.
        "response/400::typed-error",
        "server-fault/error-not-json::sdk-behaviour",
        "server-fault/rejection-200::sdk-behaviour",
        "server-fault/success-201::sdk-behaviour",
        "server-fault/webhook-id-not-string::sdk-behaviour",
        "server-fault/webhook-id-renamed::sdk-behaviour",
    },
}


# Which rules each checks before sending (the rest reach the server, which answers 400): openapi-generator's
# pydantic models check lengths, the enum and `target`, but drop the items' pattern; openapi-python-client
# checks only a required argument, and its enum-typed model cannot carry an unknown event at all.
CLIENT_SIDE = {
    "python": {"numbers-too-long", "numbers-empty", "event-unknown", "target-missing"},
    "openapi-python-client": {"target-missing"},
}
INEXPRESSIBLE = {"python": set(), "openapi-python-client": {"event-unknown"}}


@pytest.mark.parametrize("name", sorted(AUDITED))
def test_generated_python_client_passes_with_its_audited_warnings(shared_runs: SharedRuns, name: str) -> None:
    if generated.GENERATORS[name].command is generated._openapi_generator and shutil.which("java") is None:
        pytest.skip("openapi-generator needs Java")
    result, summary = gate_run(shared_runs, f"generated-{name}", "--generate", name)
    assert result.returncode == 0 == summary["exit_code"] and summary["verdict"] == "warn", result.output
    sdk = summary["sdk"]
    assert sdk["language"] == "python" and sdk["name"] == "faxplus_generated"
    assert sdk["generator"]["name"] == name and sdk["generator"]["spec_sha256"]
    assert summary["replay"] == f"faxplus-conformance sdk --tier ci --generate {name}"
    assert not fails(summary)
    for family in RIGHT:
        row = summary["families"][family]
        assert row["fail"] == 0 and row["cases"] >= 1, (family, row)
    assert set(warns(summary)) == AUDITED[name]
    rows = sdk["client_validation"]
    assert {row["case"] for row in rows if row["checked_client_side"]} == CLIENT_SIDE[name]
    assert {row["case"] for row in rows if not row["expressible"]} == INEXPRESSIBLE[name]
    assert {row["server_status"] for row in rows if row["expressible"] and not row["checked_client_side"]} == {400}
    assert "sync_detailed" in summary["findings"][0]["reproduction"]["sdk_call"] or name != "openapi-python-client"


SWALLOW_400 = (
    "if not 200 <= response_data.status <= 299:",
    "if not 200 <= response_data.status <= 299 and response_data.status != 400:",  # the break
)


@needs_java
def test_a_python_client_that_swallows_a_400_is_blocked(shared_runs: SharedRuns, tmp_path_factory) -> None:
    """openapi-generator's client, installed (cached), copied and broken in one line; gated through its driver."""
    source, _ = generated.generate(generated.GENERATORS["python"], Path(vendored_path()), say=lambda line: None)
    site = tmp_path_factory.mktemp("python-broken") / "site"
    shutil.copytree(install(str(source), say=lambda line: None), site)
    client = site / "faxplus_generated" / "api_client.py"
    text = client.read_text(encoding="utf-8")
    assert SWALLOW_400[0] in text, "the generator's error path changed: update the break"
    client.write_text(text.replace(*SWALLOW_400), encoding="utf-8")
    command, env = python_driver(site, sys.executable, "openapi_generator_python.py")
    driver = f"env PYTHONPATH={env['PYTHONPATH']} {' '.join(command)}"
    result, summary = gate_run(shared_runs, "generated-python-swallows-400", "--sdk-driver", driver)
    assert result.returncode == 1 and summary["verdict"] == "fail", result.output
    found = fails(summary)
    assert set(found) == {"response/400::error-surfaced"}, sorted(found)
    assert "reported success" in found["response/400::error-surfaced"]["message"]
    snippet = found["response/400::error-surfaced"]["reproduction"]["sdk_call"]
    assert "api.create_webhook(webhook=faxplus_generated.Webhook(" in snippet


def test_generate_without_java_is_one_line(tmp_path: Path) -> None:
    result = run_cli("sdk", "--generate", "python", "--output-dir", tmp_path, env={"PATH": str(tmp_path)}, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "needs a Java runtime" in result.stderr and "openjdk" in result.stderr


def test_generated_clients_are_cached_by_generator_version_and_spec(tmp_path: Path, monkeypatch) -> None:
    gen = generated.GENERATORS["typescript-axios"]
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(Path(vendored_path()).read_bytes())
    calls: list[Path] = []
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(generated, "install", lambda *a, **k: tmp_path)

    def fake(g, site, spec_file, out):  # a generator that only records that it ran
        calls.append(spec_file)
        return ["sh", "-c", f"mkdir -p {out}"]

    monkeypatch.setattr(generated, "_java", lambda: "java")
    fake_gen = generated.Generator(gen.name, gen.language, gen.tool, fake, options=gen.options)
    first = generated.generate(fake_gen, spec)
    assert generated.generate(fake_gen, spec) == first and len(calls) == 1  # cached
    spec.write_bytes(spec.read_bytes() + b"\n# another contract\n")
    assert generated.generate(fake_gen, spec)[0] != first[0] and len(calls) == 2  # new spec bytes, new client
    newer = generated.Generator(gen.name, gen.language, gen.tool.replace("7.26.0", "7.27.0"), fake, options=gen.options)
    assert generated.generate(newer, spec)[0] != first[0] and len(calls) == 3  # new generator version
