"""The catalogue of invalid Webhook families (one `register(Family(...))` each)."""

from __future__ import annotations

from hypothesis import strategies as st

from ._family import Family, register
from ._webhook import webhooks

register(
    Family(
        name="numbers-empty",
        description="`numbers` is an empty array (minItems 1)",
        strategy=webhooks().map(lambda w: {**w, "numbers": []}),
        breaks=frozenset({("numbers", "minItems")}),
    )
)
