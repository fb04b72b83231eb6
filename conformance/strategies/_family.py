"""Family: one labelled way of breaking the Webhook schema, and the registry that holds them all.

A family is data: its name, the rules it breaks, its examples, and how to build its strategy from
a contract (`build`). The strategy itself is a function of the contract it is drawn under, built
once per contract (`Family.strategy(contract)`), like every strategy here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import strategies as st

from conformance.contract import Contract
from conformance.json_body import MISSING, strict_json
from conformance.registry import Registry
from conformance.rules import NO_BODY, NOT_JSON, Rule

from ._payload import Payload, RawBody

# A broken rule is a named rule of the contract (`conformance.rules`): `numbers/*:pattern`. The two
# wire rules cover bodies that never reach schema validation: `:json` and `:body`.
NOT_JSON_RULE = NOT_JSON
NO_BODY_RULE = NO_BODY

Build = Callable[[Contract], st.SearchStrategy[Payload]]  # a family's strategy, given the contract it is drawn under


@dataclass(frozen=True)
class Family:
    """A labelled family of invalid payloads.

    `breaks` is the exhaustive set of rules a member may violate (rules of the contract, by id
    `numbers/*:pattern`); every member violates at least one of them and nothing else. `examples`
    are edge cases sent before any generated member, so the deterministic tier always covers them.
    `build` makes the generated members' strategy from a contract (its events, properties and
    required keys): see `strategy`.
    """

    name: str
    description: str
    build: Build
    breaks: frozenset[Rule]
    examples: tuple[Payload, ...] = field(default=())
    # Why this family does not apply to a contract (None: it does). Default: when every example is
    # a valid Webhook under that contract, the rule the family breaks is not in it (another version
    # of the spec dropped `minItems`, `additionalProperties: false`, a required key, ...).
    applies: Callable[[Contract], str | None] | None = None
    # The Kind (its value, e.g. "over-limits") every member is judged as, when what a stack does with
    # the request decides rather than the body's value: a 413 to a 1 MB body, a 415 to XML. None:
    # each member is classified by what it is, like every other case.
    kind: str | None = None

    def not_applicable(self, contract: Contract) -> str | None:
        """One line saying why this family is skipped under `contract`, or None to run it."""
        if self.applies is not None:
            return self.applies(contract)
        if self.examples and not any(_breaks(example, contract) for example in self.examples):
            return f"{self.name}: every example is a valid Webhook under this contract, which does not have {self.rule}"
        return None

    @property
    def rule(self) -> str:
        """The contract rule(s) this family breaks, by id, e.g. `numbers/*:pattern`."""
        return ", ".join(rule.id for rule in sorted(self.breaks))

    def strategy(self, contract: Contract) -> st.SearchStrategy[Payload]:
        """The generated members under `contract` (built once per contract)."""
        return _built(self.build, contract)

    def payloads(self, contract: Contract) -> st.SearchStrategy[Payload]:
        """Examples first (as `sampled_from`), generated members after."""
        if not self.examples:
            return self.strategy(contract)
        return st.one_of(st.sampled_from(self.examples), self.strategy(contract))


@functools.cache  # a strategy is immutable: one per family and contract
def _built(build: Build, contract: Contract) -> st.SearchStrategy[Payload]:
    return build(contract)


def _breaks(example: Payload, contract: Contract) -> bool:
    """Is this example an invalid request under `contract`? A body that is not JSON always is."""
    if isinstance(example, RawBody):
        if example.content is None:
            return True
        example = strict_json(example.content)
        if example is MISSING:
            return True
    return not contract.is_valid("Webhook", example)


FAMILIES: Registry[Family] = Registry("family")
register = FAMILIES.register
