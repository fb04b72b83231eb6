"""The strategies, checked by the contract's own JSON Schema validator.

Valid webhooks must validate; every member of every family (examples and generated) must fail,
and only for the rules its family names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError

from conformance.contract import vendored
from conformance.strategies import FAMILIES, NO_BODY_RULE, NOT_JSON_RULE, Family, Payload, RawBody, Rule, webhooks

VENDORED = vendored()  # the contract these tests judge by

SETTINGS = settings(max_examples=30, derandomize=True, database=None, deadline=None)
KEBAB = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _reject_constant(literal: str) -> None:
    raise ValueError(f"{literal} is not JSON (RFC 8259)")


def strict_json(content: bytes) -> Any:
    """Parse as RFC 8259 does: UTF-8 only, no NaN/Infinity (which Python's json accepts)."""
    return json.loads(content.decode("utf-8"), parse_constant=_reject_constant)


def rule(error: ValidationError) -> Rule:
    """`numbers/*:pattern` for a pattern error on `numbers[3]`."""
    return Rule("/".join("*" if isinstance(part, int) else str(part) for part in error.absolute_path), error.validator)


def broken_rules(payload: Payload) -> set[Rule]:
    """The rules a payload breaks, labelled the way families label them."""
    if isinstance(payload, RawBody):
        if payload.content is None:
            return {NO_BODY_RULE}
        try:
            payload = strict_json(payload.content)
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, nesting past the limit
            return {NOT_JSON_RULE}
    return {rule(error) for error in VENDORED.errors("Webhook", payload)}


def assert_sendable(payload: Payload) -> None:
    """A JSON payload must survive the wire unchanged, or the validator judged something else."""
    if not isinstance(payload, RawBody):
        sent = json.dumps(payload, allow_nan=False, ensure_ascii=False).encode("utf-8")
        assert strict_json(sent) == payload


def assert_member(family: Family, payload: Payload) -> set[Rule]:
    assert_sendable(payload)
    broken = broken_rules(payload)
    assert broken, f"{family.name}: {payload!r} is valid"
    assert broken <= family.breaks, f"{family.name}: {payload!r} also breaks {broken - family.breaks}"
    return broken


# --- valid webhooks --------------------------------------------------------------------------------
@SETTINGS
@given(webhooks(VENDORED))
def test_webhooks_are_valid(webhook: dict[str, Any]) -> None:
    assert_sendable(webhook)
    assert VENDORED.errors("Webhook", webhook) == []


def _number_lengths(webhook: dict[str, Any]) -> set[int]:
    return {len(n) for n in webhook.get("numbers") or ()}


REACHES: dict[str, Callable[[dict[str, Any]], bool]] = {
    **{f"event {e}": (lambda w, e=e: w["event"] == e) for e in VENDORED.events},
    "numbers absent": lambda w: "numbers" not in w,
    "numbers null": lambda w: "numbers" in w and w["numbers"] is None,
    "numbers of several": lambda w: len(w.get("numbers") or ()) > 1,
    "shortest number (+12)": lambda w: 3 in _number_lengths(w),
    "longest number (15 digits)": lambda w: 16 in _number_lengths(w),
    "both lengths in one list": lambda w: {3, 16} <= _number_lengths(w),
    "id present": lambda w: "id" in w,
    # The valid space real clients use (issue: a server capping it must not pass unnoticed).
    "more than 10 numbers": lambda w: len(w.get("numbers") or ()) > 10,
    "duplicate numbers": lambda w: len(set(w.get("numbers") or ())) < len(w.get("numbers") or ()),
    "target with a port": lambda w: re.match(r"^[A-Za-z]+://[^/]+:\d+/", w["target"]) is not None,
    "target with several query parameters": lambda w: w["target"].count("=") >= 2,
    "target with a percent-escape": lambda w: "%" in w["target"],
    "target with an IPv4 literal": lambda w: "://192.0.2." in w["target"] or "://198.51.100." in w["target"],
    "target with an IPv6 literal": lambda w: "://[2001:db8" in w["target"],
    "target with a punycode host": lambda w: "xn--" in w["target"],
    "target with an upper-case scheme": lambda w: w["target"].startswith("HTTPS://"),
    "target with a trailing slash": lambda w: w["target"].endswith("/") and w["target"].count("/") > 3,
    "target longer than 100 characters": lambda w: len(w["target"]) > 100,
    "a UUID id": lambda w: (
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", w.get("id", "")) is not None
    ),
}


def test_every_generated_webhook_is_realistic() -> None:
    """The line is drawn by value: what `webhooks(contract)` draws must be realistic, or a rejection of it
    would only be a warn."""
    from conformance.judge import exotic

    @SETTINGS
    @given(webhooks(VENDORED))
    def check(webhook: dict[str, Any]) -> None:
        assert exotic(webhook) is None, (exotic(webhook), webhook)

    check()


def test_the_valid_space_edges_are_realistic_and_the_exotic_ones_are_not() -> None:
    from conformance.judge import exotic
    from conformance.strategies import exotic_space, valid_space

    for family, hooks in valid_space(VENDORED, "run-1.example.com").items():
        for webhook in hooks:
            assert VENDORED.errors("Webhook", webhook) == [], (family, webhook)
            assert exotic(webhook) is None, (family, exotic(webhook), webhook)
    for webhook in exotic_space("run-1.example.com"):
        assert VENDORED.errors("Webhook", webhook) == [] and exotic(webhook) is not None, webhook


@pytest.mark.parametrize("what", REACHES)
def test_webhooks_reach(what: str) -> None:
    # Generate only: the first hit proves reachability, shrinking it would just cost time.
    reach = settings(max_examples=1000, derandomize=True, database=None, phases=[Phase.generate])
    find(webhooks(VENDORED), REACHES[what], settings=reach)


# --- families --------------------------------------------------------------------------------------
def test_registry_shape() -> None:
    names = FAMILIES.names()
    assert len(names) >= 30
    assert len(set(names)) == len(names)
    for family in FAMILIES:
        assert KEBAB.fullmatch(family.name), family.name
        assert family.description.strip() and "\n" not in family.description, family.name
        assert 1 <= len(family.examples) <= 6, family.name
        assert family.breaks, family.name


@pytest.mark.parametrize("name", FAMILIES.names())
def test_examples_break_exactly_the_labelled_rules(name: str) -> None:
    family = FAMILIES[name]
    shown = set().union(*(assert_member(family, example) for example in family.examples))
    # The examples demonstrate every labelled rule, so `breaks` is never wider than the family.
    assert shown == family.breaks, f"{name}: no example breaks {family.breaks - shown}"


@pytest.mark.parametrize("name", FAMILIES.names())
@SETTINGS
@given(data=st.data())
def test_generated_members_break_only_the_labelled_rules(name: str, data: st.DataObject) -> None:
    family = FAMILIES[name]
    assert_member(family, data.draw(family.strategy(VENDORED), label=name))


# A family of another media type (`kind` "over-limits") declares its own Content-Type on purpose.
@pytest.mark.parametrize(
    "name", [f.name for f in FAMILIES if (NOT_JSON_RULE in f.breaks or NO_BODY_RULE in f.breaks) and f.kind is None]
)
def test_raw_bodies_claim_json(name: str) -> None:
    """Not-JSON bodies are labelled application/json, so only the body itself is wrong."""
    for example in FAMILIES[name].examples:
        assert isinstance(example, RawBody)
        if NOT_JSON_RULE in FAMILIES[name].breaks:
            assert example.content is not None and example.content_type == "application/json"


# --- positions, separators, digit runs (the shape of `numbers` beyond its first items) --------------
def test_list_shapes_doctests() -> None:
    import doctest

    from conformance.strategies import _lists

    result = doctest.testmod(_lists)
    assert result.attempted >= 5 and result.failed == 0


def _bad_indices(numbers: list[Any]) -> list[int]:
    return [i for i, n in enumerate(numbers) if not VENDORED.is_valid("Webhook", {**BASE_HOOK, "numbers": [n]})]


BASE_HOOK = {"target": "https://example.com/fax", "event": "fax_sent"}


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_the_bad_number_sits_where_the_family_says(position: str) -> None:
    from conformance.strategies._lists import index_of

    family = FAMILIES[f"numbers-bad-{position}"]
    lengths = {len(example["numbers"]) for example in family.examples}
    assert max(lengths) == 100 and min(lengths) <= 3 and len(lengths) >= 3

    @SETTINGS
    @given(family.strategy(VENDORED))
    def check(webhook: dict[str, Any]) -> None:
        numbers = webhook["numbers"]
        assert 2 <= len(numbers) <= 100
        assert _bad_indices(numbers) == [index_of(position, len(numbers))]  # type: ignore[arg-type]

    for example in family.examples:
        assert _bad_indices(example["numbers"]) == [index_of(position, len(example["numbers"]))]  # type: ignore[arg-type]
    check()


def test_two_in_one_items_hold_two_valid_numbers() -> None:
    from conformance.strategies._lists import SEPARATORS

    family = FAMILIES["numbers-two-in-one"]
    seen = set()
    for example in family.examples:
        (item,) = example["numbers"]
        separator = next(s for s in SEPARATORS if s in item)
        seen.add(separator)
        assert all(VENDORED.is_valid("Webhook", {**BASE_HOOK, "numbers": [p]}) for p in item.split(separator))
    assert seen == set(SEPARATORS)


def test_digit_runs_are_30_to_60_digits_then_a_breaker() -> None:
    pattern = re.compile(r"[+][1-9][0-9]{29,59}[^0-9]")

    @SETTINGS
    @given(FAMILIES["numbers-long-digit-run"].strategy(VENDORED))
    def check(webhook: dict[str, Any]) -> None:
        assert any(pattern.fullmatch(n) for n in webhook["numbers"]), webhook["numbers"]

    assert all(pattern.fullmatch(e["numbers"][0]) for e in FAMILIES["numbers-long-digit-run"].examples)
    check()


def test_the_exotic_body_is_truly_over_64_kb_and_none_over_1_mb() -> None:
    from conformance.strategies import exotic_space

    sizes = [len(json.dumps(w).encode()) for w in exotic_space("run-1a2b3c4d.example.com")]
    assert any(size > 64 * 1024 for size in sizes)
    assert max(sizes) < 1024 * 1024  # registered, it would make `GET /hooks` too long for cleanup to read


def test_stack_classes_and_cats_name_real_families() -> None:
    from conformance.strategies import CREDENTIALS, ENVELOPES, _limits
    from conformance.strategies._limits import CATS, NA, STACK_CLASSES

    assert doctest_of(_limits)
    known = {
        *FAMILIES.names(),
        *ENVELOPES.names(),
        *CREDENTIALS.names(),
        "valid-webhook",
        "valid-numbers",
        "valid-targets",
    }
    known |= {"exotic-webhook", "wrong-media-type", "no-credentials", "wrong-credentials"}
    for what, names in STACK_CLASSES.items():
        assert set(names) <= known, (what, set(names) - known)
    assert [c for c, names in STACK_CLASSES.items() if not names] == []  # every class the issue names is covered
    for fuzzer, covered in CATS.items():
        if not covered.startswith(NA):
            names = {n.strip().split(" ")[0] for n in covered.split(",")}
            assert {n for n in names if not n.endswith("*")} <= known, (fuzzer, names - known)


def doctest_of(module: Any) -> bool:
    import doctest

    result = doctest.testmod(module)
    return result.attempted > 0 and result.failed == 0


def test_over_limits_families_are_past_the_limits_they_name() -> None:
    sizes = {
        name: [
            len(e.content) if isinstance(e, RawBody) else len(json.dumps(e).encode()) for e in FAMILIES[name].examples
        ]
        for name in ("body-over-64kb", "body-over-1mb")
    }
    assert min(sizes["body-over-64kb"]) > 64 * 1024
    assert min(sizes["body-over-1mb"]) > 1024 * 1024
    assert all(e.content.count(b"[") + e.content.count(b"{") >= 5000 for e in FAMILIES["body-deep-nesting"].examples)


@pytest.mark.parametrize("name", ["body-deep-nesting", "body-many-keys", "body-huge-numbers", "body-duplicate-keys"])
def test_each_stack_class_stays_in_its_class(name: str) -> None:
    """A deep or wide body stays under 64 KB, so a size limit never explains what these find."""

    def size(payload: Payload) -> int:
        return len(payload.content) if isinstance(payload, RawBody) else len(json.dumps(payload).encode())

    @SETTINGS
    @given(FAMILIES[name].strategy(VENDORED))
    def check(payload: Payload) -> None:
        assert size(payload) < 64 * 1024

    assert all(size(e) < 64 * 1024 for e in FAMILIES[name].examples)
    check()


def test_stack_families_are_the_families_of_the_stack_classes() -> None:
    from conformance.strategies import STACK_FAMILIES
    from conformance.strategies._limits import STACK_CLASSES

    in_classes = {n for names in STACK_CLASSES.values() for n in names if n in FAMILIES.names()}
    assert set(STACK_FAMILIES) == in_classes - {"numbers-control-chars"}  # an older family, sent with the rest
    assert STACK_FAMILIES[-1] == "body-deep-nesting"  # what took Prism down goes last
