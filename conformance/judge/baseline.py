"""Baseline: a target's accepted findings (known deviations), so a team can gate on new ones.

A finding is identified by `family::check`, never by the random example that hit it. A baselined
fail is judged a warn (marked `[baseline]`); baseline entries that no longer occur are reported
as stale so the file shrinks over time.

File format (JSON, written by `--update-baseline`)::

    {"accepted": [{"id": "numbers-empty::status", "message": "…"}]}
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.target import UsageError

from ._verdict import Verdict, Violation

MARK = "[baseline] "


@dataclass
class Baseline:
    accepted: dict[str, str] = field(default_factory=dict)  # finding id → message when accepted
    hit: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path | None) -> Baseline:
        if path is None or not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data["accepted"]
            return cls({str(e["id"]): str(e.get("message", "")) for e in entries})
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UsageError(
                f"baseline {path} is not a baseline file ({type(error).__name__}): "
                "fix it or write a new one with --update-baseline"
            ) from None

    def apply(self, family: str, violations: Iterable[Violation]) -> list[Violation]:
        out = []
        for v in violations:
            key = f"{family}::{v.check}"
            if v.verdict is Verdict.FAIL and key in self.accepted:
                self.hit.add(key)
                v = dataclasses.replace(v, verdict=Verdict.WARN, message=MARK + v.message)
            out.append(v)
        return out

    def relabel(self, ledger: Any) -> None:
        """Apply the baseline after the fact to a ledger judged without it (the SDK gate's)."""
        ledger.results[:] = [
            dataclasses.replace(r, violations=tuple(self.apply(r.family, r.violations))) for r in ledger.results
        ]
        for finding in ledger.findings.values():
            if finding.verdict is Verdict.FAIL and finding.key in self.accepted:
                self.hit.add(finding.key)
                finding.verdict, finding.message = Verdict.WARN, MARK + finding.message

    def stale(self) -> list[str]:
        return sorted(set(self.accepted) - self.hit)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": len(self.accepted), "matched": sorted(self.hit), "stale": self.stale()}


def write(path: Path, findings: Iterable[Any]) -> int:
    """Write every current fail as an accepted finding; returns how many."""
    entries = [
        {"id": f.key, "message": f.message.removeprefix(MARK)}
        for f in findings
        if f.verdict is Verdict.FAIL or f.message.startswith(MARK)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"accepted": entries}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(entries)
