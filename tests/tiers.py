"""The project's two test tiers.

- **gate** (`tox -e test`, what `.ci/run` runs): unit and in-process tests, and a fixed sample of
  every sweep. Deterministic, a few minutes on two cores.
- **system** (`tox -e system`): every whole run over a catalogue (faults, variants, divergences),
  the real stacks (peers, Prism, generated SDKs, Chromium), and the slow repeated runs
  (determinism, nightly). Marked `@pytest.mark.system`.

A sweep keeps every `every`-th entry of its catalogue in the gate, in catalogue order, so the
sample is the same on every machine and a new entry joins it at the same rate.

>>> [p.id for p in sampled(["a", "b", "c", "d"], every=2, ids=str) if not p.marks]
['a', 'c']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pytest

SYSTEM = pytest.mark.system


def sampled(
    entries: Iterable[Any],
    *,
    every: int,
    ids: Callable[[Any], str],
    marks: dict[str, Sequence[pytest.MarkDecorator]] | None = None,
) -> list[Any]:
    """`entries` as pytest params: every `every`-th in the gate, the rest `system`."""
    params = []
    for i, entry in enumerate(entries):
        name = ids(entry)
        extra = list((marks or {}).get(name, ()))
        params.append(pytest.param(entry, id=name, marks=extra if i % every == 0 else [*extra, SYSTEM]))
    return params
