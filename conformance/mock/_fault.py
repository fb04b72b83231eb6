"""Fault: one rule of the contract broken on purpose, everything else faithful."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.registry import Registry

from ._behaviour import Context, Stage
from ._reply import Reply, Request

SchemaPatch = Callable[[dict[str, Any]], None]
ReplyPatch = Callable[[Request, Context, Reply], Reply]


@dataclass(frozen=True)
class Fault:
    """One entry of the catalogue.

    A fault patches the schema the mock validates with, replaces pipeline stages, or rewrites
    the reply. `caught_by` names the family or check that must report it: a fault caught only by
    some other rule does not count as killed.
    """

    name: str
    description: str
    caught_by: frozenset[str]
    schema: SchemaPatch | None = None
    stages: Mapping[str, Stage] = field(default_factory=dict)
    reply: ReplyPatch | None = None


FAULTS: Registry[Fault] = Registry("fault")
