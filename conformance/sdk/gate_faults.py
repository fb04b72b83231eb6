"""Server behaviours the SDK gate needs on demand, built from the mock's Fault machinery.

A valid Webhook is always registered by the faithful mock, so the documented 400 and 500
replies, and the catalogue's faults that only touch rejections, need a mock that rejects valid
input: `forced(status)` replaces the mock's validate stage with a fixed Error reply.
"""

from __future__ import annotations

from conformance.mock import FAULTS, Fault, Stage, error_reply

ERRORS = {
    400: ("invalid_webhook", "rejected on purpose by the SDK gate"),
    500: ("internal_server_error", "An unexpected error happened, please contact support"),
}

# Catalogue faults that bend a success (WebhookId) reply, and ones that bend a rejection (Error).
SUCCESS_FAULTS = (
    "webhook-id-extra-keys",
    "webhook-id-not-string",
    "webhook-id-renamed",
    "success-201",
    "success-content-type-text",
    "success-no-content-type",
)
REJECTION_FAULTS = (
    "error-extra-keys",
    "error-renamed-fields",
    "error-wrong-types",
    "error-not-json",
    "error-content-type-html",
    "rejection-200",
    "rejection-409",
    "reset-on-invalid",
)


def _answer(status: int) -> Stage:
    error, description = ERRORS[status]
    return lambda request, ctx: error_reply(status, error, description)


def forced(status: int) -> Fault:
    """A mock that answers every authenticated, well-formed registration with `status` + Error."""
    return Fault(
        f"sdk-gate-{status}",
        f"answers every registration with {status} and a documented Error (gate only)",
        frozenset({"sdk"}),
        stages={"validate": _answer(status)},
    )


def on_rejection(fault: Fault) -> Fault:
    """`fault` applied to a rejection of a valid Webhook (the gate's forced 400)."""
    return Fault(
        fault.name,
        fault.description,
        fault.caught_by,
        schema=fault.schema,
        stages={**fault.stages, "validate": _answer(400)},
        reply=fault.reply,
    )


def server_faults() -> list[tuple[Fault, str]]:
    """(fault ready to serve, side) for every catalogue fault the gate shows SDK authors."""
    out = [(FAULTS[name], "success") for name in SUCCESS_FAULTS if FAULTS.get(name)]
    out += [(on_rejection(FAULTS[name]), "rejection") for name in REJECTION_FAULTS if FAULTS.get(name)]
    return out
