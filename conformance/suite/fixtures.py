"""The suite's fixtures, registered by the plugin (`conformance.plugin`)."""

from __future__ import annotations

import pytest

from ._cases import cache_name
from ._hooks import PROBES, RUN
from ._probe import Probe
from ._session import Session

__all__ = ["conformance_run", "probe"]


@pytest.fixture(scope="session")
def conformance_run(pytestconfig: pytest.Config) -> Session:
    """The run's Session, opened on first use (the mock starts, or the preflight goes out, here)."""
    return pytestconfig.stash[RUN].open()


@pytest.fixture
def probe(request: pytest.FixtureRequest, conformance_run: Session) -> Probe:
    cases, key = conformance_run.cases, cache_name(request.node.nodeid)
    instance = Probe(conformance_run, request.node.nodeid, plan=cases.plan(key) if cases else None, key=key)
    request.node.stash[PROBES] = instance
    return instance
