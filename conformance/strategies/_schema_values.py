"""Values of a property the suite has no domain strategy for: drawn from its JSON Schema alone.

A new version of the contract may add a property (`description`, `secret`, ...). Webhooks carry
it, drawn here from what its schema says (type, enum, lengths, pattern, bounds), so a server
that rejects it is caught, and `sample_value` gives one plain value for the fixed edge cases.
The four properties of the vendored contract keep their realistic strategies (`_webhook.py`).
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

_PLAIN = string.ascii_letters + string.digits + " -_.:"
_NO_VALUE = object()


def values_of(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid under `schema` (JSON Schema as `Contract.json_schema` gives it)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kinds = schema.get("type", "string")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return st.one_of(*(_of_type(kind, schema) for kind in kinds))


def _of_type(kind: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "array":
        low = schema.get("minItems", 0)
        return st.lists(values_of(schema.get("items", {})), min_size=low, max_size=schema.get("maxItems", low + 3))
    if kind == "object":
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return st.fixed_dictionaries({k: values_of(props.get(k, {})) for k in required})
    return _strings(schema)


def _strings(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if isinstance(schema.get("pattern"), str):
        matches = st.from_regex(schema["pattern"], fullmatch=True)
        return matches.filter(lambda s: low <= len(s) <= (high if high is not None else len(s)))
    return st.text(alphabet=_PLAIN, min_size=low, max_size=high if high is not None else low + 40)


def sample_value(schema: dict[str, Any]) -> Any:
    """One plain valid value (the schema's own example first), or `NO_VALUE` when none is evident."""
    for key in ("example", "default", "const"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    kinds = schema.get("type", "string")
    kind = next((k for k in (kinds if isinstance(kinds, list) else [kinds]) if k != "null"), "null")
    if kind == "string" and "pattern" not in schema:
        return "x" * max(schema.get("minLength", 0), 1)
    simple = {"null": None, "boolean": True, "integer": schema.get("minimum", 0), "number": schema.get("minimum", 0)}
    if kind in simple:
        return simple[kind]
    if kind == "array" and not schema.get("minItems"):
        return []
    return NO_VALUE


NO_VALUE = _NO_VALUE
