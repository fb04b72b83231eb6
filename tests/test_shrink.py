"""Minimal reproductions and root-cause groups, end to end against a server with two defects.

The server below rejects valid Webhooks whose target has a query string and those with more than
5 numbers: two root causes, which the suite must report as two groups, each reproduced by the
smallest Webhook that still fails and named by what sets it apart, the same every run.

Both defects are in valid Webhooks, so the runs select the valid-space tests only (`SHRINKS`): their
cases reach both, and `valid-events`, `valid-ids` and `valid-targets` all send targets with a query
string, so one cause still gathers several families (a whole run finds the same two groups).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli_in_process

from conformance.mock import MockServer
from conformance.mock._behaviour import Context, validate_webhook
from conformance.mock._fault import Fault
from conformance.mock._reply import Reply, Request, error_reply

TOKEN = "shrink-token-4b9d"
SHRINKS = "test_valid_space_is_registered"  # valid-numbers, -events, -targets, -ids: ~110 requests of ~1,100


def picky(request: Request, ctx: Context) -> Reply | None:
    body = ctx.body
    if isinstance(body, dict) and isinstance(body.get("target"), str) and "?" in body["target"]:
        return error_reply(400, "invalid_target", "query strings are not supported")
    if isinstance(body, dict) and isinstance(body.get("numbers"), list) and len(body["numbers"]) > 5:
        return error_reply(400, "too_many_numbers", "at most 5 numbers")
    return validate_webhook(request, ctx)


PICKY = Fault("picky", "query strings and long number lists rejected", frozenset(), stages={"validate": picky})


def run(out: Path, *extra: str) -> dict:
    with MockServer(token=TOKEN, fault=PICKY) as mock:
        result = cli_in_process(
            *("run", "--base-url", mock.url, "--no-html", "--output-dir", out, "-k", SHRINKS, *extra),
            env={"FAXPLUS_TOKEN": TOKEN},
        )
        assert mock.store.all() == [], "webhooks registered while shrinking are cleaned up too"
    assert result.returncode == 1, result.output[-2000:]
    return json.loads((out / "summary.json").read_text())


def fail_groups(summary: dict) -> dict[str, dict]:
    return {g["title"]: g for g in summary["groups"] if g["verdict"] == "fail"}


@pytest.fixture(scope="module")
def summaries(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    return [run(tmp_path_factory.mktemp(f"shrink-{i}")) for i in range(2)]


def test_two_defects_are_two_groups_named_by_what_sets_them_apart(summaries):
    groups = fail_groups(summaries[0])
    assert set(groups) == {
        "rejected a realistic valid Webhook with 400 — target has a query string",
        "rejected a realistic valid Webhook with 400 — numbers has 6 items",
    }
    assert len(groups["rejected a realistic valid Webhook with 400 — target has a query string"]["families"]) >= 2


def test_each_group_is_reproduced_by_its_smallest_failing_webhook(summaries):
    groups = fail_groups(summaries[0])
    query = json.loads(
        groups["rejected a realistic valid Webhook with 400 — target has a query string"]["reproduction"][
            "request_body"
        ]
    )
    numbers = json.loads(
        groups["rejected a realistic valid Webhook with 400 — numbers has 6 items"]["reproduction"]["request_body"]
    )
    assert set(query) == {"target", "event"} and query["target"].count("=") == 1  # one query parameter left
    assert set(numbers) == {"target", "event", "numbers"} and len(numbers["numbers"]) == 6
    finding = next(f for f in summaries[0]["findings"] if f["id"] == "valid-numbers::status")
    assert finding["shrunk"] and finding["distinction"] == "rejected: numbers has 6 items"


def test_the_ci_tier_shrinks_to_the_same_reproduction_every_run(summaries):
    first, second = ({t: g["reproduction"]["request_body"] for t, g in fail_groups(s).items()} for s in summaries)
    # Run domains differ per run (run-<hex>.example.com); everything else must be identical.
    normalise = lambda body: json.dumps({k: v for k, v in json.loads(body).items() if k != "target"})  # noqa: E731
    assert {t: normalise(b) for t, b in first.items()} == {t: normalise(b) for t, b in second.items()}


def test_shrinking_can_be_turned_off(tmp_path: Path):
    summary = run(tmp_path, "--shrink-budget", "0")
    assert not any(f["shrunk"] for f in summary["findings"])
    # Without shrinking nothing tells the two causes apart: one group of rejected valid Webhooks.
    assert set(fail_groups(summary)) == {"rejected a realistic valid Webhook with 400"}
