"""Keep an Allure report from reaching the network: what leaves this machine is nothing.

Allure 3's default (awesome) template loads Google Analytics (`analyticsEnable` has no switch-off).
Two small steps keep the report offline, whatever else a future template adds:

1. the analytics tags are removed (the external `<script src>` and the inline `gtag(...)` snippet);
2. a Content-Security-Policy `<meta>` lets the page load only from itself (its own files, inlined
   `data:` and `blob:` URLs), so a browser refuses any other fetch outright.

>>> page = '<head></head><script async src="https://www.googletagmanager.com/gtag/js"></script>'
>>> seal_html(page) == f"<head>{META}</head>"
True
"""

from __future__ import annotations

import re
from pathlib import Path

# 'self' and file: (a report opened from disk), data: and blob: (the single-file report inlines its app
# and data); inline and eval'd script is the app's own. Nothing else: no host, so no fetch leaves.
CSP = "default-src 'self' file: data: blob: 'unsafe-inline' 'unsafe-eval'; form-action 'none'"
META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'

_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script\s*>\s*", re.I)
_ANALYTICS = re.compile(r"<script\b[^>]*>(?:(?!</script).)*\bgtag\s*\((?:(?!</script).)*</script\s*>\s*", re.I | re.S)
_HEAD = re.compile(r"<head\b[^>]*>", re.I)


def seal_html(text: str) -> str:
    """`text` without its analytics, and with the policy as the first element of `<head>` (once)."""
    text = _ANALYTICS.sub("", _EXTERNAL_SCRIPT.sub("", text))
    if META in text:
        return text
    head = _HEAD.search(text)
    return text[: head.end()] + META + text[head.end() :] if head else META + text


def seal(report_dir: Path) -> list[Path]:
    """Seal every HTML file of a built report; returns the files changed."""
    changed = []
    for path in sorted(Path(report_dir).rglob("*.htm*")):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        sealed = seal_html(text)
        if sealed != text:
            path.write_text(sealed, encoding="utf-8", errors="surrogateescape")
            changed.append(path)
    return changed


def is_sealed(report_dir: Path) -> bool:
    """Every HTML page carries the policy and no analytics."""
    pages = list(Path(report_dir).rglob("*.htm*"))
    return bool(pages) and all(
        seal_html(p.read_text(encoding="utf-8", errors="surrogateescape"))
        == p.read_text(encoding="utf-8", errors="surrogateescape")
        for p in pages
    )
