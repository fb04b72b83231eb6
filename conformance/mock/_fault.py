"""Fault: one rule of the contract broken on purpose, everything else faithful."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

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


class FaultRegistry:
    def __init__(self) -> None:
        self._faults: dict[str, Fault] = {}

    def register(self, fault: Fault) -> Fault:
        if fault.name in self._faults:
            raise ValueError(f"fault {fault.name!r} is registered twice")
        self._faults[fault.name] = fault
        return fault

    def get(self, name: str) -> Fault | None:
        return self._faults.get(name)

    def __getitem__(self, name: str) -> Fault:
        return self._faults[name]

    def __iter__(self) -> Iterator[Fault]:
        return iter(self._faults.values())

    def __len__(self) -> int:
        return len(self._faults)

    def names(self) -> list[str]:
        return list(self._faults)


FAULTS = FaultRegistry()
