"""A contract's `POST /hooks` operation, as schemathesis loads it: once per contract.

Loaded from the contract's own file, not at import: schemathesis's pytest fixture loader does not
work on pytest 9.2, and which file is the contract is the run's to say.
"""

from __future__ import annotations

import functools
from typing import Any

import schemathesis
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.schemas import OpenApiSchema

from conformance.contract import Contract

__all__ = ["Operation", "operation_of", "schema_of"]

Operation = APIOperation[Any, Any, Any, Any]  # what builds a Case (`operation.Case(body=...)`)


@functools.cache
def schema_of(contract: Contract) -> OpenApiSchema:
    """The schemathesis schema of `contract` (its `config` takes the run's base URL)."""
    return schemathesis.openapi.from_path(contract.path)


@functools.cache  # one per contract: a Case, and schemathesis's own generation, build on it
def operation_of(contract: Contract) -> Operation:
    """The `POST /hooks` operation of `contract`: what builds a Case and draws schemathesis's own."""
    return schema_of(contract)["/hooks"]["POST"]
