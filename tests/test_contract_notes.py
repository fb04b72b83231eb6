"""Contract notes are not server verdicts: what the contract itself leaves open (spec lint) is
reported beside the verdict, for the contract's authors, and a server that follows the contract
exactly gets `pass`. `--contract-notes-warn` counts them as warns, as the suite once did."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import cli_in_process

import conformance
from conformance.contract import vendored
from conformance.judge import Verdict
from conformance.judge.lint import run_lints
from conformance.mock import MockServer
from conformance.report import console, outputs

VENDORED = vendored()  # the contract these tests judge by

TOKEN = "contract-notes-token-5d2a"


def run(mock: MockServer, out: Path, **target: object) -> conformance.RunResult:
    return conformance.run(
        conformance.Target(base_url=mock.url, token=TOKEN, output_dir=out, shrink_budget=0, **target),  # type: ignore[arg-type]
        reporters=outputs.reporters(allure=False),
    )


def test_a_faithful_server_passes_and_the_notes_stand_beside_the_verdict(tmp_path: Path) -> None:
    lints = run_lints(VENDORED)
    assert lints, "the vendored contract has gaps to note"
    with MockServer(token=TOKEN) as mock:
        result = run(mock, tmp_path)
    assert (result.verdict, result.exit_code) == (Verdict.PASS, 0)
    data = json.loads((tmp_path / "summary.json").read_text())
    assert data["verdict"] == "pass" and data["exit_code"] == 0
    assert [(n["check"], n["message"]) for n in data["contract_notes"]] == [(c, m) for c, m in lints]
    assert not [f for f in data["findings"] if f["family"] == "spec-lint"], "a note is not a finding"
    assert data["counts"]["cases"] == data["requests"], "nothing but an exchange is a case"
    text = console.summary(result)
    assert text.splitlines()[0].startswith("pass")
    assert f"contract notes: {len(lints)} gap(s) of the contract itself, not the server's verdict" in text
    md = (tmp_path / "summary.md").read_text()
    assert md.splitlines()[0].count("**pass**") == 1
    assert f"## Contract notes ({len(lints)}: about the contract, not the server's verdict)" in md
    assert all(message in md for _, message in lints)


def test_notes_never_hide_what_the_server_breaks(tmp_path: Path) -> None:
    from conformance.mock import FAULTS

    with MockServer(token=TOKEN, fault=FAULTS["numbers-min-items-ignored"]) as mock:
        result = run(mock, tmp_path)
    assert (result.verdict, result.exit_code) == (Verdict.FAIL, 1)
    assert result.document["contract_notes"], "the notes are there whatever the verdict"


def test_contract_notes_warn_counts_them_as_warns_on_the_cli(tmp_path: Path) -> None:
    with MockServer(token=TOKEN) as mock:
        proc = cli_in_process(
            "run", "--base-url", mock.url, "--no-html", "--shrink-budget", "0", "--output-dir", tmp_path,
            "--contract-notes-warn", env={"FAXPLUS_TOKEN": TOKEN},
        )  # fmt: skip
    data = json.loads((tmp_path / "summary.json").read_text())
    assert proc.returncode == 0 == data["exit_code"], proc.output[-1500:]
    assert data["verdict"] == "warn"
    spec_lint = {f["check"] for f in data["findings"] if f["family"] == "spec-lint"}
    assert spec_lint == {n["check"] for n in data["contract_notes"]}
    assert all(f["verdict"] == "warn" for f in data["findings"])
    assert proc.stdout.splitlines()[-1].startswith("warn")
