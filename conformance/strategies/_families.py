"""The catalogue of invalid Webhook families (one `register(Family(...))` each).

Every family starts from a schema-valid webhook and applies one mutation, so a member breaks the
rules in its `breaks` and nothing else. Examples are the sharpest boundary cases, sent first.
Each family's strategy is built from the contract it is drawn under (`lambda c: ...`): the valid
webhooks it mutates, the events it near-misses and the keys it adds or miscases are that contract's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import strategies as st

from conformance.contract import Contract
from conformance.rules import Rule

from ._e164_breakers import (
    any_bad_string,
    control_chars,
    extra_plus,
    foreign_digits,
    invisible_chars,
    leading_zero,
    letters,
    missing_plus,
    plus_lookalike,
    separators,
    single_char,
    too_long,
    too_short,
    trailing_newline,
    whitespace_around,
    whitespace_inside,
)
from ._family import NO_BODY_RULE, NOT_JSON_RULE, Build, Family, register
from ._lists import LENGTHS, POSITIONS, RUN_BREAKERS, SEPARATORS, Position, bad_at, digit_run, joined
from ._near_misses import (
    case_variants,
    homoglyphs,
    identifiers,
    naming_conventions,
    padded,
    plural_toggles,
    with_invisible,
    word_swaps,
)
from ._payload import Payload, RawBody
from ._webhook import e164_numbers, property_values, targets, webhooks

Webhook = dict[str, Any]

# --- rules (`conformance.rules`: `path:keyword`, the body's own with an empty path) --------------
PATTERN = Rule.parse("numbers/*:pattern")
MIN_LENGTH = Rule.parse("numbers/*:minLength")
MAX_LENGTH = Rule.parse("numbers/*:maxLength")
ITEM_TYPE = Rule.parse("numbers/*:type")
NUMBERS_TYPE = Rule.parse("numbers:type")
MIN_ITEMS = Rule.parse("numbers:minItems")
EVENT_ENUM = Rule.parse("event:enum")
EVENT_TYPE = Rule.parse("event:type")
TARGET_TYPE = Rule.parse("target:type")
ID_TYPE = Rule.parse("id:type")
EXTRA_KEY = Rule.parse(":additionalProperties")
REQUIRED = Rule.parse(":required")
BODY_TYPE = Rule.parse(":type")

# --- building blocks -------------------------------------------------------------------------------
BASE: Webhook = {"target": "https://example.com/fax/received", "event": "fax_received"}
VALID_NUMBER = "+12135550123"

_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "integer": st.integers(),
    "number": st.floats(allow_nan=False, allow_infinity=False),  # NaN/Infinity are not JSON
    "string": st.text(max_size=16),
}
JSON_KINDS: dict[str, st.SearchStrategy[Any]] = {
    **_SCALARS,
    "array": st.lists(st.one_of(*_SCALARS.values()), max_size=3),
    "object": st.dictionaries(st.text(max_size=8), st.one_of(*_SCALARS.values()), max_size=3),
}


def valid_values(contract: Contract) -> dict[str, st.SearchStrategy[Any]]:
    """A valid value for each Webhook property of `contract`: simple ones for the four the suite
    knows, the property's schema for any other (a property another version of the contract adds)."""
    simple: dict[str, st.SearchStrategy[Any]] = {
        "id": st.text(alphabet="0123456789abcdef", min_size=24, max_size=24),
        "target": targets(),
        "event": st.sampled_from(contract.events),
        "numbers": st.lists(e164_numbers(), min_size=1, max_size=3),
    }
    return {**property_values(contract), **{k: v for k, v in simple.items() if k in contract.webhook_properties}}


def json_except(*kinds: str) -> st.SearchStrategy[Any]:
    """JSON values of every kind but `kinds`: `json_except("string")` never draws a str."""
    return st.one_of(*(strategy for kind, strategy in JSON_KINDS.items() if kind not in kinds))


def sample(**fields: Any) -> Webhook:
    """BASE with `fields` set: `sample(event="FAX_SENT")` → {'target': ..., 'event': 'FAX_SENT'}."""
    return {**BASE, **fields}


