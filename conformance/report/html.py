"""Render an ``allure-results`` directory as an Allure 3 HTML report that makes no external requests.

The Allure 3 CLI is pinned in the repository's ``reports/`` folder (``package.json`` + ``package-lock.json``)
and installed there with ``npm ci`` on first use.  Allure's Awesome template hard-codes a Google Analytics
loader (``analyticsEnable: true`` in ``@allurereport/plugin-awesome``; there is no option to turn it off), so
every generated ``.html`` file is post-processed by :func:`strip_external` and checked with
:func:`external_urls` before the report is moved into place.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import conformance

__all__ = ["DEFAULT_NAME", "HtmlUnavailable", "build_html", "external_urls", "reports_dir", "strip_external"]

DEFAULT_NAME = "Fax.Plus POST /hooks conformance"
MIN_NODE_MAJOR = 20  # lowest major version the pinned dependency tree declares (chokidar, glob, open ...)
_ALLURE_CLI = Path("node_modules") / "allure" / "cli.js"  # what node_modules/.bin/allure links to
_NO_HTML = "or pass --no-html"


class HtmlUnavailable(Exception):
    """The HTML report could not be built; ``str(exc)`` is one line saying what failed and what to do."""


def reports_dir() -> Path:
    """The folder holding the pinned Allure 3 ``package.json``/``package-lock.json``."""
    return Path(conformance.__file__).resolve().parent.parent / "reports"


def build_html(
    results_dir: Path,
    html_dir: Path,
    *,
    single_file: bool = False,
    history: Path | None = None,
    name: str = DEFAULT_NAME,
    timeout: float = 300,
) -> Path:
    """Generate the Allure 3 report for ``results_dir`` into ``html_dir`` and return its ``index.html``.

    ``single_file`` produces one self-contained ``index.html``.  ``history`` names a JSONL file that Allure
    reads (trend charts) and appends one line to on every build.  An existing ``html_dir`` is replaced only
    if it is empty or holds a previous report.  Every failure raises :class:`HtmlUnavailable`.
    """
    try:
        return _build(Path(results_dir), Path(html_dir), single_file, history, name, time.monotonic() + timeout)
    except OSError as exc:  # unwritable output/history folder, full disk, ...
        raise HtmlUnavailable(f"cannot write the HTML report: {exc}; choose a writable path {_NO_HTML}") from exc


def _build(
    results_dir: Path, html_dir: Path, single_file: bool, history: Path | None, name: str, deadline: float
) -> Path:
    results_dir, html_dir = results_dir.resolve(), html_dir.resolve()
    if not results_dir.is_dir():
        raise HtmlUnavailable(f"Allure results directory not found: {results_dir}; run the suite first {_NO_HTML}")
    _check_target(html_dir)
    node = _find_node(deadline)
    cli = _ensure_allure(reports_dir(), deadline)

    history_path = Path(history).resolve() if history is not None else None
    before = 0
    if history_path is not None:
        history_path.parent.mkdir(parents=True, exist_ok=True)
        before = _count_lines(history_path)

    html_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".html-build-", dir=html_dir.parent) as tmp:
        out = Path(tmp) / "report"
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
        if history_path is not None:
            config["historyPath"] = str(history_path)
        # Allure 3's default (awesome) report reads categories from its config, not categories.json.
        # The run's own categories (root causes first) when it wrote them, else the generic ones.
        from conformance.report.allure_context import CATEGORIES_FILE, categories

        written = results_dir / CATEGORIES_FILE
        config["categories"] = json.loads(written.read_text(encoding="utf-8")) if written.is_file() else categories()
        config_file = Path(tmp) / "allurerc.json"
        config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
        # cwd=results_dir and the pattern "." because Allure treats result paths as globs ([, *, { ...).
        rc, out_text, err_text = _run(
            [node, str(cli), "generate", "--config", str(config_file), "."],
            results_dir,
            deadline,
            "allure generate",
        )
        if rc != 0:
            raise HtmlUnavailable(
                f"allure generate failed (exit {rc}): {_last_line(err_text or out_text)}; fix that {_NO_HTML}"
            )
        root = out if (out / "index.html").is_file() else out / "awesome"
        if not (root / "index.html").is_file():
            raise HtmlUnavailable(
                f"allure generate wrote no index.html under {out}; check the Allure install {_NO_HTML}"
            )
        strip_external(root)
        left = external_urls(root)
        if left:
            raise HtmlUnavailable(f"report still fetches {left[0]} after stripping; extend strip_external {_NO_HTML}")
        if history_path is not None and _count_lines(history_path) <= before:
            raise HtmlUnavailable(
                f"Allure did not append to history file {history_path}: {_last_line(err_text or out_text)}"
            )
        if html_dir.exists():
            shutil.rmtree(html_dir)
        root.rename(html_dir)
    return html_dir / "index.html"


# --------------------------------------------------------------------------------------------------
# Stripping and detecting external fetches

_EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.I)
_QUOTED_TAG_BODY = r"(?:[^>\"']|\"[^\"]*\"|'[^']*')*"
_SCRIPT_RE = re.compile(rf"<script\b({_QUOTED_TAG_BODY})>(.*?)</script\s*>", re.I | re.S)
_STYLE_RE = re.compile(rf"(<style\b{_QUOTED_TAG_BODY}>)(.*?)(</style\s*>)", re.I | re.S)
_FETCH_TAG_RE = re.compile(
    rf"<(?:link|img|iframe|frame|source|track|video|audio|embed|object|input|image|use)\b{_QUOTED_TAG_BODY}>",
    re.I,
)
_ATTR_RE = re.compile(
    r"""\s([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""",
)
_FETCH_ATTRS = {"src", "href", "xlink:href", "data", "poster", "srcset", "background"}
_STYLE_ATTR_RE = re.compile(r"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_CSS_URL_RE = re.compile(r"""url\(\s*(['"]?)\s*((?:https?:)?//[^'")\s]+)\s*\1\s*\)""", re.I)
_CSS_IMPORT_RE = re.compile(r"""@import\s+(['"])((?:https?:)?//[^'"]+)\1[^;]*;?""", re.I)
_TRACKER_URL_RE = re.compile(
    r"(?:https?:)?//(?:[\w-]+\.)*(?:googletagmanager\.com|google-analytics\.com|analytics\.google\.com"
    r"|doubleclick\.net|fonts\.googleapis\.com|fonts\.gstatic\.com)(?:[/?#][^\s\"'`<>)\\]*)?",
    re.I,
)
_ANALYTICS_CODE_RE = re.compile(r"googletagmanager|google-analytics|\bgtag\s*\(|\bga\s*\(\s*['\"]create", re.I)
_DATA_URL_RE = re.compile(r"^\s*data:([^;,]*)((?:;[^;,]*)*?),(.*)$", re.I | re.S)


def strip_external(html_dir: Path) -> list[str]:
    """Remove everything in ``html_dir``'s ``.html``/``.css`` files that would fetch from another host.

    Drops ``<script src="http(s)://...">``, inline analytics snippets (gtag / Google Tag Manager), tags such
    as ``<link>``/``<img>`` whose fetch attribute is external, and CSS ``url(http...)``/``@import`` (in
    ``<style>`` blocks, ``style=""`` attributes and ``.css`` files).  Returns what was removed.
    """
    removed: list[str] = []
    for path in _files(Path(html_dir), {".html", ".htm"}):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        new = _strip_html(text, removed)
        if new != text:
            path.write_text(new, encoding="utf-8", errors="surrogateescape")
    for path in _files(Path(html_dir), {".css"}):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        new = _strip_css(text, removed)
        if new != text:
            path.write_text(new, encoding="utf-8", errors="surrogateescape")
    return removed


def external_urls(html_dir: Path) -> list[str]:
    """URLs on other hosts that a browser opening the report would fetch (sorted, unique).

    Looks at fetch attributes of ``.html`` files (script/link/img/iframe/... ``src``/``href``), CSS
    ``url()``/``@import`` in ``<style>``, ``style=""``, ``.css`` files and base64 ``data:`` stylesheets, and
    analytics/web-font hosts anywhere in scripts (inline, ``data:`` scripts and ``.js`` files).  Plain-text
    URLs inside report data and navigation links (``<a href>``) are not fetches and are not listed.
    """
    found: set[str] = set()
    root = Path(html_dir)
    for path in _files(root, {".html", ".htm"}):
        found.update(_html_urls(path.read_text(encoding="utf-8", errors="replace")))
    for path in _files(root, {".css"}):
        found.update(_css_urls(path.read_text(encoding="utf-8", errors="replace")))
    for path in _files(root, {".js", ".mjs"}):
        text = path.read_text(encoding="utf-8", errors="replace")
        found.update(_TRACKER_URL_RE.findall(text))
        found.update(_css_urls(text))
    return sorted(found)


def _files(root: Path, suffixes: set[str]) -> Iterator[Path]:
    return (p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix.lower() in suffixes)


def _attrs(tag: str) -> dict[str, str]:
    return {m[1].lower(): next(v for v in m.groups()[1:] if v is not None) for m in _ATTR_RE.finditer(tag)}


def _external_fetch_attrs(attrs: dict[str, str]) -> list[str]:
    urls: list[str] = []
    for key, value in attrs.items():
        if key not in _FETCH_ATTRS:
            continue
        candidates = [part.split()[0] for part in value.split(",") if part.split()] if key == "srcset" else [value]
        urls.extend(c.strip() for c in candidates if _EXTERNAL.match(c))
    return urls


def _decode_data_url(value: str) -> tuple[str, str] | None:
    m = _DATA_URL_RE.match(value)
    if not m:
        return None
    mime, params, payload = m[1].lower(), m[2].lower(), m[3]
    try:
        raw = base64.b64decode(payload) if ";base64" in params else unquote(payload).encode()
    except (binascii.Error, ValueError):
        return None
    return mime, raw.decode("utf-8", errors="replace")


def _html_urls(text: str) -> list[str]:
    urls: list[str] = []
    for m in _SCRIPT_RE.finditer(text):
        attrs = _attrs(" " + m[1])
        src = attrs.get("src")
        if src is not None and _EXTERNAL.match(src):
            urls.append(src.strip())
        elif src is not None and (decoded := _decode_data_url(src)):
            urls.extend(_TRACKER_URL_RE.findall(decoded[1]))
        urls.extend(_TRACKER_URL_RE.findall(m[2]))
    rest = _SCRIPT_RE.sub("", text)
    for m in _FETCH_TAG_RE.finditer(rest):
        attrs = _attrs(m[0])
        urls.extend(_external_fetch_attrs(attrs))
        href = attrs.get("href", "")
        if (decoded := _decode_data_url(href)) and "css" in decoded[0]:
            urls.extend(_css_urls(decoded[1]))
    for m in _STYLE_RE.finditer(rest):
        urls.extend(_css_urls(m[2]))
    for m in _STYLE_ATTR_RE.finditer(rest):
        urls.extend(_css_urls(m[1] or m[2] or ""))
    return urls


def _css_urls(css: str) -> list[str]:
    return [m[2] for m in _CSS_URL_RE.finditer(css)] + [m[2] for m in _CSS_IMPORT_RE.finditer(css)]


def _strip_css(css: str, removed: list[str]) -> str:
    def drop_import(m: re.Match[str]) -> str:
        removed.append(m[2])
        return ""

    def blank_url(m: re.Match[str]) -> str:
        removed.append(m[2])
        return "url(data:,)"

    return _CSS_URL_RE.sub(blank_url, _CSS_IMPORT_RE.sub(drop_import, css))


def _strip_html(text: str, removed: list[str]) -> str:
    def script(m: re.Match[str]) -> str:
        src = _attrs(" " + m[1]).get("src")
        if src is not None and _EXTERNAL.match(src):
            removed.append(src.strip())
            return ""
        if src is None and (_ANALYTICS_CODE_RE.search(m[2]) or _TRACKER_URL_RE.search(m[2])):
            removed.append("inline analytics <script>")
            return ""
        return m[0]

    def fetch_tag(m: re.Match[str]) -> str:
        urls = _external_fetch_attrs(_attrs(m[0]))
        if urls:
            removed.extend(urls)
            return ""
        return m[0]

    def style_block(m: re.Match[str]) -> str:
        return m[1] + _strip_css(m[2], removed) + m[3]

    def style_attr(m: re.Match[str]) -> str:
        return m[0].replace(m[1] or m[2] or "", _strip_css(m[1] or m[2] or "", removed))

    def outside_scripts(chunk: str) -> str:
        chunk = _STYLE_RE.sub(style_block, chunk)
        chunk = _FETCH_TAG_RE.sub(fetch_tag, chunk)
        return _STYLE_ATTR_RE.sub(style_attr, chunk)

    # Scripts are judged whole; tags and CSS are only rewritten outside them (script bodies are code/data).
    parts: list[str] = []
    pos = 0
    for m in _SCRIPT_RE.finditer(text):
        parts += [outside_scripts(text[pos : m.start()]), script(m)]
        pos = m.end()
    parts.append(outside_scripts(text[pos:]))
    return "".join(parts)


# --------------------------------------------------------------------------------------------------
# Node / npm / allure plumbing


def _check_target(html_dir: Path) -> None:
    if html_dir.exists() and not html_dir.is_dir():
        raise HtmlUnavailable(f"HTML output path is a file, not a directory: {html_dir}; choose another path")
    if html_dir.is_dir() and any(html_dir.iterdir()) and not (html_dir / "index.html").is_file():
        raise HtmlUnavailable(
            f"refusing to replace {html_dir}: not empty and holds no previous report; choose another path"
        )


def _find_node(deadline: float) -> str:
    node = shutil.which("node")
    if node is None:
        raise HtmlUnavailable(f"Node.js not found: install Node.js >= {MIN_NODE_MAJOR} {_NO_HTML}")
    rc, out, err = _run([node, "--version"], None, deadline, "node --version")
    m = re.match(r"v(\d+)\.", out.strip())
    if rc != 0 or not m:
        raise HtmlUnavailable(f"could not run {node} --version: {_last_line(err or out)}; fix Node.js {_NO_HTML}")
    if int(m[1]) < MIN_NODE_MAJOR:
        raise HtmlUnavailable(f"Node.js {out.strip()} is too old: install Node.js >= {MIN_NODE_MAJOR} {_NO_HTML}")
    return node


def ensure_allure(timeout: float = 300) -> Path:
    """The pinned Allure CLI, installed with `npm ci` on first use (raises HtmlUnavailable)."""
    return _ensure_allure(reports_dir(), time.monotonic() + timeout)


def _ensure_allure(pkg_dir: Path, deadline: float) -> Path:
    """Return the pinned Allure CLI entry point, running ``npm ci`` in ``pkg_dir`` if it is not installed."""
    if not (pkg_dir / "package.json").is_file() or not (pkg_dir / "package-lock.json").is_file():
        raise HtmlUnavailable(
            f"pinned Allure package not found in {pkg_dir} (package.json/package-lock.json) {_NO_HTML}"
        )
    cli = pkg_dir / _ALLURE_CLI
    if cli.is_file():
        return cli
    npm = shutil.which("npm")
    if npm is None:
        raise HtmlUnavailable(f"npm not found: install npm (ships with Node.js) to set up Allure 3 {_NO_HTML}")
    with _lock(pkg_dir / ".npm-ci.lock"):
        if not cli.is_file():  # another process may have installed it while we waited
            cmd = [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"]
            rc, out, err = _run(cmd, pkg_dir, deadline, "npm ci")
            if rc != 0 or not cli.is_file():
                raise HtmlUnavailable(
                    f"npm ci in {pkg_dir} failed (exit {rc}): {_last_line(err or out)}; "
                    f"check access to the npm registry {_NO_HTML}"
                )
    return cli


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock; concurrent first runs are unlikely
        yield
        return
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run(cmd: list[str], cwd: Path | None, deadline: float, what: str) -> tuple[int, str, str]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise HtmlUnavailable(f"{what} not started: HTML build timeout used up; raise the timeout {_NO_HTML}")
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}
    posix = sys.platform != "win32"
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=posix,
        )
    except OSError as exc:
        raise HtmlUnavailable(f"could not start {what}: {exc}; fix Node.js/npm {_NO_HTML}") from exc
    try:
        out, err = proc.communicate(timeout=remaining)
    except subprocess.TimeoutExpired:
        if posix:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group we created: npm's and node's children too
        proc.kill()
        proc.communicate()
        raise HtmlUnavailable(f"{what} timed out (HTML build timeout used up); raise the timeout {_NO_HTML}") from None
    return proc.returncode, out, err


_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_NOISE_RE = re.compile(r"^(?:at\s|Node\.js v\d|\^+$|[{}()\[\]]+$|<anonymous)")
_NPM_ERR_RE = re.compile(r"^npm (?:error|ERR!)(?:\s+|$)")


def _last_line(text: str) -> str:
    """The most telling line of a tool's stderr: the last error-like line, else the last real line."""
    lines = [ln.strip() for ln in _ANSI_RE.sub("", text).splitlines() if ln.strip()]
    npm = [_NPM_ERR_RE.sub("", ln) for ln in lines if _NPM_ERR_RE.match(ln)]
    if npm:  # "npm error code EUSAGE" + the first explanatory line; the rest is help text and log paths
        code = next((ln.split(None, 1)[1] for ln in npm if ln.startswith("code ")), "")
        why = next((ln for ln in npm if ln and not re.match(r"(?:code|syscall|errno|path|dest)\b", ln)), "")
        return (f"{code}: {why}" if code and why else why or code)[:300]
    useful = [ln for ln in lines if not _NOISE_RE.match(ln)]
    errors = [ln for ln in useful if re.search(r"error|failed|cannot|invalid|not found", ln, re.I)]
    return (errors or useful or lines or ["no output"])[-1][:300]


def _count_lines(path: Path) -> int:
    if not path.is_file():
        return 0
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())
