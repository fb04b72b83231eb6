"""The Allure 3 command line: Node.js found, commands run, their failures told in one line.

The Allure 3 CLI is pinned in the repository's ``reports/`` folder (``package.json`` + ``package-lock.json``)
and installed there with ``npm ci`` on first use (`allure_install`, which may start it when a run starts).
Every failure is an :class:`HtmlUnavailable` whose text is one line saying what failed and what to do.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["NO_HTML", "HtmlUnavailable", "find_node", "last_line", "reports_dir", "run"]

MIN_NODE_MAJOR = 20  # lowest major version the pinned dependency tree declares (chokidar, glob, open ...)
NO_HTML = "or pass --no-html"


class HtmlUnavailable(Exception):
    """The HTML report could not be built; ``str(exc)`` is one line saying what failed and what to do."""


def reports_dir() -> Path:
    """The folder holding the pinned Allure 3 ``package.json``/``package-lock.json``."""
    return Path(__file__).resolve().parents[2] / "reports"


def find_node(deadline: float) -> str:
    node = shutil.which("node")
    if node is None:
        raise HtmlUnavailable(f"Node.js not found: install Node.js >= {MIN_NODE_MAJOR} {NO_HTML}")
    rc, out, err = run([node, "--version"], None, deadline, "node --version")
    m = re.match(r"v(\d+)\.", out.strip())
    if rc != 0 or not m:
        raise HtmlUnavailable(f"could not run {node} --version: {last_line(err or out)}; fix Node.js {NO_HTML}")
    if int(m[1]) < MIN_NODE_MAJOR:
        raise HtmlUnavailable(f"Node.js {out.strip()} is too old: install Node.js >= {MIN_NODE_MAJOR} {NO_HTML}")
    return node


def run(cmd: list[str], cwd: Path | None, deadline: float, what: str) -> tuple[int, str, str]:
    """`cmd` under what is left of `deadline` (killed with its process group when it runs out)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise HtmlUnavailable(f"{what} not started: HTML build timeout used up; raise the timeout {NO_HTML}")
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
        raise HtmlUnavailable(f"could not start {what}: {exc}; fix Node.js/npm {NO_HTML}") from exc
    try:
        out, err = proc.communicate(timeout=remaining)
    except subprocess.TimeoutExpired:
        if posix:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group we created: npm's and node's children too
        proc.kill()
        proc.communicate()
        raise HtmlUnavailable(f"{what} timed out (HTML build timeout used up); raise the timeout {NO_HTML}") from None
    return proc.returncode, out, err


_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_NOISE_RE = re.compile(r"^(?:at\s|Node\.js v\d|\^+$|[{}()\[\]]+$|<anonymous)")
_NPM_ERR_RE = re.compile(r"^npm (?:error|ERR!)(?:\s+|$)")


def last_line(text: str) -> str:
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


def count_lines(path: Path) -> int:
    if not path.is_file():
        return 0
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())