def mutate(contract: Contract, key: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Webhook]:
    """Valid webhooks of `contract` with `key` set to a drawn value: `mutate(c, "event", st.just(""))`."""
    return st.builds(lambda w, v: {**w, key: v}, webhooks(contract), values)


def without(contract: Contract, *keys: str) -> st.SearchStrategy[Webhook]:
    """Valid webhooks of `contract` with `keys` removed: `without(c, "target")`."""
    return webhooks(contract).map(lambda w: {k: v for k, v in w.items() if k not in keys})


@st.composite
def numbers_with(draw: st.DrawFn, bad: st.SearchStrategy[Any], min_valid: int = 0) -> list[Any]:
    """One `bad` item among min_valid..3 valid numbers, at any position: ['+12135550123', '+1']."""
    valid = draw(st.lists(e164_numbers(), min_size=min_valid, max_size=3))
    at = draw(st.integers(0, len(valid)))
    return [*valid[:at], draw(bad), *valid[at:]]


def family(
    name: str,
    description: str,
    build: Build,
    breaks: Iterable[Rule],
    examples: Iterable[Payload],
) -> Family:
    """Register a family whose strategy `build` makes from a contract:
    `family("event-empty", "...", lambda c: mutate(c, "event", st.just("")), {EVENT_ENUM}, [...])`."""
    return register(Family(name, description, build, frozenset(breaks), tuple(examples)))


def number_family(
    name: str,
    description: str,
    bad: st.SearchStrategy[Any],
    examples: Iterable[Any],
    breaks: Iterable[Rule] = (PATTERN,),
) -> Family:
    """A family whose members carry one `bad` item in `numbers`; examples are the lone bad item.

    `breaks` defaults to the pattern alone: the E.164 breakers keep lengths within 2..16.
    """
    items = numbers_with(bad)
    return family(
        name,
        description,
        lambda c: mutate(c, "numbers", items),
        breaks,
        (sample(numbers=[x]) for x in examples),
    )


def event_family(
    name: str, description: str, values: Callable[[Contract], st.SearchStrategy[str]], examples: Iterable[str]
) -> Family:
    """A family whose `event` is a string outside the enum of the contract `values` is given:
    `event_family(..., lambda c: case_variants(c.events), ["FAX_SENT"])`."""
    samples = [sample(event=x) for x in examples]
    return family(name, description, lambda c: mutate(c, "event", values(c)), {EVENT_ENUM}, samples)


