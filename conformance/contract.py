"""The contract: the vendored OpenAPI file, or another version of it given with `--spec FILE`.

Everything that generates, sends or judges a request reads the contract from here, so a change
to the YAML changes generation, checks, spec lint and the mock together.

The contract is a value, not process state: `vendored()` is the one this package ships, and
`for_spec(path)` (what `--spec FILE` gives) another version of it. A run loads its contract once
from its Target and passes it to whatever needs it: strategies, checks, the mock, spec lint, the
SDK gate. Two runs in one process may each have their own; a child process is given the file.

>>> contract = vendored()
>>> contract.events
('fax_received', 'fax_sent', 'fax_page_received')
>>> contract.is_valid("Webhook", {"target": "https://a.example", "event": "fax_sent"})
True

Its named rules (`conformance.rules`), the Webhook schema's and the suite's own wire rules:

>>> [rule.id for rule in contract.rules][:4]
[':additionalProperties', ':body', ':json', ':required']
>>> contract.rule("numbers/*:pattern")
Rule('numbers/*:pattern')
>>> contract.rule("numbers/*:patern")
Traceback (most recent call last):
...
conformance.rules.UnknownRule: no rule 'numbers/*:patern' in this contract: did you mean numbers/*:pattern? ...
"""

from __future__ import annotations

import copy
import functools
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from conformance.rules import WIRE_RULES, Rule, find, schema_rules
from conformance.target import UsageError

SPEC_FILE = "register-webhook.yaml"
PATH = "/hooks"
METHOD = "post"


def vendored_path() -> str:
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
    source: str | None = None  # the --spec file; None: the vendored contract

    @property
    def title(self) -> str:
        return str(self.document["info"]["title"])

    @property
    def version(self) -> str:
        return str(self.document["info"]["version"])

    @property
    def path(self) -> str:
        """The file this contract was read from (the vendored one unless `--spec`)."""
        return self.source or vendored_path()

    @property
    def operation(self) -> dict[str, Any]:
        operation: dict[str, Any] = self.document["paths"][PATH][METHOD]
        return operation

    def openapi_schema(self, name: str) -> dict[str, Any]:
        """The schema as written in the YAML (OpenAPI dialect)."""
        schema: dict[str, Any] = copy.deepcopy(self.document["components"]["schemas"][name])
        return schema

    @functools.cache  # noqa: B019 - a contract is frozen, and lives as long as its run
    def json_schema(self, name: str) -> dict[str, Any]:
        """The schema as JSON Schema (Draft 7), `$ref`s inlined."""
        components = self.document["components"]["schemas"]
        converted: dict[str, Any] = _to_json_schema(components[name], components)
        return converted

    @functools.cache  # noqa: B019
    def validator(self, name: str) -> jsonschema.protocols.Validator:
        return jsonschema.Draft7Validator(self.json_schema(name))

    def is_valid(self, name: str, instance: Any) -> bool:
        return bool(self.validator(name).is_valid(instance))

    def errors(self, name: str, instance: Any) -> list[jsonschema.ValidationError]:
        return sorted(self.validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))

    # Facts of the Webhook schema that strategies, families and the mock build on: read from the
    # document, so another version of the contract changes them all.
    def webhook_property(self, name: str) -> dict[str, Any] | None:
        """A Webhook property as JSON Schema (`$ref`s inlined, `nullable` as a null type), or None."""
        found: dict[str, Any] | None = self.json_schema("Webhook").get("properties", {}).get(name)
        return found

    @property
    def events(self) -> tuple[str, ...]:
        return tuple((self.webhook_property("event") or {}).get("enum") or ())

    @property
    def numbers_schema(self) -> dict[str, Any] | None:
        return self.webhook_property("numbers")

    @property
    def number_schema(self) -> dict[str, Any]:
        """The schema of one item of `numbers`, as written in the YAML (its pattern unconverted)."""
        items: dict[str, Any] = self.openapi_schema("Webhook").get("properties", {}).get("numbers", {}).get("items", {})
        return items

    @property
    def webhook_properties(self) -> tuple[str, ...]:
        return tuple(self.json_schema("Webhook").get("properties", {}))

    @property
    def webhook_required(self) -> tuple[str, ...]:
        return tuple(self.json_schema("Webhook").get("required", ()))

    @property
    def closed(self) -> bool:
        """`additionalProperties: false`: a key the schema does not define makes a Webhook invalid."""
        return self.json_schema("Webhook").get("additionalProperties", True) is False

    @functools.cached_property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule a Webhook can break under this contract, sorted: each keyword of the Webhook
        schema where it applies (`numbers/*:pattern`), and the wire rules `:json` and `:body`."""
        return tuple(sorted({*schema_rules(self.json_schema("Webhook")), *WIRE_RULES}))

    def rule(self, rule_id: str | Rule) -> Rule:
        """The rule an id names (`numbers/*:pattern`); an id this contract has no rule for is an
        `UnknownRule` that names the closest ones it has."""
        return find(self.rules, rule_id)

    @functools.cache  # noqa: B019 - asked of every answer a run judges
    def documented_statuses(self) -> dict[int, str]:
        """Status code → name of the response schema the contract documents for it."""
        responses = self.document.get("components", {}).get("responses", {})
        out: dict[int, str] = {}
        for status, response in self.operation.get("responses", {}).items():
            if not str(status).isdigit():
                continue  # `default`, `4XX`: no one status to judge by
            if "$ref" in response:
                response = responses[response["$ref"].rsplit("/", 1)[-1]]
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in schema:
                out[int(status)] = schema["$ref"].rsplit("/", 1)[-1]
        return out


@functools.cache
def load(path: str | None = None) -> Contract:
    """The contract in `path` (default: the vendored one); a file that cannot be the contract is a UsageError."""
    where = path or vendored_path()
    try:
        # libyaml's safe loader when PyYAML has it: the same document, parsed ~9x faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document = yaml.load(Path(where).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    except OSError as error:
        raise UsageError(f"--spec {where}: cannot read it ({error.strerror or error})") from None
    except yaml.YAMLError as error:
        raise UsageError(f"--spec {where}: not YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise UsageError(f"--spec {where}: not an OpenAPI document (no `paths`)")
    if not isinstance(document["paths"].get(PATH), dict) or METHOD not in document["paths"][PATH]:
        raise UsageError(f"--spec {where} has no POST {PATH}: this suite tests webhook registration only")
    if "Webhook" not in document.get("components", {}).get("schemas", {}):
        raise UsageError(f"--spec {where} has no components/schemas/Webhook: the request body the suite builds on")
    contract = Contract(document, source=path)
    try:
        contract.json_schema("Webhook")
    except (KeyError, TypeError) as error:
        raise UsageError(f"--spec {where}: a `$ref` in Webhook does not resolve ({error})") from None
    return contract


def vendored() -> Contract:
    """The contract this package ships (conformance/spec/register-webhook.yaml)."""
    return load(None)


def for_spec(spec: str | os.PathLike[str] | None) -> Contract:
    """The contract a `--spec` value names (None: the vendored one); a bad file is a UsageError, one line."""
    return load(str(Path(spec).resolve())) if spec else vendored()
