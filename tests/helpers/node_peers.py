"""The Node peers (fastify with its default Ajv options, Mockoon CLI), pinned and installed on first
use; tests/test_peers_node.py audits them."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from conformance.contract import vendored_path
from helpers.peer_audit import (
    APPS,
    READS_ONE_LINE,
    VENVS,
    Audited,
    Finding,
    RootCause,
    answered,
    install_step,
    sent,
    status,
)


@dataclass(frozen=True)
class NodePeer(Audited):
    # name: tests/peers/<name>/, with package.json and package-lock.json
    fail_lines: tuple[str, ...]  # as observed: mechanisms (by id) then unclaimed fail groups (by title)
    cleanup_verified: bool  # the peer lists what is registered (GET /hooks)

    @property
    def folder(self) -> Path:
        return APPS / self.name

    def command(self, port: int) -> list[str]:
        if self.name == "fastify":
            return ["node", str(self.folder / "server.js")]
        # Mockoon imports the OpenAPI file itself; no log file under ~, no admin API on the port.
        cli = self.folder / "node_modules" / ".bin" / "mockoon-cli"
        return [str(cli), "start", "--data", str(vendored_path()), "--port", str(port), "--hostname", "127.0.0.1"] + [
            "--disable-log-to-file",
            "--disable-admin-api",
        ]


OUR_CREDENTIAL = "Bearer $FAXPLUS_TOKEN"  # how a reproduction shows the run's own token, redacted


def _body(finding: Finding) -> Any:
    """The request body as JSON; None for one nested past Python's recursion limit (`body-deep-nesting`)."""
    try:
        return sent(finding)
    except RecursionError:
        return None


def _credential(finding: Finding) -> str | None:
    headers = {k.lower(): v for k, v in finding["reproduction"]["request_headers"].items()}
    return headers.get("authorization")


def _accepted(finding: Finding) -> bool:
    return finding["check"] == "status" and status(finding) == 200


SPEC_EXAMPLE_ID = "6048b47181dbe1a7d67fcc98"  # components.schemas.WebhookId.example

MOCKOON = NodePeer(
    name="mockoon",
    exit_code=1,
    fail_lines=("validates-nothing", "ignores-credentials"),
    causes=(
        READS_ONE_LINE,
        RootCause("validates nothing", lambda f: _accepted(f) and _credential(f) == OUR_CREDENTIAL),
        RootCause("ignores credentials", lambda f: _accepted(f) and _credential(f) != OUR_CREDENTIAL),
        RootCause(
            "the spec's example id for every webhook",
            lambda f: f["check"] == "id-reuse" and (answered(f) or {}).get("id") == SPEC_EXAMPLE_ID,
        ),
    ),
    cleanup_verified=False,  # it serves only the spec's POST /hooks: nothing to list or delete
    # Node's own http server (under Express) answers a header block over 16 KiB with a 431 and
    # destroys the socket with the request body unread: the kernel's RST can reach the client before
    # the 431 is read (5 of 60 tries on loopback). fastify ends the socket instead: 431 every time.
    intermittent=(
        RootCause(
            "a header over 16 KiB: Node's 431, sometimes lost to a connection reset",
            lambda f: (
                f["family"] in ("envelope-large-header", "envelope-huge-header")
                and f["check"] == "transport"
                and "Connection reset" in f["message"]
            ),
        ),
    ),
    intermittent_lines=("protocol",),
)


def installed(peer: NodePeer) -> Path:
    """`npm ci` into the peer's folder; again when the lock or Node's version changed."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip(f"the {peer.name} peer needs Node.js and npm on PATH (npm ci from tests/peers/{peer.name})")
    lock = peer.folder / "package-lock.json"
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    digest = hashlib.sha256(lock.read_bytes() + version.encode()).hexdigest()
    stamp = peer.folder / "node_modules" / ".installed.sha256"
    VENVS.mkdir(exist_ok=True)
    with FileLock(VENVS / f"{peer.name}.lock"):  # one install per peer across pytest-xdist workers
        if stamp.is_file() and stamp.read_text() == digest:
            return peer.folder
        step = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        install_step(peer.name, peer.folder, step, cwd=peer.folder, how="npm ci")
        stamp.write_text(digest)
    return peer.folder


def fail_lines(summary: dict[str, Any]) -> list[str]:
    """The top-level fail lines a report prints: each mechanism, then each group no mechanism claims."""
    mechanisms = [m["mechanism"] for m in summary["mechanisms"] if m["verdict"] == "fail"]
    alone = [g["title"] for g in summary["groups"] if g["verdict"] == "fail" and not g["mechanism"]]
    return mechanisms + alone
