"""The Allure 3 HTML report of a run: `allure generate` on the run's allure-results, sealed offline.

The build happens in a temporary folder next to the destination and replaces it only once complete,
so a failed build never leaves half a report. The command line itself lives in `allure_cli`, its npm
install in `allure_install`, keeping the report offline in `offline`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from . import offline
from .allure_cli import NO_HTML, HtmlUnavailable, count_lines, find_node, last_line, run
from .allure_install import AllureInstall

__all__ = ["DEFAULT_NAME", "HtmlUnavailable", "build_html"]

DEFAULT_NAME = "Fax.Plus POST /hooks conformance"


def build_html(
    results_dir: Path,
    html_dir: Path,
    *,
    single_file: bool = False,
    history: Path | None = None,
    name: str = DEFAULT_NAME,
    timeout: float = 300,
    say: Callable[[str], None] | None = None,
    allure: AllureInstall | None = None,
) -> Path:
    """Generate the Allure 3 report for ``results_dir`` into ``html_dir`` and return its ``index.html``.

    ``single_file`` produces one self-contained ``index.html``.  ``history`` names a JSONL file that Allure
    reads (trend charts) and appends one line to on every build.  An existing ``html_dir`` is replaced only
    if it is empty or holds a previous report.  Every failure raises :class:`HtmlUnavailable`.
    ``say`` is told of a first use's npm install, which takes seconds, before and after it, if the build
    has to wait for it. ``allure``: the install a run started when it began (`AllureInstall.start`),
    joined here; without it one starts now.
    """
    try:
        deadline = time.monotonic() + timeout
        return _build(Path(results_dir), Path(html_dir), single_file, history, name, deadline, say, allure)
    except OSError as exc:  # unwritable output/history folder, full disk, ...
        raise HtmlUnavailable(f"cannot write the HTML report: {exc}; choose a writable path {NO_HTML}") from exc


def _check_target(html_dir: Path) -> None:
    if html_dir.exists() and not html_dir.is_dir():
        raise HtmlUnavailable(f"HTML output path is a file, not a directory: {html_dir}; choose another path")
    if html_dir.is_dir() and any(html_dir.iterdir()) and not (html_dir / "index.html").is_file():
        raise HtmlUnavailable(
            f"refusing to replace {html_dir}: not empty and holds no previous report; choose another path"
        )


def _config(name: str, out: Path, single_file: bool, history: Path | None, results_dir: Path) -> dict[str, object]:
    config: dict[str, object] = {
        "name": name,
        "output": str(out),
        "plugins": {
            "awesome": {
                "options": {
                    "reportName": name,
                    "singleFile": single_file,
                    "reportLanguage": "en",
                    "defaultSortBy": "status,asc",
                }
            },
            "agent": {"enabled": False},  # otherwise auto-added; agent output is not wanted here
        },
    }
    if history is not None:
        config["historyPath"] = str(history)
    # Allure 3's default (awesome) report reads categories from its config, not categories.json.
    # The run's own categories (root causes first) when it wrote them, else the generic ones.
    from conformance.report.allure_context import CATEGORIES_FILE, categories

    written = results_dir / CATEGORIES_FILE
    config["categories"] = json.loads(written.read_text(encoding="utf-8")) if written.is_file() else categories()
    return config


def _build(
    results_dir: Path,
    html_dir: Path,
    single_file: bool,
    history: Path | None,
    name: str,
    deadline: float,
    say: Callable[[str], None] | None = None,
    allure: AllureInstall | None = None,
) -> Path:
    results_dir, html_dir = results_dir.resolve(), html_dir.resolve()
    if not results_dir.is_dir():
        raise HtmlUnavailable(f"Allure results directory not found: {results_dir}; run the suite first {NO_HTML}")
    _check_target(html_dir)
    node = find_node(deadline)
    cli = (allure or AllureInstall.start()).wait(deadline, say)

    history_path = Path(history).resolve() if history is not None else None
    before = 0
    if history_path is not None:
        history_path.parent.mkdir(parents=True, exist_ok=True)
        before = count_lines(history_path)

    html_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".html-build-", dir=html_dir.parent) as tmp:
        out = Path(tmp) / "report"
        config_file = Path(tmp) / "allurerc.json"
        config = _config(name, out, single_file, history_path, results_dir)
        config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
        # cwd=results_dir and the pattern "." because Allure treats result paths as globs ([, *, { ...).
        rc, out_text, err_text = run(
            [node, str(cli), "generate", "--config", str(config_file), "."], results_dir, deadline, "allure generate"
        )
        if rc != 0:
            raise HtmlUnavailable(
                f"allure generate failed (exit {rc}): {last_line(err_text or out_text)}; fix that {NO_HTML}"
            )
        root = out if (out / "index.html").is_file() else out / "awesome"
        if not (root / "index.html").is_file():
            raise HtmlUnavailable(
                f"allure generate wrote no index.html under {out}; check the Allure install {NO_HTML}"
            )
        offline.seal(root)
        if history_path is not None and count_lines(history_path) <= before:
            raise HtmlUnavailable(
                f"Allure did not append to history file {history_path}: {last_line(err_text or out_text)}"
            )
        if html_dir.exists():
            shutil.rmtree(html_dir)
        root.rename(html_dir)
    return html_dir / "index.html"
