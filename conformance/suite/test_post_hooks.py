"""The conformance suite for `POST /hooks`, collected by pytest.

Every test sends cases through a Probe, which judges each exchange with the registered checks
(conformance.judge) and records it; a test fails when any of its cases failed. What a test draws
and judges comes from the run's contract (`session.contract`, `--spec` or the vendored one): the
parameters collected here are catalogue names, the same under every contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import allure
import pytest
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode

from conformance.credentials import WRONG_TOKEN
from conformance.judge import Category, Kind, Verdict
from conformance.judge.lint import run_lints
from conformance.strategies import (
    CREDENTIALS,
    ENVELOPES,
    FAMILIES,
    NO_VALUE,
    STACK_FAMILIES,
    Credential,
    client_ids,
    escaped,
    exotic_space,
    number_bounds,
    number_edges,
    number_lists,
    on_envelope,
    rule_examples,
    rule_members,
    sample_value,
    targets,
    valid_space,
    webhooks,
)
from conformance.target import Target

from ._sent import Sent
from ._session import Session

VALID_SPACE_FAMILIES = ("valid-numbers", "valid-events", "valid-targets", "valid-ids")
KNOWN = ("target", "event", "numbers", "id")  # the Webhook properties with their own strategies


def spec_example(session: Session) -> dict:
    """The contract's own example, on the run's reserved subdomain (run-1a2b3c4d.example.com)."""
    return {"target": f"http://myapp.{session.run_domain}/fax_received", "event": "fax_received"}


def valid_examples(session: Session) -> list[dict]:
    """Always sent first: every event, `numbers` null, and both E.164 length boundaries; and, as the
    contract allows them, an empty `numbers` and every property beyond the four the suite knows."""
    example, domain, contract = spec_example(session), session.run_domain, session.contract
    others = {name: sample_value(contract.webhook_property(name) or {}) for name in contract.webhook_properties}
    others = {name: value for name, value in others.items() if name not in KNOWN and value is not NO_VALUE}
    return [
        example,
        *({"target": f"https://hooks.{domain}/{event}", "event": event} for event in contract.events),
        {**example, "numbers": None},
        {**example, "numbers": list(number_edges(contract))},  # ["+12", "+123456789012345"] under the vendored spec
        {**example, "id": "6048b47181dbe1a7d67fcc98"},
        *([{**example, "numbers": []}] if number_bounds(contract)[0] == 0 else []),
        *([{**example, **others}] if others else []),
    ]


def valid_space_strategy(family: str, session: Session) -> st.SearchStrategy[dict]:
    """Generation between the edges of one aspect of the valid space, under the run's contract."""
    valid, domain = webhooks(session.contract, session.run_domain), session.run_domain
    return {
        "valid-numbers": st.builds(lambda w, n: {**w, "numbers": n}, valid, number_lists(session.contract)),
        "valid-events": valid,
        "valid-targets": st.builds(lambda w, t: {**w, "target": t}, valid, targets(domain)),
        "valid-ids": st.builds(lambda w, i: {**w, "id": i}, valid, client_ids()),
    }[family]


def test_contract_lint(conformance_run):
    """The contract's own defects: notes for the spec's authors, beside the server's verdict and
    not in it, unless the run counts them as warns (`--contract-notes-warn`)."""
    lints = run_lints(conformance_run.contract)
    for name, message in lints:
        conformance_run.ledger.contract_note(name, message)
        if conformance_run.target.contract_notes_warn:
            conformance_run.ledger.note(
                "spec-lint", message, check=name, verdict=Verdict.WARN, category=Category.SPEC_GAP
            )
    allure.attach("\n".join(f"[{name}] {message}" for name, message in lints) or "no defects", name="spec lint")


def test_valid_webhook_is_registered(probe):
    """Every realistic, schema-valid Webhook gets 200 and a WebhookId."""
    for example in valid_examples(probe.session):
        probe.payload(example, family="valid-webhook")

    @probe.explore(probe.session.tier.valid_examples)
    @given(webhook=webhooks(probe.session.contract, probe.session.run_domain))
    def send(webhook):
        probe.payload(webhook, family="valid-webhook")

    send()


