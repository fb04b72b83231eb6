"""Variant: a server that differs from the reference only where the contract leaves it free.

Every variant must pass the suite (exit 0, warns allowed): a fail against one is a false positive
of the suite, not a finding about the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from conformance.registry import Registry

from ._behaviour import Stage
from ._change import ReplyPatch, SchemaPatch
from ._framing import FAITHFUL, Framing


@dataclass(frozen=True)
class Variant:
    name: str
    description: str  # what differs, and why the contract allows it
    schema: SchemaPatch | None = None
    stages: Mapping[str, Stage] = field(default_factory=dict)
    reply: ReplyPatch | None = None
    wire: Framing = FAITHFUL
    # What `diff --base-url VARIANT --reference-url REFERENCE-MOCK` must report, and nothing else:
    # divergence causes as `cause (kind)`, e.g. "status 403 vs 401 (no-credentials)".
    diverges: tuple[str, ...] = ()


VARIANTS: Registry[Variant] = Registry("variant")
