"""Orthogonal cases (issue 20, item 1): every broken rule on every path real clients take.

The servers below are built the way such bugs are built, not from the fault catalogue: a second
handler for the OAuth path that parses the body and registers it unchecked, and a gateway that
refuses every OAuth client id it never issued. The runs are in-process, against 127.0.0.1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.selections import A_FEW

import conformance
from conformance.contract import load, vendored
from conformance.credentials import PLACEHOLDER_CLIENT_ID
from conformance.json_body import MISSING, strict_json
from conformance.mock import MockServer
from conformance.mock._reply import error_reply, json_reply
from conformance.strategies import ENVELOPES, FAMILIES, STACK_FAMILIES, on_envelope, path_of, rule_examples
from conformance.strategies._covering import broken_rules, covered_rules, rule_families

VENDORED = vendored()  # the contract these tests judge by

TOKEN = "covering-token-41c"
# The OAuth path (its envelope test and its credential probes), and `A_FEW` on the default path: what
# the servers below do differently is there, and the default path's refusals are what tells "off the
# default path" from "validates nothing" (the OAuth path alone accepts every invalid Webhook).
OAUTH_AND_DEFAULT = f"{A_FEW} or client-oauth"


def run(server: MockServer, out: Path, **target: Any) -> dict[str, Any]:
    options = {"base_url": server.url, "token": TOKEN, "output_dir": out, "shrink_budget": 0, "timeout": 5}
    options |= {"select": OAUTH_AND_DEFAULT, **target}
    return conformance.run(conformance.Target(**options)).as_dict()


# --- the covering array itself ------------------------------------------------------------------
def test_every_rule_the_catalogue_breaks_has_a_smallest_member() -> None:
    breakable = {
        rule
        for family in rule_families(VENDORED)
        for example in family.examples
        for rule in broken_rules(example, VENDORED)
    }
    assert covered_rules(VENDORED) == breakable
    assert {"numbers/*:pattern", "event:enum", ":additionalProperties", ":required", ":json", ":body"} <= {
        rule.id for rule in breakable
    }
    for example in rule_examples(VENDORED):
        family = FAMILIES[example.family]
        assert family.name not in STACK_FAMILIES and family.kind is None
        assert example.payload in family.examples
        broken = broken_rules(example.payload, VENDORED)
        assert example.rule in broken
        # No other example breaks this rule alone in fewer bytes.
        if len(broken) == 1:
            alone = [
                e
                for f in rule_families(VENDORED)
                for e in f.examples
                if broken_rules(e, VENDORED) == broken and e is not example.payload
            ]
            assert all(
                len(json.dumps(e, default=repr)) >= len(json.dumps(example.payload, default=repr)) for e in alone
            )


def test_a_rule_the_contract_does_not_have_is_not_covered(tmp_path: Path) -> None:
    document = json.loads(json.dumps(VENDORED.document))
    del document["components"]["schemas"]["Webhook"]["properties"]["numbers"]["minItems"]
    spec = tmp_path / "no-min-items.json"
    spec.write_text(json.dumps(document))
    older = load(str(spec))
    assert VENDORED.rule("numbers:minItems") in covered_rules(VENDORED)
    assert VENDORED.rule("numbers:minItems") not in covered_rules(older)


def test_family_names_say_the_path() -> None:
    assert path_of(on_envelope("numbers-letters", "envelope-chunked")) == "envelope-chunked"
    assert path_of("numbers-letters") is None
    assert all("@" not in name for name in (*FAMILIES.names(), *ENVELOPES.names()))


def test_the_oauth_path_carries_a_placeholder_only_without_a_client_id() -> None:
    oauth = ENVELOPES["client-oauth"]
    assert oauth.headers_for(None) == {"x-fax-clientid": PLACEHOLDER_CLIENT_ID}
    assert oauth.headers_for("real-client") == {}  # the Target sends the real one on every request
    assert ENVELOPES["client-axios"].headers_for(None) == dict(ENVELOPES["client-axios"].headers)


# --- servers with a path of their own -------------------------------------------------------------
class OAuthHandlerSkipsValidation(MockServer):
    """The OAuth path is a handler of its own: it parses the JSON and registers it unchecked."""

    def respond(self, request):  # type: ignore[no-untyped-def]
        if request.method == "POST" and request.header("x-fax-clientid") and request.body:
            body = strict_json(request.body)
            if body is not MISSING:
                return json_reply(200, {"id": self.store.add(body)})
        return super().respond(request)


class GatewayKnowsItsClients(MockServer):
    """A gateway in front of a faithful server: an x-fax-clientid it never issued gets 401."""

    known = "issued-client-77"

    def respond(self, request):  # type: ignore[no-untyped-def]
        client = request.header("x-fax-clientid")
        if request.method == "POST" and client is not None and client != self.known:
            return error_reply(401, "unauthorized", "unknown client")
        return super().respond(request)


def test_a_path_that_skips_validation_is_one_fail_line_naming_it(tmp_path: Path) -> None:
    with OAuthHandlerSkipsValidation(token=TOKEN) as server:
        data = run(server, tmp_path)
        left = server.store.all()
    assert data["exit_code"] == 1 and data["verdict"] == "fail"
    fails = [f for f in data["findings"] if f["verdict"] == "fail"]
    assert fails and all(path_of(f["family"]) == "client-oauth" for f in fails), [f["family"] for f in fails]
    # Every rule the default path enforces was tried, and found unchecked, on the OAuth path.
    unchecked = {g["rule"] for g in data["groups"] if g["verdict"] == "fail"}
    assert {"numbers/*:pattern", "event:enum", ":additionalProperties", ":required", ":type"} <= unchecked, unchecked
    mechanisms = [m for m in data["mechanisms"] if m["verdict"] == "fail"]
    assert [m["mechanism"] for m in mechanisms] == ["off-default-path"]
    assert "OAuth" in mechanisms[0]["title"] and "unchecked" in mechanisms[0]["title"]
    explained = set(mechanisms[0]["groups"])
    assert {g["id"] for g in data["groups"] if g["verdict"] == "fail"} == explained
    assert left == []  # what it registered unchecked was deleted


@pytest.mark.parametrize("client_id", [None, GatewayKnowsItsClients.known])
def test_a_refused_placeholder_client_id_is_a_warn_not_a_fail(client_id: str | None, tmp_path: Path) -> None:
    with GatewayKnowsItsClients(token=TOKEN) as server:
        data = run(server, tmp_path, client_id=client_id)
    assert data["exit_code"] == 0, [g["title"] for g in data["groups"] if g["verdict"] == "fail"]
    unjudged = [g for g in data["groups"] if g["verdict"] == "warn" and g["id"].startswith("oauth-path#")]
    if client_id is None:  # the placeholder was refused: the path was not judged, and the run says so
        assert len(unjudged) == 1 and "--client-id" in unjudged[0]["title"]
        assert all(path_of(f) == "client-oauth" or f == "client-oauth" for f in unjudged[0]["families"])
    else:  # the run's own client id: the path is judged like any other, and passes
        assert unjudged == []