# --- numbers: items that are strings but not E.164 -------------------------------------------------
number_family(
    "numbers-missing-plus",
    "a number without the leading `+`",
    missing_plus(),
    ["12135550123", "12", "123456789012345", "0012135550123"],
)
number_family(
    "numbers-plus-lookalike",
    "the `+` is a Unicode look-alike such as fullwidth `＋`",
    plus_lookalike(),
    ["＋12135550123", "﹢12135550123", "⁺12135550123", "➕12135550123"],
)
number_family(
    "numbers-leading-zero",
    "the first digit after `+` is 0",
    leading_zero(),
    ["+0", "+01", "+012135550123", "+000000000000000"],
)
number_family(
    "numbers-too-short",
    "`+` and one digit: passes minLength 2, fails the pattern",
    too_short(),
    ["+1", "+9"],
)
number_family(
    "numbers-too-long",
    "16 or more digits (17+ characters, so also over maxLength)",
    too_long(),
    ["+1234567890123456", "+9999999999999999", "+12135550123012135550123", "+" + "1" * 64],
    {PATTERN, MAX_LENGTH},
)
number_family(
    "numbers-letters",
    "ASCII letters among the digits (vanity numbers, exponents, O for 0)",
    letters(),
    ["+1800FLOWERS", "+1e10", "+1213555O123", "+l2135550123", "+12135550123x1"],
)
number_family(
    "numbers-separators",
    "human formatting inside: spaces, dashes, dots, slashes, parentheses",
    separators(),
    [
        "+1 213 555 0123",
        "+1-213-555-0123",
        "+1.213.555.0123",
        "+1(213)5550123",
        "+44 20 7946 0958",
        "+1/2135550123",
    ],
)
number_family(
    "numbers-non-ascii-digits",
    "digits from other scripts (Arabic-Indic, fullwidth, Devanagari, ...)",
    foreign_digits(),
    ["+١٢١٣٥٥٥٠١٢٣", "+۱۲۳۴۵", "+１２３", "+12135550１23", "+१२१३५५५०१२३", "+¹²³"],
)
number_family(
    "numbers-whitespace-around",
    "whitespace before or after a valid number",
    whitespace_around(),
    [" +12135550123", "+12135550123 ", "\t+12135550123", "+12135550123\r\n", "\xa0+12135550123", " +12 "],
)
number_family(
    "numbers-trailing-newline",
    "a valid number then `\\n` (Python's `$` matches before it)",
    trailing_newline(),
    ["+12135550123\n", "+12\n", "+12345678901234\n"],
)
number_family(
    "numbers-whitespace-inside",
    "tabs, newlines, NBSP and other non-space whitespace between digits",
    whitespace_inside(),
    ["+1213\t5550123", "+1213\n5550123", "+1\xa0213\xa05550123", "+1213\u30005550123", "+\n12135550123"],
)
number_family(
    "numbers-control-chars",
    "non-whitespace control characters (NUL, ESC, DEL) anywhere",
    control_chars(),
    ["+12135550123\x00", "\x00+12135550123", "+12135550123\x00x", "+1213\x1b5550123", "+1213\x7f5550123"],
)
number_family(
    "numbers-invisible-chars",
    "zero-width space, BOM, soft hyphen or direction marks anywhere",
    invisible_chars(),
    [
        "+12135550123\u200b",
        "\ufeff+12135550123",
        "+1213\xad5550123",
        "+\u200e12135550123",
        "+1213\u20605550123",
    ],
)
number_family(
    "numbers-extra-plus",
    "a second `+` anywhere, e.g. `++1...`",
    extra_plus(),
    ["++12135550123", "++1", "+12135550123+", "+1+2135550123"],
)
number_family(
    "numbers-single-char",
    "a one-character string such as `+` (under minLength 2 too)",
    single_char(),
    ["+", "1", "0", " "],
    {PATTERN, MIN_LENGTH},
)
number_family(
    "numbers-empty-string",
    "an empty string item (under minLength 2 too)",
    st.just(""),
    [""],
    {PATTERN, MIN_LENGTH},
)
family(
    "numbers-bad-among-valid",
    "one bad number among valid ones: every item must be checked, not the first",
    lambda c: mutate(c, "numbers", numbers_with(any_bad_string(), min_valid=1)),
    {PATTERN, MIN_LENGTH, MAX_LENGTH},
    [
        sample(numbers=[VALID_NUMBER, "+1"]),
        sample(numbers=[VALID_NUMBER, "+442079460958", VALID_NUMBER + "\n"]),
        sample(numbers=["12135550123", VALID_NUMBER]),
        sample(numbers=[VALID_NUMBER, ""]),
        sample(numbers=[VALID_NUMBER, "+1234567890123456"]),
    ],
)

# --- numbers: where the bad item sits, items holding two numbers, long digit runs ----------------
# A server that checks a sample of the list (its first items, its ends) passes every family above.
_EXAMPLE_BADS = ("+1", "", "+1234567890123456", "12135550123")  # pattern, minLength, maxLength, pattern


@st.composite
def _bad_at(draw: st.DrawFn, position: Position) -> list[Any]:
    length = draw(st.integers(3 if position == "middle" else 2, 100))
    return bad_at(position, length, draw(any_bad_string()))


def _bad_numbers_at(position: Position) -> Build:
    items = _bad_at(position)
    return lambda c: mutate(c, "numbers", items)


for _position in POSITIONS:
    family(
        f"numbers-bad-{_position}",
        f"one bad number at the {_position} position of a list of 2 to 100",
        _bad_numbers_at(_position),
        {PATTERN, MIN_LENGTH, MAX_LENGTH},
        [sample(numbers=bad_at(_position, n, bad)) for n, bad in zip(LENGTHS, _EXAMPLE_BADS, strict=True)],
    )
