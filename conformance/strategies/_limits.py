"""Inputs that crash real stacks: nesting past the recursion limit, bodies past the size limits,
numbers past any float, thousands of keys, duplicate keys, a BOM, UTF-16, raw control bytes, and
bodies of other media types. Each must get a 4xx, never a 5xx or no answer.

`STACK_CLASSES` is the catalogue of classes, each with the families and envelopes that cover it;
`CATS` compares it with the fuzzers of CATS (Endava/cats), fuzzer by fuzzer: the family that covers
it, or why it does not apply to one JSON `POST`. The builders below are pure functions of their
arguments, so an edge case is a call and a generated member is the same call on drawn arguments.
"""

from __future__ import annotations

import codecs
import json
from typing import Any, Literal

from hypothesis import strategies as st

from conformance.rules import Rule

from ._families import (
    BASE,
    BASE_TEXT,
    EVENT_ENUM,
    EXTRA_KEY,
    ID_TYPE,
    ITEM_TYPE,
    MAX_LENGTH,
    NUMBERS_TYPE,
    PATTERN,
    TARGET_TYPE,
    VALID_NUMBER,
    raw,
    sample,
)
from ._family import NOT_JSON_RULE, Build, Family, register
from ._payload import RawBody
from ._webhook import webhooks

KB = 1024
MAX_BODY = 64 * KB  # the body size past which a valid Webhook is exotic (conformance.judge._realism)
MB = KB * KB
Shape = Literal["array", "object"]
Where = Literal["body", "numbers", "extra"]
# Deeper than any in-process reading gets: Python's parser stops at its recursion limit (1,000, and
# Hypothesis raises it by 2,000 while drawing), so every reading here is "not JSON", deterministically.
MIN_DEPTH = 5_000
MAX_DEPTH = 8_000  # 7 bytes a level as objects: 56 KB, so no member is also a body over 64 KB


# --- builders ----------------------------------------------------------------------------------------
def nested(depth: int, shape: Shape, where: Where) -> bytes:
    """A body holding `depth` nested arrays or objects: as the whole body, as a `numbers` item, or as
    an unknown key's value. Sent as bytes: no Python structure this deep survives `json.dumps`.

    >>> nested(3, "array", "body")
    b'[[[]]]'
    >>> nested(2, "object", "extra")
    b'{"target": "https://example.com/fax/received", "event": "fax_received", "x": {"a": {"a": {}}}}'
    """
    inner = "[" * depth + "]" * depth if shape == "array" else '{"a": ' * depth + "{}" + "}" * depth
    if where == "body":
        return inner.encode()
    key = '"numbers": [' + inner + "]" if where == "numbers" else '"x": ' + inner
    return (BASE_TEXT[:-1] + ", " + key + "}").encode()


def padded(size: int, key: str) -> dict[str, Any]:
    """BASE with one string of `key` (`numbers`: its one item) long enough that the body is `size` bytes.

    >>> len(json.dumps(padded(70_000, "padding")))
    70000
    """
    empty = len(json.dumps(_with(key, "")))
    return _with(key, "a" * (size - empty))


def _with(key: str, text: str) -> dict[str, Any]:
    return sample(numbers=[text]) if key == "numbers" else sample(**{key: text})


def huge_number(field: str, literal: str) -> bytes:
    """BASE with `field` set to a number literal no float holds: `1e400`, a 400-digit integer.

    >>> huge_number("id", "1e400")
    b'{"target": "https://example.com/fax/received", "event": "fax_received", "id": 1e400}'
    """
    value = "[" + literal + "]" if field == "numbers" else literal
    return json.dumps({**BASE, field: "@"}).replace('"@"', value).encode()  # in place: no key given twice


def many_keys(count: int) -> dict[str, Any]:
    """BASE with `count` unknown keys `k0`, `k1`, ...

    >>> len(many_keys(2000))
    2002
    """
    return {**BASE, **{f"k{i}": i for i in range(count)}}


def duplicate_key(webhook: dict[str, Any], key: str, value: Any) -> bytes:
    """`webhook` with `key` repeated at the end, holding `value`: the first reading may be valid, the
    last (what JavaScript, Python and Go parsers keep) is not.

    >>> duplicate_key({"event": "fax_sent"}, "event", "fax_deleted")
    b'{"event": "fax_sent", "event": "fax_deleted"}'
    """
    text = json.dumps(webhook)
    return (text[:-1] + (", " if webhook else "") + json.dumps(key) + ": " + json.dumps(value) + "}").encode()


