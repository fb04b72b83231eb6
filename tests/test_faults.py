"""The fault sweep: the reference mock passes, and every fault in the catalogue is reported in the
`ci` tier by what names its broken rule (the rule's id, a family or a check), with the verdict it must get
(`Fault.expect`): a fail-fault exits 1 with a `fail` finding of that rule; a warn-fault exits 0
with a `warn` finding of that rule in its category. A report by another rule does not count.

Each case is a whole run, in-process (`conformance.run`, the engine the CLI wraps), against a real
mock on 127.0.0.1, so adding a fault to the catalogue adds a test here; the runs through the
Courier's process are the real CLI in a subprocess, as only the CLI starts one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.suite_runs import STALLING_TIMEOUT, TIMEOUT, TOKEN, fails, findings, run_suite
from tiers import SYSTEM, sampled

from conformance.mock import FAULTS, Fault, MockServer

# Faults the suite cannot report yet, and why: each is an expected failure (not strict) until then.
PENDING: dict[str, str] = {}


def test_reference_mock_is_conformant(tmp_path: Path) -> None:
    with MockServer(token=TOKEN) as mock:
        code, summary = run_suite(mock, tmp_path)
    assert fails(summary) == []
    assert code == 0
    assert summary["verdict"] in ("pass", "warn")
    # Nothing the run registered is left behind.
    assert mock.store.all() == []


def _sweep_params() -> list[object]:
    marks = {name: [pytest.mark.xfail(strict=False, reason=why)] for name, why in PENDING.items()}
    return sampled(FAULTS, every=14, ids=lambda fault: fault.name, marks=marks)


def timeout_for(fault: Fault) -> float:
    """A fault reported by a timeout stalls on purpose: the short timeout keeps its run short."""
    return STALLING_TIMEOUT if any("transport" in rule for rule in fault.caught_by) else TIMEOUT


def test_pending_names_real_faults() -> None:
    assert set(PENDING) <= set(FAULTS.names())


@pytest.mark.parametrize("fault", _sweep_params())
def test_fault_is_reported_by_its_rule(fault: Fault, tmp_path: Path) -> None:
    with MockServer(token=TOKEN, fault=fault) as mock:
        code, summary = run_suite(mock, tmp_path, timeout=timeout_for(fault))
    assert_reported(fault, code, summary)


def assert_reported(fault: Fault, code: int, summary: dict) -> None:
    seen = findings(summary)
    killing = [f for f in summary["findings"] if fault.killed_by(f)]
    assert code == fault.exit_code, f"{fault.name}: exit {code}, expected {fault.exit_code}; findings {seen}"
    want = f"a {fault.expect}" + (f" in {fault.category!r}" if fault.category else "")
    assert killing, f"{fault.name}: no {want} from {sorted(fault.caught_by)}; findings: {seen}"
    # One mechanism, one line: a single-fault server shows at most 3 lines of its verdict, a line being
    # a mechanism (with its root causes under it) or a root cause no mechanism explains.
    lines = mechanism_lines(summary, fault.expect)
    assert len(lines) <= 3, f"{fault.name}: {len(lines)} lines for one fault: {lines}"


def mechanism_lines(summary: dict, verdict: str) -> list[str]:
    """The report's top-level lines of `verdict`: each mechanism, and each group outside them."""
    mechanisms = [m for m in summary.get("mechanisms", []) if m["verdict"] == verdict]
    explained = {group for m in summary.get("mechanisms", []) for group in m["groups"]}
    alone = [g["title"] for g in summary["groups"] if g["verdict"] == verdict and g["id"] not in explained]
    return [m["title"] for m in mechanisms] + alone


# A replayed run that deletes nothing sends from the Courier's process. The faults of the wire are
# where a process boundary could change what is seen (a hang, a reset, a slow or dropped answer);
# they must be reported alike (`courier_cache`: conftest). The whole catalogue was swept that way by
# hand: 75 of 75.
WIRE_FAULTS = ("hang-on-invalid", "reset-on-invalid", "slow-answers", "crash-kills-connection", "crash-on-invalid")


@SYSTEM
@pytest.mark.parametrize("name", WIRE_FAULTS)
def test_wire_fault_is_reported_through_the_courier(name: str, courier_cache: Path, tmp_path: Path) -> None:
    with MockServer(token=TOKEN, fault=FAULTS[name]) as mock:
        code, summary = run_suite(
            mock, tmp_path, "--no-cleanup", "--cache-dir", courier_cache, timeout=timeout_for(FAULTS[name])
        )
    assert_reported(FAULTS[name], code, summary)
