"""The vendored OpenAPI contract: loaded once, the only source of schemas.

Everything that generates, sends or judges a request reads the contract from here, so a change
to the vendored YAML changes generation and checks together.

>>> CONTRACT.events
('fax_received', 'fax_sent', 'fax_page_received')
>>> CONTRACT.is_valid("Webhook", {"target": "https://a.example", "event": "fax_sent"})
True
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema
import yaml

SPEC_FILE = "register-webhook.yaml"
PATH = "/hooks"
METHOD = "post"


def spec_text() -> str:
    return resources.files("conformance").joinpath("spec", SPEC_FILE).read_text(encoding="utf-8")


def spec_path() -> str:
    return str(resources.files("conformance").joinpath("spec", SPEC_FILE))


def _to_json_schema(node: Any, components: dict[str, Any]) -> Any:
    """OpenAPI 3.0 schema → JSON Schema: inline `$ref`s and turn `nullable` into a `null` type."""
    if isinstance(node, list):
        return [_to_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _to_json_schema(components[name], components)
    out = {key: _to_json_schema(value, components) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    out.pop("example", None)
    if isinstance(out.get("pattern"), str):
        out["pattern"] = ecma_pattern(out["pattern"])
    return out


def ecma_pattern(pattern: str) -> str:
    """Give a pattern its ECMA-262 meaning under Python's `re`.

    JSON Schema patterns are ECMA-262, where `$` matches only at the very end. Python's `$` also
    matches before a trailing newline, so `"+12135550123\\n"` would pass a Python-checked
    `^[+][1-9][0-9]{1,14}$`: the bug this suite hunts in servers must not live in its own oracle.
    """
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern[:-1] + r"\Z"
    return pattern


@dataclass(frozen=True, eq=False)
class Contract:
    """The parsed contract with ready-made JSON Schema validators for its named schemas."""

    document: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.document["info"]["title"])

    @property
    def version(self) -> str:
        return str(self.document["info"]["version"])

    @property
    def operation(self) -> dict[str, Any]:
        return self.document["paths"][PATH][METHOD]

    def openapi_schema(self, name: str) -> dict[str, Any]:
        """The schema as written in the YAML (OpenAPI dialect)."""
        return copy.deepcopy(self.document["components"]["schemas"][name])

    @functools.cache  # noqa: B019 - the contract is a frozen singleton
    def json_schema(self, name: str) -> dict[str, Any]:
        """The schema as JSON Schema (Draft 7), `$ref`s inlined."""
        components = self.document["components"]["schemas"]
        return _to_json_schema(components[name], components)

    @functools.cache  # noqa: B019
    def validator(self, name: str) -> jsonschema.protocols.Validator:
        return jsonschema.Draft7Validator(self.json_schema(name))

    def is_valid(self, name: str, instance: Any) -> bool:
        return self.validator(name).is_valid(instance)

    def errors(self, name: str, instance: Any) -> list[jsonschema.ValidationError]:
        return sorted(self.validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))

    # Facts of the Webhook schema that strategies build on.
    @property
    def events(self) -> tuple[str, ...]:
        return tuple(self.document["components"]["schemas"]["WebhookEventType"]["enum"])

    @property
    def number_schema(self) -> dict[str, Any]:
        return self.openapi_schema("Webhook")["properties"]["numbers"]["items"]

    @property
    def webhook_properties(self) -> tuple[str, ...]:
        return tuple(self.document["components"]["schemas"]["Webhook"]["properties"])

    @property
    def webhook_required(self) -> tuple[str, ...]:
        return tuple(self.document["components"]["schemas"]["Webhook"]["required"])

    def documented_statuses(self) -> dict[int, str]:
        """Status code → name of the response schema the contract documents for it."""
        responses = self.document["components"]["responses"]
        out: dict[int, str] = {}
        for status, ref in self.operation["responses"].items():
            response = responses[ref["$ref"].rsplit("/", 1)[-1]]
            schema_ref = response["content"]["application/json"]["schema"]["$ref"]
            out[int(status)] = schema_ref.rsplit("/", 1)[-1]
        return out


@functools.cache
def load() -> Contract:
    return Contract(yaml.safe_load(spec_text()))


CONTRACT = load()
