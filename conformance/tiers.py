"""Tiers: how hard a run explores. `ci` is derandomized and gives the same verdict every run;
`nightly` draws more, from a seed it prints so any run can be replayed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.target import Tier

if TYPE_CHECKING:
    from hypothesis import settings


@dataclass(frozen=True)
class TierSettings:
    family_examples: int  # generated members per invalid family (its edge cases are always sent too)
    valid_examples: int
    schemathesis_examples: int  # per generation mode
    envelope_examples: int  # rule members drawn per envelope, beyond the covering array every tier sends
    derandomize: bool

    def hypothesis(self, max_examples: int) -> settings:
        from hypothesis import HealthCheck, Phase, settings  # only where cases are drawn

        return settings(
            max_examples=max_examples,
            derandomize=self.derandomize,
            database=None,  # replay comes from the seed, not from a local example database
            deadline=None,  # network latency is judged by the timeout, not by Hypothesis
            # Cases are judged without raising, so there is nothing to shrink.
            phases=(Phase.explicit, Phase.generate),
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )


TIERS: dict[Tier, TierSettings] = {
    "ci": TierSettings(
        family_examples=4, valid_examples=20, schemathesis_examples=30, envelope_examples=0, derandomize=True
    ),
    "nightly": TierSettings(
        family_examples=60, valid_examples=300, schemathesis_examples=400, envelope_examples=30, derandomize=False
    ),
}
