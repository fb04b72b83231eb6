"""The run's reporters: each reads only the RunResult and writes one artifact.

The engine calls them in its report phase, after the exit code and verdict are decided, so every
artifact states the same outcome as the process. The baseline and cleanup are the engine's; the HTML
report is built by the CLI afterwards, from allure-results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from . import allure_context, divergence, junit, markdown, summary

if TYPE_CHECKING:
    from conformance.engine import RunResult

__all__ = ["reporters", "write_summaries"]


def write_summaries(result: RunResult) -> None:
    """summary.json and summary.md."""
    data = summary.write(result)
    (result.output_dir / "summary.md").write_text(markdown.render(data), encoding="utf-8")


def write_allure(result: RunResult) -> None:
    """environment, categories and executor, the outcome among them; one result per divergence group."""
    allure_context.write_for(result)
    divergence.write_allure(result)


def stamp_junit(result: RunResult) -> None:
    """The outcome as junit.xml's suite properties (pytest wrote the testcases)."""
    junit.stamp(result)


def reporters(*, allure: bool = True) -> list[Callable[[RunResult], None]]:
    """Every artifact of a run: summaries, JUnit's outcome and (`allure`) Allure's run context."""
    chosen: list[Callable[[RunResult], None]] = [write_summaries, stamp_junit]
    return [*chosen, write_allure] if allure else chosen
