"""Allure labels of a suite test: epic / feature / story, severity that follows the finding,
a title in plain words (what was sent, what was expected), parameters (family, tier, seed) and,
in the nightly tier, what it takes to reproduce the Hypothesis examples."""

from __future__ import annotations

from typing import TYPE_CHECKING

import allure

from conformance.judge import Kind, Verdict
from conformance.strategies import FAMILIES

if TYPE_CHECKING:
    import pytest

    from conformance.suite._probe import Probe

SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")

# What the contract (or the policy, where it is silent) expects, by Kind.
EXPECTED = {
    Kind.VALID: "200 + WebhookId",
    Kind.VALID_EDGE: "200 + WebhookId (a 4xx tolerated as stricter than the schema on an exotic value)",
    Kind.INVALID: "400 + Error",
    Kind.NOT_JSON: "400 + Error",
    Kind.LENIENT: "400 + Error (accepting it is lenient parsing: a warn)",
    Kind.NO_BODY: "400 + Error",
    Kind.WRONG_MEDIA_TYPE: "400 + Error (or 415)",
    Kind.NO_CREDENTIALS: "401 or 403",
    Kind.WRONG_CREDENTIALS: "401 or 403",
    Kind.REFUSED_CREDENTIALS: "401 or 403",
    Kind.CREDENTIALS_VARIANT: "200 + WebhookId (RFC 7235: schemes are case-insensitive)",
    Kind.OVER_LIMITS: "400 + Error (or another 4xx: 413, 415, 431; never a 5xx or no answer)",
    Kind.LIMITS_ENVELOPE: "200 + WebhookId, or a 4xx (a stack's header limit); never a 5xx or no answer",
    Kind.REPEATED_HEADER: "a 4xx (a 200 is tolerated: a warn); never a 5xx or no answer",
}

# Plain words for the families the suite sends itself (the strategies' families describe themselves).
SENT = {
    "valid-webhook": "a realistic, schema-valid Webhook",
    "schemathesis-positive": "schemathesis-generated schema-valid Webhooks",
    "schemathesis-negative": "schemathesis-generated schema-breaking requests",
    "no-credentials": "a valid Webhook without credentials",
    "wrong-credentials": "a valid Webhook with a token the server never issued",
    "wrong-media-type": "a valid Webhook declared as text/plain",
    "valid-numbers": "realistic Webhooks with 1 to 100 numbers, duplicates and mixed lengths",
    "valid-events": "every event with and without `numbers`",
    "valid-targets": "realistic targets: ports, deep paths, encoded queries, IP and punycode hosts, up to 2,048 chars",
    "valid-ids": "client ids in several shapes (hex, UUID, digits, slug)",
    "exotic-webhook": "schema-valid values no client sends (non-URL targets, over-long URLs, bodies over 64 KB)",
    "surrogate-in-target": "a target with an escaped lone surrogate (legal JSON, exotic)",
}


def describe(family: str) -> str:
    from conformance.strategies import CREDENTIALS, ENVELOPES

    if family in SENT:
        return SENT[family]
    for catalogue in (ENVELOPES, CREDENTIALS):
        entry = catalogue.get(family)
        if entry is not None:
            return entry.description
    try:
        return FAMILIES[family].description
    except KeyError:
        return family


def title(families: list[str], kinds: list[Kind], cases: int) -> str:
    expected = " / ".join(dict.fromkeys(EXPECTED[k] for k in kinds)) or "no case sent"
    what = "; ".join(f"{f}: {describe(f)}" for f in families)
    return f"{what} → expect {expected} ({cases} case{'s' if cases != 1 else ''})"


def label_test(item: pytest.Item, probe: Probe) -> None:
    families = sorted({r.family for r in probe.results}) or [item.name]
    kinds = sorted({r.kind for r in probe.results}, key=list(Kind).index)
    violations = [v for r in probe.results for v in r.violations]
    target = probe.session.target
    allure.dynamic.epic("API")
    allure.dynamic.feature("POST /hooks")
    for family in families:
        allure.dynamic.story(family)
    worst = min((SEVERITIES.index(v.severity) for v in violations), default=SEVERITIES.index("normal"))
    allure.dynamic.severity(SEVERITIES[worst])
    allure.dynamic.parameter("family", ", ".join(families))
    allure.dynamic.parameter("tier", target.tier)
    allure.dynamic.parameter("seed", "derandomized" if probe.session.seed is None else str(probe.session.seed))
    allure.dynamic.title(title(families, kinds, len(probe.results)))
    for rule in sorted({v.rule for v in violations if v.rule is not None and v.verdict is not Verdict.PASS}):
        allure.dynamic.label("rule", rule.id)  # the rule of the contract a finding's cause names
    if probe.verdict is Verdict.WARN:
        allure.dynamic.tag("warn")
    if target.tier == "nightly" and probe.verdict is not Verdict.PASS:
        allure.attach(reproduce(item, probe), name="reproduce (nightly)", attachment_type=allure.attachment_type.TEXT)


def reproduce(item: pytest.Item, probe: Probe) -> str:
    """The seed replays the whole run; the node id narrows pytest to this one test."""
    seed = probe.session.seed
    return (
        f"The nightly tier draws its examples from seed {seed}; the same seed sends the same examples.\n\n"
        f"Whole run:\n  faxplus-conformance run --tier nightly --seed {seed} --base-url <URL>\n\n"
        f"This test only:\n  pytest --pyargs conformance.suite --tier nightly --seed {seed} --base-url <URL> "
        f'-k "{item.name}"\n\n'
        "Each finding's curl line replays its exchange without Hypothesis at all."
    )
