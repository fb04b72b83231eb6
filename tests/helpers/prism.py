"""Stoplight Prism, pinned in prism/package.json: installed on first use, started on 127.0.0.1
(tests/test_prism.py audits it; tests/test_diff.py diffs against it)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from conformance.contract import vendored_path
from helpers.processes import stop, wait_serving

ROOT = Path(__file__).resolve().parents[2]
PRISM_DIR = ROOT / "prism"
PACKAGE = "@stoplight/prism-cli"
TOKEN = "prism-peer-token-5c1e"
TIMEOUT = "2"  # seconds per answer: Prism answers in milliseconds unless it hangs
KNOWN_KEYS = {"id", "target", "event", "numbers"}


def _pinned_version() -> str:
    return json.loads((PRISM_DIR / "package.json").read_text())["dependencies"][PACKAGE]


def _installed_version() -> str | None:
    manifest = PRISM_DIR / "node_modules" / PACKAGE / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.is_file() else None


def _install_lock() -> FileLock:
    """One `npm ci` at a time across pytest-xdist workers (the lock lives outside the repo)."""
    key = hashlib.sha256(str(PRISM_DIR).encode()).hexdigest()[:12]
    return FileLock(Path(tempfile.gettempdir()) / f"faxplus-prism-{key}.lock")


@pytest.fixture(scope="session")
def prism_cli() -> Path:
    """The pinned Prism CLI entry point; `npm ci` in prism/ once if it is missing or not the pin."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        pytest.skip("Node.js is not installed: Prism cannot run")
    if npm is None:
        pytest.skip("npm is not installed: the pinned Prism cannot be installed")
    with _install_lock():
        if _installed_version() != _pinned_version():
            env = {**os.environ, "NO_COLOR": "1", "SCARF_ANALYTICS": "false"}
            proc = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
                cwd=PRISM_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if proc.returncode != 0 or _installed_version() != _pinned_version():
                pytest.fail(
                    f"`npm ci` in {PRISM_DIR} failed (exit {proc.returncode}); run it by hand to see why "
                    f"(registry access?):\n{(proc.stderr or proc.stdout)[-1500:]}",
                    pytrace=False,
                )
    cli = PRISM_DIR / "node_modules" / PACKAGE / "dist" / "index.js"
    assert cli.is_file(), f"{cli} missing after npm ci"
    return cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Prism:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def ends(self, within: float = 10.0) -> bool:
        """Does the process end within `within` s (a crash that follows its last answer)?"""
        try:
            self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            return False
        return True


@contextlib.contextmanager
def prism_mock(cli: Path, workdir: Path, *, node_options: str | None = None) -> Iterator[Prism]:
    port = _free_port()
    log = workdir / "prism.log"
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}
    env.pop("NODE_OPTIONS", None)
    if node_options:
        env["NODE_OPTIONS"] = node_options
    cmd = [
        shutil.which("node") or "node",
        str(cli),
        "mock",
        vendored_path(),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    prism = Prism(process, f"http://127.0.0.1:{port}", log)
    try:
        # GET /hooks is not in the spec: Prism's 405 shows it is serving.
        wait_serving(f"{prism.base_url}/hooks", alive=lambda: prism.alive, log=prism.output, what="Prism", seconds=60)
        yield prism
    finally:
        stop(process)