@pytest.mark.parametrize("family", VALID_SPACE_FAMILIES)
def test_valid_space_is_registered(probe, family):
    """The valid space real clients use (long number lists, duplicates, IP and punycode hosts, long
    URLs, client ids, ...): every realistic Webhook gets 200; a rejection is a fail."""
    session = probe.session
    for example in valid_space(session.contract, session.run_domain)[family]:
        probe.payload(example, family=family)

    @probe.explore(max(4, session.tier.valid_examples // 4))
    @given(webhook=valid_space_strategy(family, session))
    def send(webhook):
        probe.payload(webhook, family=family)

    send()


def test_exotic_values_are_tolerated(probe):
    """Schema-valid values no client sends (non-URL targets, URLs over 2,048 characters, bodies over
    64 KB, escaped lone surrogates): 200 passes, a rejection is a warn (stricter than the schema)."""
    domain = probe.session.run_domain
    for example in exotic_space(domain):
        probe.payload(example, family="exotic-webhook")
    for surrogate in ("\ud800", "\udfff"):
        target = f"https://hooks.{domain}/fax{surrogate}"
        probe.payload(escaped({**spec_example(probe.session), "target": target}), family="surrogate-in-target")


def envelope_webhooks(session: Session) -> list[dict]:
    """The valid Webhooks every envelope carries: the contract's example, `numbers` at both E.164
    length boundaries, and a client id."""
    example, edges = spec_example(session), list(number_edges(session.contract))
    return [example, {**example, "numbers": edges}, {**example, "id": "6048b47181dbe1a7d67fcc98"}]


# Parametrized by name: allure-pytest writes each parameter's repr, and a strategy's repr is costly.
@pytest.mark.parametrize("name", ENVELOPES.names())
def test_client_envelope_is_accepted(probe, name):
    """Envelopes real clients send (charset, Accept, Expect, chunked, Connection: close, no User-Agent,
    the OAuth path, the header sets of axios, the Python SDK, Apache HttpClient, Go) are paths of their
    own: each carries valid Webhooks, which must get 200, and the smallest member of every broken
    rule, which must get 400 there as on the default path (`strategies.rule_examples`)."""
    session = probe.session
    envelope = ENVELOPES[name]
    how = {"headers": envelope.headers_for(session.target.client_id), "chunked": envelope.chunked}
    if envelope.refusable:  # past a stack's header limits: a 4xx is its right, a 5xx or silence is not
        probe.special(spec_example(session), family=envelope.name, kind=Kind.LIMITS_ENVELOPE, **how)
        return
    if envelope.repeated:  # a header that may appear once, twice: a 4xx is right, a 5xx or silence is not
        kind = Kind.REPEATED_HEADER
        probe.special(spec_example(session), family=envelope.name, kind=kind, repeat=envelope.repeated, **how)
        return
    for webhook in envelope_webhooks(session):
        probe.payload(webhook, family=envelope.name, **how)
    for example in rule_examples(session.contract):
        probe.payload(example.payload, family=on_envelope(example.family, envelope.name), **how)

    if not session.tier.envelope_examples:
        return

    @probe.explore(session.tier.envelope_examples)
    @given(member=rule_members(session.contract))
    def send(member):  # the nightly tier: further combinations of a rule's members and this path
        family, payload = member
        probe.payload(payload, family=on_envelope(family, envelope.name), **how)

    send()


def credential_case(
    credential: Credential, target: Target, headers: Mapping[str, str | None] | None = None
) -> dict[str, Any]:
    """How a credential form goes on the wire: its Authorization (or query) instead of the run's
    token, beside an envelope's `headers`, with the run's `--client-id` if it has one."""
    token = target.token or ""
    value = credential.authorization(token)
    sent: dict[str, str | None] = dict(headers or {})
    if value is not None:
        sent["Authorization"] = value
    if target.client_id:
        sent["x-fax-clientid"] = target.client_id
    how: dict[str, Any] = {"authenticate": False, "headers": sent or None}
    if credential.query:
        how["query"] = {"access_token": token}
    return how


def credential_kind(credential: Credential) -> Kind:
    return Kind.REFUSED_CREDENTIALS if credential.refused else Kind.CREDENTIALS_VARIANT


@pytest.mark.parametrize("name", CREDENTIALS.names())
def test_credential_is_judged(probe, name):
    """A credential that must be refused (empty bearer, another scheme, the token only in the query,
    an 8 KB token, near misses of the real token) is refused; the right token under `bearer` is
    accepted (RFC 7235)."""
    credential = CREDENTIALS[name]
    how = credential_case(credential, probe.session.target)
    probe.special(spec_example(probe.session), family=credential.name, kind=credential_kind(credential), **how)


@pytest.mark.parametrize("name", [envelope.name for envelope in ENVELOPES if envelope.is_path])
def test_credential_on_envelope(probe, name):
    """Every credential that must be refused, on every path real clients take: a server may check the
    token on the default path and not on the OAuth one, or not for a chunked body
    (`auth-token-suffix@client-oauth`). The RFC 7235 variants stay on the default path: on the OAuth
    path without `--client-id`, a refusal of one could be the placeholder client id's."""
    session = probe.session
    envelope = ENVELOPES[name]
    for credential in (c for c in CREDENTIALS if c.refused):
        how = credential_case(credential, session.target, envelope.headers_for(session.target.client_id))
        family = on_envelope(credential.name, envelope.name)
        kind = credential_kind(credential)
        probe.special(spec_example(session), family=family, kind=kind, chunked=envelope.chunked, **how)


@pytest.mark.parametrize("name", [name for name in FAMILIES.names() if name not in STACK_FAMILIES])
def test_invalid_family_is_rejected(probe, name):
    """Every member of an invalid family gets 400 and an Error: edge cases first, then generated.
    A family whose rule this contract does not have (another version of the spec) is skipped."""
    send_family(probe, name)


def send_family(probe, name):
    family = FAMILIES[name]
    contract = probe.session.contract
    reason = family.not_applicable(contract)
    if reason is not None:
        probe.session.skipped[family.name] = reason
        pytest.skip(reason)
    kind = Kind(family.kind) if family.kind else None  # judged by what a stack does with it (a 413, a 415)

    def send_one(payload):
        if kind is None:
            probe.payload(payload, family=family.name)
        else:
            probe.special(payload, family=family.name, kind=kind)

    for example in family.examples:
        send_one(example)

    @probe.explore(probe.session.tier.family_examples)
    @given(payload=family.strategy(contract))
    def send(payload):
        send_one(payload)

    send()


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_schemathesis_generation(probe, mode):
    """schemathesis's own generation, judged by the suite's checks and by its own as a second opinion."""
    mode = GenerationMode(mode)
    family = f"schemathesis-{mode.value}"

    @probe.explore(probe.session.tier.schemathesis_examples)
    @given(case=probe.session.operation.as_strategy(generation_mode=mode))
    def send(case):
        probe.case(case, family=family)

    send()


def test_wrong_token_after_the_right_one_on_one_connection(probe):
    """The right token, then one the server never issued, on the same keep-alive connection: a
    server that remembers a connection's credentials lets the second through; it must be refused."""
    example = spec_example(probe.session)
    probe.in_order(
        [
            (Sent(example), "keep-alive-right-token", Kind.VALID),
            (Sent(example, authenticate=WRONG_TOKEN), "keep-alive-wrong-token", Kind.WRONG_CREDENTIALS),
        ]
    )


@pytest.mark.parametrize(
    ("refused", "kind", "how", "then"),
    [
        ("wrong-credentials", Kind.WRONG_CREDENTIALS, {"authenticate": WRONG_TOKEN}, "valid-after-wrong-credentials"),
        ("wrong-media-type", Kind.WRONG_MEDIA_TYPE, {"content_type": "text/plain"}, "valid-after-wrong-media-type"),
    ],
    ids=["after-wrong-credentials", "after-wrong-media-type"],
)
def test_valid_webhook_after_a_refusal_on_one_connection(probe, refused, kind, how, then):
    """A refusal, then a valid Webhook on the same keep-alive connection, as every keep-alive client
    sends them: a server that answers before reading the refused body and keeps the connection reads
    that body as the next request, so the valid Webhook gets an answer that is not its own. It must
    get 200; the `keep-alive` fail blames the refusal, and replay sends it first (`preceded_by`)."""
    example = spec_example(probe.session)
    probe.in_order([(Sent(example, **how), refused, kind), (Sent(example), then, Kind.VALID)])


@pytest.mark.parametrize(
    ("family", "kind", "how"),
    [
        ("no-credentials", Kind.NO_CREDENTIALS, {"authenticate": False}),
        ("wrong-credentials", Kind.WRONG_CREDENTIALS, {"authenticate": WRONG_TOKEN}),
        ("wrong-media-type", Kind.WRONG_MEDIA_TYPE, {"content_type": "text/plain"}),
    ],
    ids=["no-credentials", "wrong-credentials", "wrong-media-type"],
)
def test_request_envelope(probe, family, kind, how):
    """Credentials and media type: refused as the policy table says (undocumented in the spec)."""
    probe.special(spec_example(probe.session), family=family, kind=kind, **how)


# Last of all: inputs that crash real stacks (deep nesting, bodies over 64 KB and 1 MB, huge numbers,
# thousands of keys, duplicate keys, BOM, UTF-16, control bytes, other media types), so that a server
# they take down has been observed on everything else first.
@pytest.mark.parametrize("name", STACK_FAMILIES)
def test_stack_limit_is_refused(probe, name):
    """Each gets a 4xx (400 passes; 413, 415, 431 warn), never a 5xx or no answer."""
    send_family(probe, name)
