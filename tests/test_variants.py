"""The variant sweep: every conformant variant of the reference mock passes the suite.

A variant differs from the reference only where the contract leaves the server free (framing,
compression, connection handling, id shape, JSON layout, extra headers, latency, how credentials
are refused, rate limiting, lenient parsing). Any fail against one is a false positive of the suite.
Each case is a whole run in-process against a real mock on 127.0.0.1 (the Courier's, through the CLI).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.suite_runs import TOKEN, findings, run_suite
from tiers import SYSTEM, sampled

from conformance.mock import FAULTS, VARIANTS, MockServer, Variant

# Variants the suite cannot pass yet, and why: each is an expected failure (not strict) until then.
PENDING: dict[str, str] = {}


def _params() -> list[object]:
    marks = {name: [pytest.mark.xfail(strict=False, reason=why)] for name, why in PENDING.items()}
    return sampled(VARIANTS, every=6, ids=lambda v: v.name, marks=marks)


def test_variant_catalogue_is_named_and_distinct_from_faults() -> None:
    names = VARIANTS.names()
    assert len(names) == len(set(names)) >= 13
    assert not set(names) & set(FAULTS.names())
    assert set(PENDING) <= set(names)
    for variant in VARIANTS:
        assert variant.description.strip(), variant.name
        assert variant.schema or variant.stages or variant.reply or variant.wire != type(variant.wire)(), variant.name


@pytest.mark.parametrize("variant", _params())
def test_variant_passes_the_suite(variant: Variant, tmp_path: Path) -> None:
    with MockServer(token=TOKEN, variant=variant) as mock:
        code, summary = run_suite(mock, tmp_path)
    assert_passes(variant, code, summary)
    assert mock.store.all() == [], "everything the run registered is deleted"


def assert_passes(variant: Variant, code: int, summary: dict) -> None:
    failing = [f for f in findings(summary) if f.startswith("fail ")]
    assert failing == [], f"{variant.name}: {failing}"
    assert code == 0, f"{variant.name}: exit {code}; findings {findings(summary)}"
    assert summary["verdict"] in ("pass", "warn")


# Variants of the wire through the Courier (see test_faults.WIRE_FAULTS; all 13 were swept by hand).
WIRE_VARIANTS = ("connection-close", "idle-close", "chunked-responses", "rate-limited")


@SYSTEM
@pytest.mark.parametrize("name", WIRE_VARIANTS)
def test_wire_variant_passes_through_the_courier(name: str, courier_cache: Path, tmp_path: Path) -> None:
    with MockServer(token=TOKEN, variant=VARIANTS[name]) as mock:
        code, summary = run_suite(mock, tmp_path, "--no-cleanup", "--cache-dir", courier_cache)
    assert_passes(VARIANTS[name], code, summary)
