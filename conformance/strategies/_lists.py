"""The shape of `numbers` beyond its first items: where a bad item sits, items holding two
numbers, digit runs long enough to make a backtracking regex explode.

Every function here is pure: the same arguments give the same value, so an edge case is a call
and a generated member is the same call on drawn arguments.
"""

from __future__ import annotations

from typing import Literal

Position = Literal["first", "middle", "last"]
POSITIONS: tuple[Position, ...] = ("first", "middle", "last")
LENGTHS = (3, 12, 50, 100)  # past the first few items a sampling server checks, up to the realistic 100
SEPARATORS = (",", ";", " ")  # what a client joining two numbers into one string puts between them
# Characters that end a digit run and make `^[+][1-9][0-9]{1,14}$` (and any variant of it) fail at
# the very end of the string: where a backtracking engine retries every split of the digits.
RUN_BREAKERS = "x!#+-./ a"


def index_of(position: Position, length: int) -> int:
    """The index `position` names in a list of `length` items.

    >>> [index_of(p, 12) for p in POSITIONS]
    [0, 6, 11]
    """
    return {"first": 0, "middle": length // 2, "last": length - 1}[position]


def valid_numbers(count: int) -> list[str]:
    """`count` distinct valid E.164 numbers (up to 10,000), all 12 characters long.

    >>> valid_numbers(3)
    ['+12135550000', '+12135550001', '+12135550002']
    """
    return [f"+1213555{i:04d}" for i in range(count)]


def bad_at(position: Position, length: int, bad: object) -> list[object]:
    """A `numbers` list of `length` items, all valid but `bad` at `position`.

    >>> bad_at("last", 3, "+1")
    ['+12135550000', '+12135550001', '+1']
    >>> bad_at("middle", 3, "")
    ['+12135550000', '', '+12135550002']
    """
    items: list[object] = list(valid_numbers(length))
    items[index_of(position, length)] = bad
    return items


def joined(first: str, second: str, separator: str) -> str:
    """Two valid numbers in one item, as a client that joined a list into a string sends them.

    >>> joined("+12135550123", "+442079460958", ";")
    '+12135550123;+442079460958'
    """
    return first + separator + second


def digit_run(digits: int, breaker: str, first: str = "1") -> str:
    """`+`, a run of `digits` digits starting with `first`, then `breaker`.

    >>> digit_run(12, "x")
    '+123456789012x'
    """
    run = first + "".join(str((int(first) + i) % 10) for i in range(1, digits))
    return "+" + run + breaker
