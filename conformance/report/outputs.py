"""End of a run, what it leaves behind: the baseline (when updating it), summary.json and summary.md.

Deleting what the run registered is the send stage's job (`Session.clean_up`), done before this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.judge import baseline

from . import markdown, summary

if TYPE_CHECKING:
    from conformance.suite._session import Session


def write(run: Session, *, reports: bool) -> None:
    """The baseline when `--update-baseline` asks for it; `reports`: summary.json and summary.md too."""
    if run.target.update_baseline and run.target.baseline is not None:
        baseline.write(run.target.baseline, run.ledger.findings.values())
    if reports:
        out = run.target.output_dir
        data = summary.write(run, out / "summary.json")
        (out / "summary.md").write_text(run.redactor.text(markdown.render(data)), encoding="utf-8")
