"""Change: what a Fault or a Variant alters in the reference mock, through one mechanism.

A change patches the schema the mock validates with, replaces pipeline stages, rewrites the reply
of `POST /hooks`, or changes how answers travel (`Framing`). Everything it does not name stays faithful.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ._behaviour import Context, Stage
from ._framing import Framing
from ._reply import Reply, Request

SchemaPatch = Callable[[dict[str, Any]], None]
ReplyPatch = Callable[[Request, Context, Reply], Reply]


class Change(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def schema(self) -> SchemaPatch | None: ...
    @property
    def stages(self) -> Mapping[str, Stage]: ...
    @property
    def reply(self) -> ReplyPatch | None: ...
    @property
    def wire(self) -> Framing: ...