number_family(
    "numbers-two-in-one",
    "one item holding two valid numbers joined by `,`, `;` or a space",
    st.builds(joined, e164_numbers(), e164_numbers(), st.sampled_from(SEPARATORS)),
    [
        joined(VALID_NUMBER, "+442079460958", ","),
        joined(VALID_NUMBER, "+442079460958", ";"),
        joined(VALID_NUMBER, "+442079460958", " "),
        joined("+12", "+34", ","),  # 7 characters: only the pattern stands between it and a 200
        joined("+12", "+34", ";"),
        joined("+12", "+34", " "),
    ],
    {PATTERN, MAX_LENGTH},
)
number_family(
    "numbers-long-digit-run",
    "30 to 60 digits then a character that breaks the match (exposes backtracking regexes)",
    st.builds(digit_run, st.integers(30, 60), st.sampled_from(RUN_BREAKERS), st.sampled_from("123456789")),
    [digit_run(30, "x"), digit_run(40, "!"), digit_run(50, " "), digit_run(60, "a")],
    {PATTERN, MAX_LENGTH},
)

# --- numbers: the array itself, and items that are not strings ------------------------------------
family(
    "numbers-empty",
    "`numbers` is an empty array (minItems 1)",
    lambda c: mutate(c, "numbers", st.just([])),
    {MIN_ITEMS},
    [sample(numbers=[])],
)
family(
    "numbers-not-array",
    "`numbers` is a string, number, object or boolean (only an array or null is allowed)",
    lambda c: mutate(c, "numbers", st.one_of(e164_numbers(), json_except("array", "null"))),
    {NUMBERS_TYPE},
    [
        sample(numbers=x)
        for x in (VALID_NUMBER, VALID_NUMBER + ",+442079460958", 12135550123, {"0": VALID_NUMBER}, True, "")
    ],
)
number_family("numbers-null-items", "a null item in `numbers`", st.none(), [None], {ITEM_TYPE})
number_family(
    "numbers-numeric-items",
    "a JSON number item, e.g. 12135550123 without quotes",
    st.one_of(JSON_KINDS["integer"], JSON_KINDS["number"]),
    [12135550123, 1, 12135550123.0, -12135550123],
    {ITEM_TYPE},
)
number_family(
    "numbers-nested-arrays",
    "an array item, e.g. [['+12135550123']]",
    st.lists(e164_numbers(), max_size=2),
    [[VALID_NUMBER], []],
    {ITEM_TYPE},
)
number_family("numbers-boolean-items", "a true/false item in `numbers`", st.booleans(), [True, False], {ITEM_TYPE})
number_family(
    "numbers-object-items",
    "an object item, e.g. {'number': '+12135550123'}",
    JSON_KINDS["object"],
    [{"number": VALID_NUMBER}, {}],
    {ITEM_TYPE},
)

# --- event -----------------------------------------------------------------------------------------
event_family(
    "event-unknown",
    "an event name the contract does not list",
    lambda c: st.one_of(identifiers(), st.text()).filter(lambda e: e not in c.events),
    ["fax_deleted", "fax_failed", "*", "all", "fax_received,fax_sent"],
)
event_family(
    "event-case-variant",
    "a listed event with its case changed",
    lambda c: case_variants(c.events),
    ["FAX_SENT", "Fax_Sent", "fax_Received", "FAX_PAGE_RECEIVED"],
)
event_family(
    "event-whitespace",
    "a listed event with whitespace before or after",
    lambda c: padded(c.events),
    [" fax_sent", "fax_sent ", "fax_sent\n", "\tfax_received", "fax_sent\r\n"],
)
event_family(
    "event-homoglyph",
    "a listed event with Cyrillic or fullwidth look-alike characters",
    lambda c: homoglyphs(c.events),
    ["f\u0430x_sent", "fax_s\u0435nt", "ｆａｘ＿ｓｅｎｔ", "fax_re\u0441eived"],
)
event_family(
    "event-naming-convention",
    "a listed event re-spelled in kebab, camel, dotted or spaced case",
    lambda c: naming_conventions(c.events),
    ["fax-sent", "faxSent", "FaxSent", "fax.sent", "fax sent", "faxsent"],
)
event_family(
    "event-word-variant",
    "a listed event with a word pluralised, re-tensed or misspelt",
    lambda c: word_swaps(c.events),
    ["faxes_sent", "fax_send", "fax_recieved", "fax_pages_received", "fax_receive"],
)
event_family("event-empty", "`event` is the empty string", lambda c: st.just(""), [""])
event_family(
    "event-invisible-chars",
    "a listed event with a zero-width or other format character",
    lambda c: with_invisible(c.events),
    ["fax_sent\u200b", "\ufefffax_sent", "fax\xad_sent"],
)
family(
    "event-wrong-type",
    "`event` is null, a number, boolean, array or object (both type and enum fail)",
    lambda c: mutate(c, "event", st.one_of(json_except("string"), st.lists(st.sampled_from(c.events), max_size=3))),
    {EVENT_TYPE, EVENT_ENUM},
    [sample(event=x) for x in (None, ["fax_sent"], ["fax_sent", "fax_received"], 1, True, {"$ne": "x"})],
)

