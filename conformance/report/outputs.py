"""End of a run: clean up what it registered, then write summary.json and summary.md."""

from __future__ import annotations

from typing import Any

from conformance.judge import baseline
from conformance.send import cleanup

from . import markdown, summary


def finish(run: Any, *, write: bool) -> None:
    if run.cleanup is None and run.target.cleanup:
        run.cleanup = cleanup(
            run.target, run.ledger.registered, marker=run.run_domain, wire=run.sender.wire, pace=run.sender.pace
        )
    if run.target.update_baseline and run.target.baseline is not None:
        baseline.write(run.target.baseline, run.ledger.findings.values())
    if write:
        out = run.target.output_dir
        data = summary.write(run, out / "summary.json")
        (out / "summary.md").write_text(run.redactor.text(markdown.render(data)), encoding="utf-8")
