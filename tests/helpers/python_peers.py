"""The Python peers (FastAPI, connexion), pinned and installed on first use into venvs of their
own; tests/test_peers.py audits them."""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from helpers.peer_audit import (
    APPS,
    VENVS,
    Audited,
    Finding,
    install_step,
    sent,
)


@dataclass(frozen=True)
class Peer(Audited):
    module: str  # tests/peers/<module>.py, served as `<module>:app`
    prefix: str  # the path before /hooks
    pinned: dict[tuple[str, str], str]  # (family, check) → verdict the suite gives today
    fail_groups_at_most: int  # summary.json `groups` with verdict fail, once the judge groups by root cause

    @property
    def requirements(self) -> Path:
        return APPS / f"requirements-{self.name}.txt"


E164 = re.compile(r"\A[+][1-9][0-9]{1,14}\Z")


def _numbers_with_trailing_newline(finding: Finding) -> bool:
    body = sent(finding)
    numbers = body.get("numbers") if isinstance(body, dict) else None
    return isinstance(numbers, list) and any(
        isinstance(n, str) and n.endswith("\n") and E164.match(n[:-1]) for n in numbers
    )


def _install_lock(peer: Peer) -> FileLock:
    """One install per peer at a time across pytest-xdist workers."""
    VENVS.mkdir(exist_ok=True)
    return FileLock(VENVS / f"{peer.name}.lock")


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def peer_python(peer: Peer) -> Path:
    """The peer venv's python; (re)built when the pins or this Python's version changed."""
    venv = VENVS / peer.name
    stamp = venv / "installed.sha256"
    digest = hashlib.sha256(peer.requirements.read_bytes() + sys.version.encode()).hexdigest()
    with _install_lock(peer):
        if stamp.is_file() and stamp.read_text() == digest and _venv_python(venv).is_file():
            return _venv_python(venv)
        shutil.rmtree(venv, ignore_errors=True)
        steps = (
            [sys.executable, "-m", "venv", str(venv)],
            [str(_venv_python(venv)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            + ["--no-input", "-r", str(peer.requirements)],
        )
        for step in steps:
            install_step(peer.name, venv, step)
        stamp.write_text(digest)
    return _venv_python(venv)
