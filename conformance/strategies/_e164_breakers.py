"""Strings that look like E.164 numbers but break `^[+][1-9][0-9]{1,14}$`, one concept each.

Unless a breaker says otherwise its strings stay 2..16 characters long, so they break `pattern`
and nothing else: a server that only enforces `minLength`/`maxLength` must still reject them.
"""

from __future__ import annotations

from typing import Literal

from hypothesis import strategies as st

from ._near_misses import invisible_char
from ._webhook import e164_numbers

MAX_LENGTH = 16  # the schema's maxLength, also the longest string the pattern admits ('+' and 15 digits)
Where = Literal["inside", "around", "anywhere"]

# Digit-by-digit look-alikes: `int()`, `str.isdigit()` and Python's `\d` accept them all, `[0-9]` doesn't.
DIGIT_ZEROS = (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10, 0x1D7CE)  # Arabic-Indic … math bold
PLUS_LOOKALIKES = "\uff0b\ufe62\u207a\u208a\u2795"  # fullwidth, small, super-/subscript, heavy plus
# JSON-legal whitespace plus what `str.strip()` and friends also eat.
WHITESPACE = (" ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\xa0", "\u2009", "\u3000", "\u2028")
SEPARATORS = " -./()"  # how humans format phone numbers


def _numbers_leaving_room(room: int) -> st.SearchStrategy[str]:
    """Valid numbers short enough that `room` more characters keep them within MAX_LENGTH."""
    return e164_numbers(max_digits=MAX_LENGTH - 1 - room)


@st.composite
def spliced(draw: st.DrawFn, pieces: st.SearchStrategy[str], where: Where, max_pieces: int = 1) -> str:
    """A valid number with 1..max_pieces `pieces` inserted, still at most MAX_LENGTH long.

    `inside` never touches the first or last character; `around` only prepends or appends.

    >>> spliced(st.just("-"), "inside").example()  # doctest: +SKIP
    '+1213-5550123'
    """
    chunks = draw(st.lists(pieces, min_size=1, max_size=max_pieces))
    number = draw(_numbers_leaving_room(sum(map(len, chunks))))
    for chunk in chunks:
        if where == "around":
            at = draw(st.sampled_from((0, len(number))))
        elif where == "inside":
            at = draw(st.integers(1, len(number) - 1))
        else:
            at = draw(st.integers(0, len(number)))
        number = number[:at] + chunk + number[at:]
    return number


@st.composite
def digits_replaced(draw: st.DrawFn, replacement: st.SearchStrategy[str]) -> str:
    """A valid number with some digits (at least one) swapped for `replacement` characters.

    >>> digits_replaced(st.just("O")).example()  # doctest: +SKIP
    '+1213555O123'
    """
    number = list(draw(e164_numbers()))
    for at in draw(st.sets(st.integers(1, len(number) - 1), min_size=1)):
        number[at] = draw(replacement)
    return "".join(number)


@st.composite
def foreign_digits(draw: st.DrawFn) -> str:
    """A valid number with some or all digits written in another script: NFKC or `int()` would
    turn it back into the valid number, which is exactly the lenient server this catches.

    >>> foreign_digits().example()  # doctest: +SKIP
    '+١٢١٣٥٥٥٠١٢٣'
    """
    zero = draw(st.sampled_from(DIGIT_ZEROS))
    number = list(draw(e164_numbers()))
    every = draw(st.booleans())
    chosen = range(1, len(number)) if every else draw(st.sets(st.integers(1, len(number) - 1), min_size=1))
    for at in chosen:
        number[at] = chr(zero + int(number[at]))
    return "".join(number)


def missing_plus() -> st.SearchStrategy[str]:
    """'12135550123': the digits without the leading `+`."""
    return e164_numbers().map(lambda n: n[1:])


def plus_lookalike() -> st.SearchStrategy[str]:
    """'＋12135550123': the `+` replaced by a Unicode look-alike (NFKC maps some back to `+`)."""
    return st.builds(lambda plus, n: plus + n[1:], st.sampled_from(PLUS_LOOKALIKES), e164_numbers())


def leading_zero() -> st.SearchStrategy[str]:
    """'+012135550123': a country code cannot start with 0 (lengths 2..16)."""
    return st.text(alphabet="0123456789", max_size=MAX_LENGTH - 2).map(lambda rest: "+0" + rest)


def too_short() -> st.SearchStrategy[str]:
    """'+1': a single digit passes `minLength: 2` but not the pattern's `{1,14}` after the first."""
    return st.sampled_from("123456789").map(lambda d: "+" + d)


def too_long() -> st.SearchStrategy[str]:
    """'+1234567890123456': 16+ digits, so 17+ characters and also over `maxLength`."""
    return e164_numbers(min_digits=MAX_LENGTH, max_digits=40)


def letters() -> st.SearchStrategy[str]:
    """'+1800FLOWERS', '+1e10': ASCII letters where digits belong (vanity numbers, exponents)."""
    return digits_replaced(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def separators() -> st.SearchStrategy[str]:
    """'+1 213-555.0123': human formatting left in."""
    return spliced(st.sampled_from(SEPARATORS), "inside", max_pieces=4)


def whitespace_around() -> st.SearchStrategy[str]:
    """' +12135550123', '+12135550123\\r\\n': what a trimming server would silently accept."""
    return spliced(st.sampled_from(WHITESPACE), "around", max_pieces=2)


def trailing_newline() -> st.SearchStrategy[str]:
    """'+12135550123\\n': passes a Python `re` check of `...$` (which matches before a final newline)."""
    return _numbers_leaving_room(1).map(lambda n: n + "\n")


def whitespace_inside() -> st.SearchStrategy[str]:
    """'+1213\\t5550123': whitespace other than a plain space between the digits."""
    return spliced(st.sampled_from([w for w in WHITESPACE if w != " "]), "inside", max_pieces=2)


def control_chars() -> st.SearchStrategy[str]:
    """'+12135550123\\x00': non-whitespace control characters (NUL ends a C string early)."""
    controls = st.characters(categories=["Cc"]).filter(lambda c: not c.isspace())
    return spliced(controls, "anywhere", max_pieces=2)


def invisible_chars() -> st.SearchStrategy[str]:
    """'+1213\\u200b5550123': format characters (zero-width space, BOM, soft hyphen) from copy-paste."""
    return spliced(invisible_char(), "anywhere", max_pieces=2)


def extra_plus() -> st.SearchStrategy[str]:
    """'++12135550123', '+12135550123+': a second `+` anywhere."""
    return spliced(st.just("+"), "anywhere")


def single_char() -> st.SearchStrategy[str]:
    """'+': one character, under `minLength: 2` as well as the pattern."""
    return st.characters(exclude_categories=["Cs"])


def any_bad_string() -> st.SearchStrategy[str]:
    """Any member of the breakers above, plus the empty string."""
    return st.one_of(
        missing_plus(),
        plus_lookalike(),
        leading_zero(),
        too_short(),
        too_long(),
        letters(),
        separators(),
        foreign_digits(),
        whitespace_around(),
        trailing_newline(),
        whitespace_inside(),
        control_chars(),
        invisible_chars(),
        extra_plus(),
        single_char(),
        st.just(""),
    )
