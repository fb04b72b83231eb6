"""What the SDK gate asks an SDK to register: every kind of valid Webhook, fixed edges first, then
drawn with the tier's own Hypothesis settings (derandomized in the ci tier, seeded in the nightly),
all of them valid under the contract the gate is given.

>>> family_of({"target": "https://x.example/", "event": "fax_sent", "numbers": None})
'valid/numbers=null'
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hypothesis import given
from hypothesis import seed as with_seed

from conformance.contract import Contract
from conformance.strategies import webhooks
from conformance.tiers import TIERS


def edge_webhooks(contract: Contract) -> list[dict[str, Any]]:
    """Each event of `contract` alone, then `numbers` as a list (both length boundaries), as null, and an `id`."""
    out: list[dict[str, Any]] = [
        {"target": f"https://example.com/sdk-gate/{event}", "event": event} for event in contract.events
    ]
    out += [
        {"target": "https://example.com/sdk-gate/one-number", "event": "fax_received", "numbers": ["+12135550123"]},
        {"target": "https://example.com/sdk-gate/bounds", "event": "fax_sent", "numbers": ["+12", "+123456789012345"]},
        {"target": "https://example.com/sdk-gate/null", "event": "fax_page_received", "numbers": None},
        {"target": "https://example.com/sdk-gate/id", "event": "fax_sent", "id": "0123456789abcdef01234567"},
    ]
    return out


# Invalid Webhooks, one rule broken each: does the SDK check the rule client-side or leave it to the server?
# Either is conformant (the server answers 400), so the gate only describes it (summary.json sdk.client_validation).
_HOOK = {"target": "https://example.com/sdk-gate/invalid", "event": "fax_sent"}
INVALID: dict[str, dict[str, Any]] = {
    "numbers-pattern": {**_HOOK, "numbers": ["12135550123"]},  # no leading +
    "numbers-too-long": {**_HOOK, "numbers": ["+1234567890123456"]},  # 17 characters, maxLength 16
    "numbers-empty": {**_HOOK, "numbers": []},  # minItems 1
    "event-unknown": {**_HOOK, "event": "fax_deleted"},  # not in WebhookEventType
    "target-missing": {"event": "fax_sent"},  # target is required
}


def drawn_webhooks(contract: Contract, tier: str, *, seed: int | None) -> list[dict[str, Any]]:
    """The tier's `valid_examples` Webhooks from conformance.strategies.webhooks(contract), without duplicates."""
    settings = TIERS[tier]  # type: ignore[index]
    out: list[dict[str, Any]] = []

    @settings.hypothesis(settings.valid_examples)
    @given(webhooks(contract))
    def collect(webhook: dict[str, Any]) -> None:
        out.append(webhook)

    (collect if settings.derandomize or seed is None else with_seed(seed)(collect))()
    unique = {json.dumps(w, sort_keys=True): w for w in out}
    return list(unique.values())[: settings.valid_examples]


def iter_corpus(contract: Contract, tier: str, seed: int | None) -> Iterator[dict[str, Any]]:
    yield from edge_webhooks(contract)
    yield from drawn_webhooks(contract, tier, seed=seed)


def family_of(webhook: dict[str, Any]) -> str:
    if "numbers" in webhook:
        return "valid/numbers=null" if webhook["numbers"] is None else "valid/numbers=list"
    if "id" in webhook:
        return "valid/id"
    return f"valid/event={webhook['event']}"


def without_nulls(value: Any) -> Any:
    """The gate's reading of absent vs null: a null-valued key is the same as an absent one."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value
