"""The suite: the tests that draw, send and judge cases (`test_post_hooks.py`), the Session that holds
a run's state, and the pytest side of the cases phase (`CasesRun`). The engine drives it; plain
`pytest --pyargs conformance.suite [--base-url URL --token T]` runs it through the same engine.
"""

from ._embedded import EmbeddedMock
from ._hooks import RUN, CasesRun, ContractViolation
from ._probe import record_sent_ahead
from ._reference import DiffSpec, Reference, build_diff
from ._session import Session, open_session
from ._shrink import Shrinker

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
