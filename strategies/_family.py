"""Family: one labelled way of breaking the Webhook schema, and the registry that holds them all."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from conformance.registry import Registry

from ._payload import Payload

# A broken rule as a JSON Schema validator reports it: (instance path with array indices as `*`,
# keyword). The two pseudo-rules below cover bodies that never reach schema validation.
Rule = tuple[str, str]
NOT_JSON: Rule = ("", "json")
NO_BODY: Rule = ("", "body")


@dataclass(frozen=True)
class Family:
    """A labelled family of invalid payloads.

    `breaks` is the exhaustive set of rules a member may violate; every member violates at least
    one of them and nothing else. `examples` are edge cases sent before any generated member, so
    the deterministic tier always covers them.
    """

    name: str
    description: str
    strategy: st.SearchStrategy[Payload]
    breaks: frozenset[Rule]
    examples: tuple[Payload, ...] = field(default=())

    @property
    def rule(self) -> str:
        """The contract rule this family names, e.g. `numbers/*:pattern`."""
        return ", ".join(sorted(f"{path}:{keyword}" if path else keyword for path, keyword in self.breaks))

    def payloads(self) -> st.SearchStrategy[Payload]:
        """Examples first (as `sampled_from`), generated members after."""
        if not self.examples:
            return self.strategy
        return st.one_of(st.sampled_from(self.examples), self.strategy)


FAMILIES: Registry[Family] = Registry("family")
register = FAMILIES.register
