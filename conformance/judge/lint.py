"""Spec lint: the contract's own defects, reported as warns at the start of every run.

Each lint is a registered function over the parsed document that yields messages; nothing here is
hard-coded to this spec's text, so a fixed spec stops being flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from conformance.contract import Contract

Lint = Callable[[Contract], Iterator[str]]
LINTS: dict[str, Lint] = {}


def lint(name: str) -> Callable[[Lint], Lint]:
    def register(func: Lint) -> Lint:
        LINTS[name] = func
        return func

    return register


def _pattern_width(pattern: str) -> tuple[int, int]:
    """Shortest and longest string a regular expression can match (`re`'s own parser)."""
    import re._parser as sre_parse  # type: ignore[import-not-found]  # stable since 3.11, not in typeshed

    low, high = sre_parse.parse(pattern).getwidth()
    return int(low), int(high)


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


@lint("length-vs-pattern")
def length_vs_pattern(contract: Contract) -> Iterator[str]:
    """minLength / maxLength that the pattern makes redundant or contradicts."""
    for path, node in _walk(contract.document["components"]):
        if not isinstance(node.get("pattern"), str):
            continue
        low, high = _pattern_width(node["pattern"])
        if "minLength" in node and node["minLength"] < low:
            yield (
                f"{path}: minLength {node['minLength']} is weaker than its pattern, which needs at least "
                f"{low} characters; the bound that holds is {low}"
            )
        if "maxLength" in node and high < 2**31 and node["maxLength"] > high:
            yield f"{path}: maxLength {node['maxLength']} exceeds the pattern's longest match ({high})"
        if "minLength" in node and high < node["minLength"]:
            yield f"{path}: minLength {node['minLength']} is longer than any string the pattern matches"


@lint("optional-request-body")
def optional_request_body(contract: Contract) -> Iterator[str]:
    body = contract.operation.get("requestBody", {})
    bodies = contract.document.get("components", {}).get("requestBodies", {})
    body = bodies.get(body.get("$ref", "").rsplit("/", 1)[-1], body)
    if not body.get("required", False):
        yield "POST /hooks: requestBody is not marked required, yet Webhook requires target and event"


@lint("untyped-schema")
def untyped_schema(contract: Contract) -> Iterator[str]:
    for name, schema in contract.document["components"]["schemas"].items():
        if "properties" in schema and "type" not in schema:
            yield f"schema {name} has properties but no `type: object`: any non-object JSON value conforms"
        if "properties" in schema and not schema.get("required"):
            yield f"schema {name} requires no property: an empty object conforms"


@lint("undocumented-auth-responses")
def undocumented_auth_responses(contract: Contract) -> Iterator[str]:
    responses = contract.operation.get("responses", {})
    if contract.operation.get("security") and not {"401", "403"} & set(map(str, responses)):
        yield "POST /hooks requires credentials but documents neither 401 nor 403"


@lint("writable-id")
def writable_id(contract: Contract) -> Iterator[str]:
    prop = contract.document["components"]["schemas"]["Webhook"].get("properties", {}).get("id")
    if prop is not None and not prop.get("readOnly"):
        yield "Webhook.id is accepted in the request but not readOnly: who assigns the id is unspecified"


@lint("unconstrained-url")
def unconstrained_url(contract: Contract) -> Iterator[str]:
    for name, schema in contract.document["components"]["schemas"].items():
        for prop_name, prop in schema.get("properties", {}).items():
            described_as_url = re.search(r"\bURL\b", str(prop.get("description", "")), re.I)
            if described_as_url and prop.get("type") == "string" and not (prop.get("format") or prop.get("pattern")):
                yield f"{name}.{prop_name} is described as a URL but has no format or pattern: any string conforms"


def run_lints(contract: Contract) -> list[tuple[str, str]]:
    """(lint name, message) for every defect `contract` has."""
    return [(name, message) for name, func in LINTS.items() for message in func(contract)]
