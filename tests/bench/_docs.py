"""docs/benchmarks.md is written section by section, each between its own begin/end markers."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def write_section(section: str, begin: str, end: str, heading: str) -> None:
    """Replace the text between `begin` and `end` (kept in `section`), or append it under `heading`."""
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n" + section
    DOCS.write_text(text, encoding="utf-8")
