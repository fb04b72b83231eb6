"""The run's reporters: each reads only the RunResult and writes one artifact.

The engine calls them in its report phase, after the exit code and verdict are decided, so every
artifact states the same outcome as the process. The baseline and cleanup are the engine's; the HTML
report is built by the CLI afterwards, from allure-results.
"""

from __future__ import annotations

import os
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


def append_step_summary(result: RunResult) -> None:
    """On GitHub Actions, summary.md is appended to the job's summary (`GITHUB_STEP_SUMMARY`)."""
    where = os.environ.get("GITHUB_STEP_SUMMARY")
    summary_md = result.output_dir / "summary.md"
    if where and summary_md.is_file():
        with open(where, "a", encoding="utf-8") as step:
            step.write(summary_md.read_text(encoding="utf-8") + "\n")


def stamp_junit(result: RunResult) -> None:
    """The outcome as junit.xml's suite properties (pytest wrote the testcases)."""
    junit.stamp(result)


def reporters(*, allure: bool = True) -> list[Callable[[RunResult], None]]:
    """Every artifact of a run: summaries, JUnit's outcome and (`allure`) Allure's run context."""
    chosen: list[Callable[[RunResult], None]] = [write_summaries, append_step_summary, stamp_junit]
    return [*chosen, write_allure] if allure else chosen
