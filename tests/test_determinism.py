"""The ci tier gates releases, so it must give the same verdict every run: consecutive runs
against the same faulty server report the same findings, counts and cases — drawn afresh or replayed
from the case cache, sent one at a time or many at once, from this process or the Courier's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli_in_process
from tiers import SYSTEM

from conformance.mock import FAULTS, MockServer

TOKEN = "determinism-token"


def fingerprint(out: Path) -> tuple:
    data = json.loads((out / "summary.json").read_text())
    findings = sorted(
        (f["id"], f["verdict"], f["occurrences"], f["reproduction"]["request_body"]) for f in data["findings"]
    )
    return data["verdict"], data["counts"]["cases"], json.dumps(data["families"], sort_keys=True), tuple(findings)


# Each run of the six differs in how its cases are produced and sent; none may change a finding.
MODES = (
    ("--concurrency", "1", "--no-case-cache"),  # today's sequential run, drawn afresh
    (),  # the default: 8 in flight; draws, and records into the (empty) cache
    (),  # replays the cache, every case sent ahead of its test
    ("--concurrency", "3"),
    ("--concurrency", "8", "--no-case-cache"),
    ("--no-cleanup",),  # replays the cache through the Courier (a process of its own sends)
)


# In the gate: drawn afresh at 8 in flight (and recorded), then replayed through the Courier.
GATE = (MODES[1], MODES[5])


@pytest.mark.parametrize("modes", [pytest.param(GATE, id="two"), pytest.param(MODES, id="six", marks=SYSTEM)])
def test_ci_tier_gives_the_same_verdict_run_after_run(modes: tuple[tuple[str, ...], ...], tmp_path: Path) -> None:
    prints = []
    cache = tmp_path / "cache"
    with MockServer(token=TOKEN, fault=FAULTS["numbers-pattern-unanchored"]) as mock:
        for i, mode in enumerate(modes):
            out = tmp_path / str(i)
            result = cli_in_process(
                "run",
                "--base-url",
                mock.url,
                "--no-html",
                "--output-dir",
                out,
                "--cache-dir",
                cache,
                *mode,
                env={"FAXPLUS_TOKEN": TOKEN},
            )
            assert result.returncode == 1, result.output[-1500:]
            prints.append(fingerprint(out))
            recorded = any("--no-case-cache" not in m for m in modes[: i + 1])  # a run so far used the cache
            assert bool(list(cache.glob("cases-*.json"))) == recorded
    assert prints[0][0] == "fail"
    assert all(p == prints[0] for p in prints), "the ci tier sent different cases or judged them differently"