def with_bom(webhook: dict[str, Any]) -> bytes:
    """A valid Webhook after a UTF-8 byte order mark (RFC 8259 §8.1: a parser MAY ignore it).

    >>> with_bom({"a": 1})
    b'\\xef\\xbb\\xbf{"a": 1}'
    """
    return codecs.BOM_UTF8 + json.dumps(webhook).encode()


def control_byte_at(where: Literal["target", "event", "between", "start"], byte: int) -> bytes:
    """A raw (unescaped) control byte inside the target string, inside the event string, between two
    tokens, or before the body. Inside a string it is a JSON5 reading; anywhere else no reading.

    >>> control_byte_at("between", 0)
    b'{"target": "https://example.com/fax/received",\\x00 "event": "fax_received"}'
    """
    char = chr(byte)
    text = {
        "target": BASE_TEXT.replace("received", "received" + char, 1),
        "event": BASE_TEXT.replace('fax_received"}', f'fax_received{char}"}}'),
        "between": BASE_TEXT.replace(",", "," + char, 1),
        "start": char + BASE_TEXT,
    }[where]
    return text.encode()


# Control bytes JSON never allows raw: C0 but the four JSON whitespace bytes (DEL is legal in strings).
CONTROL_BYTES = tuple(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D, 0x20))
FOREIGN_BODIES = (
    RawBody(b"register https://example.com/fax/received for fax_received", "text/plain"),
    RawBody(
        b"target=https%3A%2F%2Fexample.com%2Ffax%2Freceived&event=fax_received", "application/x-www-form-urlencoded"
    ),
    RawBody(
        b"<webhook><target>https://example.com/fax/received</target><event>fax_received</event></webhook>",
        "application/xml",
    ),  # fmt: skip
    RawBody(b"<?xml version='1.0'?><webhook target='https://example.com/fax' event='fax_sent'/>", "text/xml"),
    RawBody(
        b'--b\r\nContent-Disposition: form-data; name="target"\r\n\r\nhttps://example.com/fax\r\n'
        b'--b\r\nContent-Disposition: form-data; name="event"\r\n\r\nfax_sent\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    ),
)


# --- the families ------------------------------------------------------------------------------------
def limits_family(
    name: str,
    description: str,
    build: Build,
    breaks: set[Rule],
    examples: list[Any],
    kind: str | None = None,
) -> Family:
    return register(Family(name, description, build, frozenset(breaks), tuple(examples), kind=kind))


limits_family(
    "body-deep-nesting",
    "arrays or objects nested 5,000 to 8,000 deep (past the 1,000 of Python, Jackson, msgspec, ...)",
    lambda c: st.builds(
        lambda depth, shape, where: raw(nested(depth, shape, where)),
        st.integers(MIN_DEPTH, MAX_DEPTH),
        st.sampled_from(["array", "object"]),
        st.sampled_from(["body", "numbers", "extra"]),
    ),
    {NOT_JSON_RULE},  # no parser that gives up on it reads anything; one that does not reads an invalid Webhook
    [
        raw(nested(MIN_DEPTH, "array", "body")),
        raw(nested(MIN_DEPTH, "object", "extra")),
        raw(nested(MAX_DEPTH, "array", "numbers")),
        raw(nested(MAX_DEPTH, "object", "body")),
    ],
)
limits_family(
    "body-over-64kb",
    "an invalid Webhook whose body is just over 64 KB (a common body limit): 400, or 413",
    lambda c: st.builds(
        padded, st.integers(MAX_BODY + 1, MAX_BODY + 4 * KB), st.sampled_from(["padding", "numbers", "event"])
    ),
    {EXTRA_KEY, PATTERN, MAX_LENGTH, EVENT_ENUM},
    [padded(MAX_BODY + 1, "padding"), padded(MAX_BODY + 1, "numbers"), padded(100 * KB, "event")],
    kind="over-limits",
)
limits_family(
    "body-over-1mb",
    "an invalid Webhook whose body is just over 1 MB (Express's and nginx's default limits): 400, or 413",
    lambda c: st.builds(padded, st.sampled_from([MB + 1, MB + KB]), st.sampled_from(["padding", "numbers"])),
    {EXTRA_KEY, PATTERN, MAX_LENGTH},
    [padded(MB + 1, "padding"), padded(MB + 1, "numbers")],
    kind="over-limits",
)
_HUGE = ("1e400", "-1e400", "1" * 400, "-" + "9" * 400, "1" + "0" * 400 + ".5")
limits_family(
    "body-huge-numbers",
    "number literals no float or int64 holds (`1e400`, 400-digit integers) where strings belong",
    lambda c: st.builds(
        lambda f, n: raw(huge_number(f, n)), st.sampled_from(["id", "numbers", "target"]), st.sampled_from(_HUGE)
    ),
    {ID_TYPE, ITEM_TYPE, TARGET_TYPE},
    [
        raw(huge_number("id", "1e400")),
        raw(huge_number("numbers", "1" * 400)),
        raw(huge_number("target", "-1e400")),
        raw(huge_number("id", "9" * 400)),
    ],
)
limits_family(
    "body-many-keys",
    "thousands of unknown keys in one object (a parser's or a hash table's limit)",
    lambda c: st.builds(many_keys, st.integers(1_000, 4_000)),  # 4,000 keys: 60 KB, under the 64 KB class
    {EXTRA_KEY},
    [many_keys(1_000), many_keys(4_000)],
)
_DUPLICATES = {  # a duplicate whose value breaks one rule: the last reading is invalid
    "event": "fax_deleted",
    "target": 5,
    "numbers": ["12135550123"],
    "id": None,
    "foo": 1,
}
limits_family(
    "body-duplicate-keys",
    "a key given twice, the last value invalid (I-JSON, RFC 7493 §2.3, forbids duplicates)",
    lambda c: st.builds(
        lambda w, key: raw(duplicate_key(w, key, _DUPLICATES[key])), webhooks(c), st.sampled_from(sorted(_DUPLICATES))
    ),
    {EVENT_ENUM, TARGET_TYPE, PATTERN, ID_TYPE, EXTRA_KEY, NUMBERS_TYPE},
    [
        raw(duplicate_key(BASE, "event", "fax_deleted")),
        raw(duplicate_key(BASE, "target", 5)),
        raw(duplicate_key(sample(numbers=[VALID_NUMBER]), "numbers", ["12135550123"])),
        raw(duplicate_key(sample(id="a1"), "id", None)),
        raw(duplicate_key({**BASE, "foo": 1}, "foo", 2)),
        raw(duplicate_key(sample(numbers=[VALID_NUMBER]), "numbers", VALID_NUMBER)),
    ],
)
limits_family(
    "body-bom",
    "a valid Webhook after a UTF-8 byte order mark (RFC 8259 §8.1: MUST NOT be sent; accepting is lenient)",
    lambda c: webhooks(c).map(lambda w: raw(with_bom(w))),
    {NOT_JSON_RULE},
    [raw(with_bom(BASE)), raw(with_bom(sample(numbers=[VALID_NUMBER]))), raw(codecs.BOM_UTF8 * 2 + BASE_TEXT.encode())],
)
_UTF16 = ("utf-16", "utf-16-le", "utf-16-be", "utf-32")
limits_family(
    "body-utf16",
    "a valid Webhook encoded as UTF-16 or UTF-32 (RFC 8259 §8.1: JSON exchanged MUST be UTF-8)",
    lambda c: st.builds(lambda w, codec: raw(json.dumps(w).encode(codec)), webhooks(c), st.sampled_from(_UTF16)),
    {NOT_JSON_RULE},
    [raw(BASE_TEXT.encode(codec)) for codec in _UTF16],
)
limits_family(
    "body-control-bytes",
    "raw NUL and other control bytes in a string, between tokens or before the body",
    lambda c: st.builds(
        lambda where, byte: raw(control_byte_at(where, byte)),
        st.sampled_from(["target", "event", "between", "start"]),
        st.sampled_from(CONTROL_BYTES),
    ),
    {NOT_JSON_RULE},
    [
        raw(control_byte_at("target", 0x00)),
        raw(control_byte_at("event", 0x01)),
        raw(control_byte_at("between", 0x00)),
        raw(control_byte_at("start", 0x00)),
        raw(control_byte_at("target", 0x1B)),
    ],
)
limits_family(
    "body-foreign-media-type",
    "plain text, form data and XML under their own content types: no Webhook can be read from them",
    lambda c: st.sampled_from(FOREIGN_BODIES),
    {NOT_JSON_RULE},
    list(FOREIGN_BODIES),
    kind="over-limits",
)


# --- the classes, and CATS's fuzzers ----------------------------------------------------------------------
STACK_CLASSES: dict[str, tuple[str, ...]] = {
    "nesting 1,000 or more levels deep, as arrays and as objects": ("body-deep-nesting",),
    "a body truly over 64 KB": ("body-over-64kb", "exotic-webhook"),
    "a body over 1 MB": ("body-over-1mb",),  # no valid one: registered, it would outgrow `GET /hooks`
    "huge numbers (1e400, 400-digit integers)": ("body-huge-numbers",),
    "thousands of keys": ("body-many-keys",),
    "duplicate keys": ("body-duplicate-keys",),
    "a BOM-prefixed body (accepting it is lenient parsing)": ("body-bom",),
    "a UTF-16 body": ("body-utf16",),
    "NUL and other control bytes": ("body-control-bytes", "numbers-control-chars"),
    "non-JSON text, form data and XML under their own content types": ("body-foreign-media-type",),
    "oversized headers": ("envelope-large-header", "envelope-huge-header", "envelope-many-headers"),
    "duplicate headers": (
        "envelope-repeated-content-type",
        "envelope-conflicting-content-type",
        "envelope-repeated-authorization",
    ),
}

# The families of these classes, in the order the suite sends them: after every other test, since
# they are what takes a fragile server down (Prism dies on deep nesting), and deep nesting last.
STACK_FAMILIES: tuple[str, ...] = (
    "body-over-64kb",
    "body-over-1mb",
    "body-huge-numbers",
    "body-many-keys",
    "body-duplicate-keys",
    "body-bom",
    "body-utf16",
    "body-control-bytes",
    "body-foreign-media-type",
    "body-deep-nesting",
)

NA = "n/a: "
# Every CATS fuzzer that can touch one JSON `POST /hooks`, and what covers it here. Fuzzers of other
# operations (GET/PUT/DELETE consistency, IDOR, ETags, pagination) are left out of the list.
CATS: dict[str, str] = {
    "HappyPathFuzzer": "valid-webhook",
    "MalformedJsonFuzzer": "body-truncated, body-trailing-garbage, body-trailing-comma",
    "RandomDummyInvalidJsonBodyFuzzer": "body-single-quotes, body-unquoted-keys, body-comments",
    "EmptyBodyFuzzer": "body-empty, body-absent",
    "NullBodyFuzzer": "body-not-object",
    "EmptyJsonBodyFuzzer": "missing-target-and-event",
    "EmptyJsonArrayBodyFuzzer": "body-not-object",
    "NullUnicodeBodyFuzzer": "body-control-bytes",
    "NullUnicodeSymbolBodyFuzzer": "body-control-bytes",
    "RandomStringBodyFuzzer": "body-not-object",
    "RandomUnicodeBodyFuzzer": "body-not-object, body-invalid-utf8",
    "RandomPositiveIntegerBodyFuzzer": "body-not-object",
    "RandomNegativeIntegerBodyFuzzer": "body-not-object",
    "RandomPositiveDecimalBodyFuzzer": "body-not-object",
    "RandomNegativeDecimalBodyFuzzer": "body-not-object",
    "ZeroIntegerBodyFuzzer": "body-not-object",
    "ZeroDecimalBodyFuzzer": "body-not-object",
    "InsertRandomValuesInBodyFuzzer": "extra-property-unknown",
    "DuplicateKeysFieldsFuzzer": "body-duplicate-keys",
    "OverflowMapSizeFieldsFuzzer": "body-many-keys",
    "OverflowArraySizeFieldsFuzzer": "valid-numbers, exotic-webhook",
    "ExtremePositiveNumbersInIntegerFieldsFuzzer": "body-huge-numbers",
    "ExtremeNegativeNumbersInIntegerFieldsFuzzer": "body-huge-numbers",
    "ExtremePositiveNumbersInDecimalFieldsFuzzer": "body-huge-numbers",
    "ExtremeNegativeNumbersInDecimalFieldsFuzzer": "body-huge-numbers",
    "VeryLargeStringsInFieldsFuzzer": "body-over-64kb, body-over-1mb, numbers-too-long",
    "VeryLargeUnicodeStringsInFieldsFuzzer": "body-over-64kb, exotic-webhook",
    "NewFieldsFuzzer": "extra-property-unknown",
    "MassAssignmentFuzzer": "extra-property-unknown, extra-property-near-miss",
    "RemoveFieldsFuzzer": "missing-target, missing-event, missing-target-and-event",
    "NullValuesInFieldsFuzzer": "target-wrong-type, event-wrong-type, numbers-null-items",
    "EmptyStringsInFieldsFuzzer": "event-empty, numbers-empty-string",
    "InvalidValuesInEnumsFieldsFuzzer": "event-unknown",
    "EnumCaseVariantFieldsFuzzer": "event-case-variant",
    "HomoglyphEnumFieldsFuzzer": "event-homoglyph",
    "ReplaceArraysWithPrimitivesFieldsFuzzer": "numbers-not-array",
    "ReplaceArraysWithSimpleObjectsFieldsFuzzer": "numbers-not-array",
    "ReplacePrimitivesWithArraysFieldsFuzzer": "event-wrong-type, target-wrong-type",
    "ReplacePrimitivesWithObjectsFieldsFuzzer": "event-wrong-type, id-wrong-type",
    "SingleElementArrayToScalarFieldsFuzzer": "numbers-not-array",
    "StringFieldsRightBoundaryFuzzer": "numbers-too-long",
    "StringFieldsLeftBoundaryFuzzer": "numbers-single-char, numbers-empty-string",
    "StringsInNumericFieldsFuzzer": NA + "the Webhook has no numeric field",
    "LeadingControlCharsInFieldsTrimValidateFuzzer": "numbers-control-chars",
    "LeadingWhitespacesInFieldsTrimValidateFuzzer": "numbers-whitespace-around, event-whitespace",
    "TrailingWhitespacesInFieldsTrimValidateFuzzer": "numbers-whitespace-around, event-whitespace",
    "WithinControlCharsInStringFieldsSanitizeValidateFuzzer": "numbers-control-chars",
    "ZeroWidthCharsInValuesFieldsFuzzer": "numbers-invisible-chars, event-invisible-chars",
    "AbugidasInStringFieldsSanitizeValidateFuzzer": "numbers-non-ascii-digits",
    "ZalgoTextInFieldsFuzzer": "event-homoglyph, numbers-invisible-chars",
    "LeadingMultiCodePointEmojisInFieldsTrimValidateFuzzer": "event-unknown",
    "SSRFInUrlFieldsFuzzer": "valid-targets and exotic-webhook (internal hosts are exotic: a refusal only warns)",
    "VeryLargeValuesInHeadersFuzzer": "envelope-large-header, envelope-huge-header",
    "VeryLargeStringsInHeadersFuzzer": "envelope-large-header, envelope-huge-header, auth-oversized-token",
    "LargeNumberOfRandomHeadersFuzzer": "envelope-many-headers",
    "LargeNumberOfRandomAlphanumericHeadersFuzzer": "envelope-many-headers",
    "UnsupportedContentTypesHeadersFuzzer": "body-foreign-media-type, wrong-media-type",
    "DummyContentTypeHeadersFuzzer": "wrong-media-type",
    "RemoveHeadersFuzzer": "no-credentials, envelope-no-accept",
    "DummyAcceptHeadersFuzzer": NA + "the contract answers JSON whatever Accept says; envelope-no-accept covers none",
    "BypassAuthenticationFuzzer": "no-credentials, wrong-credentials, auth-*",
    "DuplicateHeaderFuzzer": "envelope-repeated-content-type, envelope-conflicting-content-type",
    "DuplicateHeadersFuzzer": "envelope-repeated-content-type, envelope-repeated-authorization",
    "CRLFHeadersFuzzer": NA + "httpx refuses CR/LF in a header value before it reaches the wire",
    "DummyContentLengthHeadersFuzzer": NA + "httpx frames the body itself; a wrong Content-Length needs a raw socket",
    "InvalidContentLengthHeadersFuzzer": NA + "httpx frames the body itself; a wrong Content-Length needs a raw socket",
    "DummyTransferEncodingHeadersFuzzer": NA + "httpx frames the body itself (envelope-chunked is the valid framing)",
    "HttpMethodsFuzzer": NA + "other methods on /hooks are not in the contract of POST /hooks",
    "NonRestHttpMethodsFuzzer": NA + "other methods on /hooks are not in the contract of POST /hooks",
    "CheckSecurityHeadersFuzzer": NA + "the contract documents no response header",
    "SqlInjectionInStringFieldsFuzzer": NA + "a stored string has no query semantics the contract defines",
    "NoSqlInjectionInStringFieldsFuzzer": "event-wrong-type ({'$ne': 'x'}), id-wrong-type ({'$oid': ...})",
    "CommandInjectionInStringFieldsFuzzer": NA + "a stored string has no shell semantics the contract defines",
}
