"""`--spec FILE`: the whole suite against another version of the contract.

Each test writes a modified copy of the vendored spec (a new event, a new optional property,
`numbers` without `minItems`, `requestBody.required: true`). Under `--spec` the embedded mock
follows the new contract, so the run passes; a mock still serving the OLD contract fails on exactly
the change; spec lint and the families follow the file.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import cli_in_process, run_cli
from helpers.selections import A_FEW
from tiers import SYSTEM

from conformance.contract import load, vendored_path
from conformance.judge.lint import run_lints
from conformance.mock import MockServer
from conformance.strategies import FAMILIES

TOKEN = "spec-file-token-0123456789"
VENDORED: dict[str, Any] = yaml.safe_load(Path(vendored_path()).read_text(encoding="utf-8"))
Edit = Callable[[dict[str, Any]], None]


def _webhook(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]["Webhook"]


def new_event(doc: dict[str, Any]) -> None:
    doc["components"]["schemas"]["WebhookEventType"]["enum"].append("fax_failed")


def new_property(doc: dict[str, Any]) -> None:
    _webhook(doc)["properties"]["description"] = {"type": "string", "maxLength": 140, "description": "a note"}


def numbers_without_min_items(doc: dict[str, Any]) -> None:
    del _webhook(doc)["properties"]["numbers"]["minItems"]


def body_required(doc: dict[str, Any]) -> None:
    doc["components"]["requestBodies"]["Webhook"]["required"] = True


def write_spec(folder: Path, *edits: Edit) -> Path:
    doc = copy.deepcopy(VENDORED)
    for edit in edits:
        edit(doc)
    doc["info"]["version"] = "3.5.0-rc1"
    path = folder / "register-webhook.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def summary(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


# --- in-process: what each change does to lint and to the families -----------------------------


def test_body_required_silences_its_lint(tmp_path: Path) -> None:
    before = {name for name, _ in run_lints(load(vendored_path()))}
    after = {name for name, _ in run_lints(load(str(write_spec(tmp_path, body_required))))}
    assert "optional-request-body" in before
    assert before - after == {"optional-request-body"}


def test_numbers_without_min_items_makes_numbers_empty_moot(tmp_path: Path) -> None:
    contract = load(str(write_spec(tmp_path, numbers_without_min_items)))
    family = FAMILIES["numbers-empty"]
    assert family.not_applicable(load(vendored_path())) is None
    reason = family.not_applicable(contract)
    assert reason is not None and "numbers:minItems" in reason and "\n" not in reason
    others = [f.name for f in FAMILIES if f.name != "numbers-empty" and f.not_applicable(contract)]
    assert others == [], "only the family of the dropped rule is skipped"


def test_facts_are_read_from_the_file(tmp_path: Path) -> None:
    contract = load(str(write_spec(tmp_path, new_event, new_property)))
    assert contract.events[-1] == "fax_failed" and "description" in contract.webhook_properties
    assert contract.is_valid("Webhook", {"target": "https://a.example", "event": "fax_failed", "description": "x"})
    assert not load(vendored_path()).is_valid("Webhook", {"target": "https://a.example", "event": "fax_failed"})


# --- usage errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "mock", "sdk"])
def test_spec_without_post_hooks_is_a_usage_error(tmp_path: Path, command: str) -> None:
    doc = copy.deepcopy(VENDORED)
    doc["paths"] = {"/accounts/self": doc["paths"]["/hooks"]}
    spec = tmp_path / "other.yaml"
    spec.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = run_cli(command, "--spec", spec)
    assert result.returncode == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "has no POST /hooks" in lines[0], result.output


def test_missing_spec_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("run", "--spec", tmp_path / "nope.yaml")
    assert result.returncode == 2 and "nope.yaml does not exist" in result.stderr, result.output


# --- end to end --------------------------------------------------------------------------------


def test_the_embedded_mock_follows_the_new_contract(tmp_path: Path) -> None:
    """All four changes at once: the embedded mock serves them, so the run passes; the moot family
    is skipped with its reason, and the lint the change fixed is gone."""
    spec = write_spec(tmp_path, new_event, new_property, numbers_without_min_items, body_required)
    out = tmp_path / "out"
    result = cli_in_process("run", "--spec", spec, "--output-dir", out, "--no-html", "--shrink-budget", "0")
    assert result.returncode == 0, result.output
    data = summary(out)
    assert data["contract"]["version"] == "3.5.0-rc1" and data["contract"]["spec"] == str(spec.resolve())
    assert list(data["skipped_families"]) == ["numbers-empty"]
    assert "skip numbers-empty" in result.stdout
    assert "optional-request-body" not in {f["check"] for f in data["findings"]}
    assert f"--spec {spec.resolve()}" in data["replay"]


def test_two_runs_in_one_process_each_follow_their_own_spec(tmp_path: Path) -> None:
    """The contract is a value a run carries, not process state: in one process, a run under a
    `--spec` without `minItems` (its mock accepts `numbers: []`, its moot family is skipped), then a
    run under the vendored contract (its mock rejects it again, and no family is skipped), then the
    first spec again; each sees its own contract, whatever ran before. The three share one case
    cache: the third replays what the first drew (the cache is keyed by the contract too).

    `A_FEW` tells the two contracts apart either way: a run judging by another contract than its mock
    serves fails the valid Webhooks (`numbers: []` is one under the new spec) or `numbers-empty` (a rule
    under the vendored one), and a run that read the other contract skips `numbers-empty`, or does not."""
    spec = write_spec(tmp_path, numbers_without_min_items)
    code = textwrap.dedent(f"""
        import json
        from pathlib import Path
        import conformance
        runs = []
        for i, spec in enumerate([{str(spec)!r}, None, {str(spec)!r}]):
            out = Path({str(tmp_path)!r}) / f"run-{{i}}"
            out.mkdir()
            target = conformance.Target(
                spec=Path(spec) if spec else None, output_dir=out, shrink_budget=0,
                cache_dir=Path({str(tmp_path / "cache")!r}), select={A_FEW!r},
            )
            result = conformance.run(target)
            contract = result.document["contract"]
            skipped = list(result.document["skipped_families"])
            runs.append([result.exit_code, contract["version"], contract["spec"], skipped])
        print("RUNS", json.dumps(runs))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAXPLUS_")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    line = next((line for line in proc.stdout.splitlines() if line.startswith("RUNS ")), None)
    assert line is not None, proc.stdout[-2000:] + proc.stderr[-3000:]
    new = [0, "3.5.0-rc1", str(spec.resolve()), ["numbers-empty"]]
    assert json.loads(line[len("RUNS ") :]) == [new, [0, VENDORED["info"]["version"], None, []], new]