# --- properties ------------------------------------------------------------------------------------
_any_json = st.one_of(*JSON_KINDS.values())


def _unknown_keys(contract: Contract) -> st.SearchStrategy[str]:
    properties = contract.webhook_properties
    return st.one_of(identifiers(), st.text(max_size=20)).filter(lambda k: k not in properties)


def _near_keys(contract: Contract) -> st.SearchStrategy[str]:
    properties = contract.webhook_properties
    return st.one_of(
        plural_toggles(properties),
        padded(properties),
        homoglyphs(properties),
        st.sampled_from(["url", "callback_url", "target_url", "event_type", "phone_numbers", "_id"]),
    )


def _case_keys(contract: Contract) -> st.SearchStrategy[tuple[str, Any]]:
    """A case variant of a known key, carrying a value valid for that key: only its spelling is wrong."""
    values = valid_values(contract)
    variant_of = {p: st.tuples(case_variants([p]), values[p]) for p in contract.webhook_properties}  # built once
    return st.sampled_from(contract.webhook_properties).flatmap(variant_of.__getitem__)


def _add_key(contract: Contract, pairs: st.SearchStrategy[tuple[str, Any]]) -> st.SearchStrategy[Webhook]:
    return st.builds(lambda w, kv: {**w, kv[0]: kv[1]}, webhooks(contract), pairs)


@st.composite
def _miscased_required(draw: st.DrawFn, contract: Contract) -> Webhook:
    webhook = draw(webhooks(contract))
    keys = draw(st.sets(st.sampled_from(contract.webhook_required), min_size=1))
    return {draw(case_variants([k])) if k in keys else k: v for k, v in webhook.items()}


family(
    "extra-property-unknown",
    "an extra key the schema does not define (additionalProperties: false)",
    lambda c: _add_key(c, st.tuples(_unknown_keys(c), _any_json)),
    {EXTRA_KEY},
    [sample(foo="bar"), sample(__proto__={"admin": True}), {**BASE, "": ""}, sample(secret=None)],
)
family(
    "extra-property-case-variant",
    "a case variant of a known key next to the real one, e.g. `Target`",
    lambda c: _add_key(c, _case_keys(c)),
    {EXTRA_KEY},
    [sample(Target=BASE["target"]), sample(EVENT="fax_sent"), sample(Numbers=[VALID_NUMBER]), sample(ID="1")],
)
family(
    "extra-property-near-miss",
    "a plural, padded, look-alike or synonym key, e.g. `events`, `url`",
    lambda c: _add_key(c, st.tuples(_near_keys(c), _any_json)),
    {EXTRA_KEY},
    [
        sample(events=["fax_sent"]),
        sample(number=VALID_NUMBER),
        sample(url=BASE["target"]),
        {**BASE, "target ": BASE["target"]},
        sample(phone_numbers=[VALID_NUMBER]),
        {**BASE, "t\u0430rget": BASE["target"]},  # a Cyrillic а: a homoglyph, and a name outside Latin-1
    ],
)
family(
    "required-key-miscased",
    "`target` or `event` spelt with other case only, e.g. `Target`",
    _miscased_required,
    {REQUIRED, EXTRA_KEY},
    [
        {"Target": BASE["target"], "event": "fax_received"},
        {"target": BASE["target"], "Event": "fax_received"},
        {"TARGET": BASE["target"], "EVENT": "fax_received"},
    ],
)
family(
    "missing-target",
    "no `target` key",
    lambda c: without(c, "target"),
    {REQUIRED},
    [{"event": "fax_received"}, {"event": "fax_sent", "numbers": [VALID_NUMBER]}],
)
family(
    "missing-event",
    "no `event` key",
    lambda c: without(c, "event"),
    {REQUIRED},
    [{"target": BASE["target"]}, {"target": BASE["target"], "numbers": None}],
)
family(
    "missing-target-and-event",
    "neither `target` nor `event`",
    lambda c: without(c, "target", "event"),
    {REQUIRED},
    [{}, {"numbers": [VALID_NUMBER]}, {"id": "6048b47181dbe1a7d67fcc98"}],
)
family(
    "target-wrong-type",
    "`target` is null, a number, boolean, array or object",
    lambda c: mutate(c, "target", st.one_of(json_except("string"), st.lists(targets(), max_size=2))),
    {TARGET_TYPE},
    [sample(target=x) for x in (None, [BASE["target"]], {"url": BASE["target"]}, 0, True)],
)
family(
    "id-wrong-type",
    "`id` is null, a number, boolean, array or object",
    lambda c: mutate(c, "id", json_except("string")),
    {ID_TYPE},
    [sample(id=x) for x in (6048, None, {"$oid": "6048b47181dbe1a7d67fcc98"}, ["6048b47181dbe1a7d67fcc98"])],
)

