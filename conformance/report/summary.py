"""summary.json: the machine-readable verdict a CI gate reads.

Its content is the RunResult's document (built once by the engine, secrets masked); its shape is
versioned (`schema_version`, see CHANGELOG.md) and published as a JSON Schema, `summary.schema.json`
next to this module. `faxplus-conformance replay` reads it back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.engine import SCHEMA_VERSION
from conformance.judge import Verdict

if TYPE_CHECKING:
    from conformance.engine import RunResult

__all__ = ["EXIT_CODES", "SCHEMA_PATH", "SCHEMA_VERSION", "schema", "write"]

EXIT_CODES = {Verdict.PASS: 0, Verdict.WARN: 0, Verdict.FAIL: 1}  # a complete run's exit by its verdict
SCHEMA_PATH = Path(__file__).with_name("summary.schema.json")


def schema() -> dict[str, Any]:
    published: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return published


def write(result: RunResult, path: Path | None = None) -> dict[str, Any]:
    """summary.json (default: in the run's output folder); returns what was written."""
    data: dict[str, Any] = result.as_dict()
    path = path or result.output_dir / "summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data