@pytest.mark.parametrize(
    ("edit", "sent"),
    [
        pytest.param(new_event, '"event": "fax_failed"', id="new-event"),
        pytest.param(new_property, '"description": ', id="new-property", marks=SYSTEM),
        pytest.param(numbers_without_min_items, '"numbers": []', id="numbers-without-minItems", marks=SYSTEM),
    ],
)
def test_a_mock_of_the_old_contract_fails_on_the_change(tmp_path: Path, edit: Edit, sent: str) -> None:
    """The run follows the new file; a server still on the old contract rejects what it now allows."""
    out = tmp_path / "out"
    with MockServer(token=TOKEN) as old:
        result = cli_in_process(
            "run",
            *("--spec", write_spec(tmp_path, edit), "--base-url", old.url, "--token", TOKEN),
            *("--output-dir", out, "--no-html", "--shrink-budget", "0"),
        )
    assert result.returncode == 1, result.output
    fails = [f for f in summary(out)["findings"] if f["verdict"] == "fail"]
    assert fails and {f["category"] for f in fails} == {"valid payload rejected"}
    assert any(sent in f["reproduction"]["request_body"] for f in fails), [f["reproduction"] for f in fails]


def test_mock_command_serves_the_new_contract(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, new_event)
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance", "mock", "--port", "0", "--token", TOKEN, "--spec", spec],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "3.5.0-rc1" in line, line
        url = line.split("reference mock on ", 1)[1].split(" ", 1)[0]
        answer = httpx.post(
            f"{url}/hooks",
            json={"target": "https://hooks.example.com/x", "event": "fax_failed"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "maxLength": 140},
        {"type": "string", "pattern": "^[a-z]{3,8}\\Z", "minLength": 3},
        {"type": ["integer", "null"], "minimum": 1, "maximum": 9},
        {"type": "array", "items": {"type": "boolean"}, "minItems": 1},
        {"enum": ["low", "high"]},
    ],
    ids=["string", "pattern", "nullable-int", "array", "enum"],
)
def test_a_new_property_is_drawn_from_its_schema(schema: dict[str, Any]) -> None:
    import jsonschema
    from hypothesis import given, settings

    from conformance.strategies._schema_values import NO_VALUE, sample_value, values_of

    validator = jsonschema.Draft7Validator(schema)

    @settings(max_examples=30, deadline=None, database=None)
    @given(values_of(schema))
    def drawn_are_valid(value: Any) -> None:
        assert validator.is_valid(value), value

    drawn_are_valid()
    plain = sample_value(schema)
    assert plain is NO_VALUE or validator.is_valid(plain)


def test_the_sdk_gate_follows_the_new_contract(tmp_path: Path) -> None:
    """A client with the old event list built in refuses the new event: a release-blocking gap."""
    driver = f"{sys.executable} {Path(__file__).parent / 'sdk_clients' / 'conformant.py'}"
    spec = write_spec(tmp_path, new_event)
    out = tmp_path / "out"
    result = run_cli("sdk", "--sdk-driver", driver, "--spec", spec, "--no-html", "--output-dir", out, timeout=240)
    assert result.returncode == 1, result.output
    data = summary(out)
    assert data["contract"]["spec"] == str(spec.resolve())
    fails = [f for f in data["findings"] if f["verdict"] == "fail"]
    assert "valid/event=fax_failed" in {f["family"] for f in fails}, fails