# --- the body --------------------------------------------------------------------------------------
family(
    "body-not-object",
    "the JSON body is an array, string, number, boolean or null",
    lambda c: st.one_of(json_except("object"), st.lists(webhooks(c), max_size=2), webhooks(c).map(json.dumps)),
    {BODY_TYPE},
    [[BASE], json.dumps(BASE), None, [], 0, True],
)

BASE_TEXT = json.dumps(BASE)
JSON_WHITESPACE = " \t\r\n"  # RFC 8259 `ws`


def raw(text: str | bytes) -> RawBody:
    """An application/json body sent verbatim: `raw("{")`."""
    return RawBody(text.encode() if isinstance(text, str) else text, "application/json")


def raw_family(
    name: str, description: str, render: Callable[[Webhook], str | bytes], examples: Iterable[str | bytes]
) -> Family:
    """A not-JSON family: each valid webhook rendered into broken text by `render`."""
    return family(
        name, description, lambda c: webhooks(c).map(lambda w: raw(render(w))), {NOT_JSON_RULE}, map(raw, examples)
    )


@st.composite
def _cut(draw: st.DrawFn, contract: Contract) -> RawBody:
    text = json.dumps(draw(webhooks(contract)))
    return raw(text[: draw(st.integers(1, len(text) - 1))])  # no proper prefix of an object text is JSON


