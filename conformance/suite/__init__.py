"""The suite: the tests that draw, send and judge cases (`test_post_hooks.py`), the Session that holds
a run's state, and the pytest side of the cases phase (`CasesRun`). The engine drives it; plain
`pytest --pyargs conformance.suite [--base-url URL --token T]` runs it through the same engine.

Each name is imported when first asked for: the CLI starts the embedded mock (`EmbeddedMock`, which
needs nothing else) before it imports the rest, so that the mock's process gets ready on the other
core meanwhile, not half a second later.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._embedded import EmbeddedMock
    from ._hooks import RUN, CasesRun, ContractViolation
    from ._probe import record_sent_ahead
    from ._reference import DiffSpec, Reference, build_diff
    from ._session import Session, open_session
    from ._shrink import Shrinker

_WHERE = {
    "EmbeddedMock": "._embedded",
    "RUN": "._hooks",
    "CasesRun": "._hooks",
    "ContractViolation": "._hooks",
    "record_sent_ahead": "._probe",
    "DiffSpec": "._reference",
    "Reference": "._reference",
    "build_diff": "._reference",
    "Session": "._session",
    "open_session": "._session",
    "Shrinker": "._shrink",
}

__all__ = [
    "RUN",
    "CasesRun",
    "ContractViolation",
    "DiffSpec",
    "EmbeddedMock",
    "Reference",
    "Session",
    "Shrinker",
    "build_diff",
    "open_session",
    "record_sent_ahead",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value  # asked once
    return value
