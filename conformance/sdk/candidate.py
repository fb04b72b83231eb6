"""The SDK a gate run judges: how to start its driver, and how to name it in the reports.

One of: the published Python `faxplus-api` (or any `--sdk-spec` of it), a Node SDK (`--sdk node:SPEC`),
a client generated from the contract (`--generate NAME`), or any driver (`--sdk-driver CMD`).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from typing import Any

from conformance.target import UsageError

from ._say import Say

LANGUAGES = ("python", "node")


@dataclass
class Candidate:
    command: list[str]
    env: dict[str, str] | None
    replay: str  # the driver command line, runnable as is
    option: str  # the gate's own option that selects this SDK again (for the replay line)
    spec: str | None = None
    language: str | None = None
    generator: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _env_prefix(env: dict[str, str] | None, *names: str) -> str:
    return " ".join(f"{name}={shlex.quote(env[name])}" for name in names if env and name in env)


def parse_sdk(value: str) -> tuple[str, str | None]:
    """`python`, `python:SPEC`, `node:SPEC` → (language, spec)."""
    language, _, spec = value.partition(":")
    if language not in LANGUAGES:
        raise UsageError(f"--sdk {value!r}: give python[:REQUIREMENT] or node:PATH_OR_SPEC")
    return language, spec or None


def python_candidate(spec: str | None, *, refresh: bool, say: Say) -> Candidate:
    from .install import install
    from .protocol import python_driver

    site = install(spec, refresh=refresh, say=say)
    command, env = python_driver(site, sys.executable)
    replay = f"{_env_prefix(env, 'PYTHONPATH')} {shlex.join(command)}"
    option = f"--sdk-spec {shlex.quote(spec)}" if spec else "--sdk python"
    return Candidate(command, env, replay, option, spec=spec or "faxplus-api", language="python")


def node_candidate(spec: str | None, *, refresh: bool, say: Say) -> Candidate:
    import conformance.sdk.node as node

    if not spec:
        raise UsageError(
            "--sdk node needs the SDK: node:./folder, node:sdk.tgz or node:name@version"
            " (or --generate typescript-axios)"
        )
    installed = node.install(spec, refresh=refresh, say=say)
    command, env = node.driver(installed)
    return Candidate(
        command, env, shlex.join(command), f"--sdk {shlex.quote('node:' + spec)}", spec=spec, language="node"
    )