@st.composite
def _with_bad_utf8(draw: st.DrawFn, contract: Contract) -> RawBody:
    data = json.dumps(draw(webhooks(contract))).encode()
    at = draw(st.integers(0, len(data)))
    bad = draw(st.sampled_from([b"\xff", b"\xfe", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xc3", b"\xf4\x90\x80\x80"]))
    return raw(data[:at] + bad + data[at:])


family(
    "body-empty",
    "an empty or whitespace-only application/json body",
    lambda c: st.text(alphabet=JSON_WHITESPACE).map(raw),
    {NOT_JSON_RULE},
    map(raw, ["", " ", "\r\n"]),
)
family(
    "body-truncated",
    "valid JSON cut short",
    _cut,
    {NOT_JSON_RULE},
    map(raw, [BASE_TEXT[:-1], "{", BASE_TEXT[:20], '{"target"']),
)
family(
    "body-trailing-garbage",
    "valid JSON followed by more non-whitespace text (a second document, NUL, ...)",
    lambda c: st.builds(
        lambda w, junk: raw(json.dumps(w) + junk),
        webhooks(c),
        st.one_of(
            st.sampled_from(["}", ",", "x", "\x00", "{}"]),
            st.text(min_size=1).filter(lambda t: t.strip(JSON_WHITESPACE)),
        ),
    ),
    {NOT_JSON_RULE},
    map(raw, [BASE_TEXT + "}", BASE_TEXT + BASE_TEXT, BASE_TEXT + "\x00", BASE_TEXT + "\n{}", BASE_TEXT + ","]),
)
raw_family(
    "body-single-quotes",
    "a Python-literal body with single-quoted strings",
    repr,
    [repr(BASE), repr(sample(numbers=[VALID_NUMBER]))],
)
raw_family(
    "body-trailing-comma",
    "a trailing comma before `}` or `]`",
    lambda w: json.dumps(w)[:-1] + ",}",
    [BASE_TEXT[:-1] + ",}", json.dumps(sample(numbers=[VALID_NUMBER])).replace('"]', '",]')],
)
raw_family(
    "body-comments",
    "JavaScript comments in the body",
    lambda w: "/* webhook */" + json.dumps(w),
    ["/* webhook */" + BASE_TEXT, "{// webhook\n" + BASE_TEXT[1:], BASE_TEXT[:-1] + " /* end */}"],
)


def _unquoted_keys(w: Webhook) -> str:
    return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in w.items()) + "}"


raw_family(
    "body-unquoted-keys",
    "object keys without quotes (JavaScript/JSON5 style)",
    _unquoted_keys,
    [_unquoted_keys(BASE), _unquoted_keys(sample(numbers=[VALID_NUMBER]))],
)
family(
    "body-nan-infinity",
    "a NaN or Infinity literal (Python's json accepts them, RFC 8259 does not)",
    lambda c: st.builds(
        lambda w, key, value: raw(json.dumps({**w, key: value})),
        webhooks(c),
        st.sampled_from(c.webhook_properties),
        st.sampled_from([math.nan, math.inf, -math.inf, [math.nan], [math.inf]]),
    ),
    {NOT_JSON_RULE},
    map(
        raw,
        [
            json.dumps(sample(numbers=[math.nan])),
            json.dumps(sample(target=math.nan)),
            json.dumps(sample(id=math.inf)),
            "NaN",
            "-Infinity",
        ],
    ),
)
family(
    "body-invalid-utf8",
    "bytes that are not UTF-8 (Latin-1 text, overlong forms, surrogates, truncation)",
    _with_bad_utf8,
    {NOT_JSON_RULE},
    map(
        raw,
        [
            BASE_TEXT.replace("received", "received\xff", 1).encode("latin-1"),
            BASE_TEXT.replace("fax/", "caf\xe9/", 1).encode("latin-1"),
            BASE_TEXT.encode().replace(b"fax/", b"fax\xc0\xaf", 1),
            BASE_TEXT.encode().replace(b"fax/", b"fax\xed\xa0\x80/", 1),
            BASE_TEXT.encode()[:-2] + b'\xc3"}',
        ],
    ),
)
family(
    "body-absent",
    "no request body at all",
    lambda c: st.sampled_from([RawBody(None, None), RawBody(None, "application/json")]),
    {NO_BODY_RULE},
    [RawBody(None, None), RawBody(None, "application/json")],
)

# --- escaped lone surrogates: legal JSON text (`"\ud800"`), no Unicode scalar value --------------------
LONE_SURROGATES = ("\ud800", "\udfff", "\udbff")


def escaped(value: Any) -> RawBody:
    """A JSON body with every non-ASCII character escaped, so lone surrogates survive as `\\ud800`."""
    return RawBody(json.dumps(value, ensure_ascii=True).encode("ascii"), "application/json")


family(
    "surrogate-in-event",
    "`event` holds an escaped lone surrogate (`\\ud800`), alone or inside a valid event name",
    lambda c: st.builds(
        lambda w, s, at: escaped({**w, "event": w["event"][:at] + s + w["event"][at:]}),
        webhooks(c),
        st.sampled_from(LONE_SURROGATES),
        st.integers(0, 12),
    ),
    {EVENT_ENUM},
    [escaped(sample(event="\ud800")), escaped(sample(event="fax_received\udfff"))],
)
family(
    "surrogate-in-key",
    "an extra property whose name holds an escaped lone surrogate",
    lambda c: st.builds(lambda w, s: escaped({**w, s: True}), webhooks(c), st.sampled_from(LONE_SURROGATES)),
    {EXTRA_KEY},
    [escaped({**BASE, "\ud800": 1}), escaped({**BASE, "numbers\udfff": [VALID_NUMBER]})],
)
