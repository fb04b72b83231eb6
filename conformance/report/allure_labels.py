"""Allure labels of a suite test: epic / feature / story, severity that follows the finding,
a title in plain words, parameters (family, tier, seed)."""

from __future__ import annotations

from typing import Any

import allure

from conformance.judge import Verdict

SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")


def label_test(item: Any, probe: Any) -> None:
    families = sorted({r.family for r in probe.results}) or [item.name]
    violations = [v for r in probe.results for v in r.violations]
    allure.dynamic.epic("API")
    allure.dynamic.feature("POST /hooks")
    for family in families:
        allure.dynamic.story(family)
    worst = min((SEVERITIES.index(v.severity) for v in violations), default=SEVERITIES.index("normal"))
    allure.dynamic.severity(SEVERITIES[worst])
    allure.dynamic.parameter("family", ", ".join(families))
    allure.dynamic.parameter("tier", probe.session.target.tier)
    allure.dynamic.parameter("seed", str(probe.session.seed))
    kinds = sorted({str(r.kind) for r in probe.results})
    allure.dynamic.title(f"{', '.join(families)}: {len(probe.results)} {'/'.join(kinds)} case(s) → {probe.verdict}")
    if probe.verdict is Verdict.WARN:
        allure.dynamic.tag("warn")
