"""Strict JSON, the one reading every part of the suite shares (judge, sender, mock, SDK gate).

RFC 8259 only: UTF-8, no NaN or Infinity (Python's `json` accepts both by default). Escaped lone
surrogates (`"\\ud800"`) are legal JSON text and parse to a lone surrogate.

>>> strict_json(b'{"a": NaN}') is MISSING
True
"""

from __future__ import annotations

import json
from typing import Any

MISSING: Any = object()  # what `strict_json` returns for a body that is not JSON


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse(text: str) -> Any:
    """`text` as strict JSON; ValueError when it is not."""
    return json.loads(text, parse_constant=_reject_constant)


def strict_json(raw: bytes) -> Any:
    """`raw` as strict JSON, or MISSING."""
    try:
        return parse(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return MISSING
