"""Generated SDKs as gate candidates: `faxplus-conformance sdk --generate NAME [--spec FILE]`.

A generator is one registry entry: the pinned PyPI tool that runs it, how to call it, the language of
what it emits and the driver that speaks for it. Its output is cached under the gate's cache keyed
by generator, tool version, options and the contract's bytes (as the tests cache Prism), then
installed like any candidate of that language (npm for Node, pip for Python) and gated.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.target import UsageError

from ._say import Say
from .candidate import Candidate
from .install import cache_root, cached, install, last_line

if TYPE_CHECKING:
    from conformance.contract import Contract

OPENAPI_GENERATOR = "openapi-generator-cli==7.26.0"  # bundles openapi-generator's jar; needs Java 11+
OPENAPI_PYTHON_CLIENT = "openapi-python-client==0.29.1"
JAR = "openapi_generator_cli/openapi-generator.jar"
PACKAGE = "faxplus_generated"  # the import / npm name every generated client gets
TIMEOUT = 300

Command = Callable[["Generator", Path, Path, Path], list[str]]  # (generator, tool site, spec, output) -> argv


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise UsageError(
            "openapi-generator needs a Java runtime (11+) on PATH: install one"
            " (e.g. apt-get install openjdk-17-jre-headless)"
        )
    return java


def _openapi_generator(gen: Generator, site: Path, spec: Path, out: Path) -> list[str]:
    properties = ",".join(f"{k}={v}" for k, v in gen.options.items())
    return [
        _java(), "-jar", str(site / JAR), "generate", "-g", gen.tool_generator, "-i", str(spec), "-o", str(out),
        "--additional-properties", properties, "--global-property", "apiTests=false,modelTests=false",
    ]  # fmt: skip


def _openapi_python_client(gen: Generator, site: Path, spec: Path, out: Path) -> list[str]:
    config = out.parent / "openapi-python-client.json"  # no post hooks: they would call a ruff from PATH
    config.write_text(json.dumps({**gen.options, "post_hooks": []}), encoding="utf-8")
    return [
        sys.executable, "-S", "-m", "openapi_python_client", "generate", "--path", str(spec),
        "--output-path", str(out), "--meta", "setup", "--config", str(config), "--overwrite",
    ]  # fmt: skip


@dataclass(frozen=True)
class Generator:
    name: str
    language: str  # of the emitted SDK: picks the installer and the driver
    tool: str  # the pinned PyPI requirement that runs it
    command: Command
    tool_generator: str = ""  # openapi-generator's -g
    options: dict[str, str] = field(default_factory=dict)
    driver: str = ""  # the bundled Python driver script (Node SDKs all use drivers/node/driver.mjs)

    @property
    def tool_version(self) -> str:
        return self.tool.split("==", 1)[1]

    def describe(self, spec: Path, digest: str) -> dict[str, Any]:
        tool = self.tool.split("==", 1)[0]
        return {"name": self.name, "tool": tool, "version": self.tool_version, "options": self.options,
                "spec": str(spec), "spec_sha256": digest}  # fmt: skip


GENERATORS: dict[str, Generator] = {
    g.name: g
    for g in (
        Generator(
            "typescript-axios",
            "node",
            OPENAPI_GENERATOR,
            _openapi_generator,
            tool_generator="typescript-axios",
            options={"useSingleRequestParameter": "true", "npmName": PACKAGE, "npmVersion": "0.0.0-generated"},
        ),
        Generator(
            "python",
            "python",
            OPENAPI_GENERATOR,
            _openapi_generator,
            tool_generator="python",
            options={"packageName": PACKAGE, "projectName": "faxplus-generated", "packageVersion": "0.0.0"},
            driver="openapi_generator_python.py",
        ),
        Generator(
            "openapi-python-client",
            "python",
            OPENAPI_PYTHON_CLIENT,
            _openapi_python_client,
            options={"project_name_override": "faxplus-generated", "package_name_override": PACKAGE},
            driver="openapi_python_client.py",
        ),
    )
}


def generate(gen: Generator, spec: Path, *, refresh: bool = False, say: Say = print) -> tuple[Path, str]:
    """(the generated project folder, the contract's sha256), generating it on first use."""
    if gen.command is _openapi_generator:
        _java()  # one line before anything is installed
    data = spec.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    options = json.dumps([gen.name, gen.tool, gen.options], sort_keys=True).encode()
    key = f"gen-{gen.name}-{gen.tool_version}-{hashlib.sha256(options + data).hexdigest()[:16]}"
    site = install(gen.tool, say=say)  # the generator itself, cached like an SDK

    def build(staging: Path) -> None:
        say(f"generating a {gen.name} client from {spec} ({gen.tool}) into {cache_root() / key} …")
        command = gen.command(gen, site, spec, staging / "client")
        env = {"PATH": str(Path(command[0]).parent) + ":/usr/bin:/bin", "PYTHONPATH": str(site), "HOME": str(staging)}
        proc = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False, env=env)
        if proc.returncode != 0 or not (staging / "client").is_dir():
            why = last_line(proc.stderr or proc.stdout, "the generator failed")
            raise UsageError(f"{gen.name} could not generate a client from {spec}: {why}")

    where, _ = cached(key, build, pinned=True, refresh=refresh)
    return where / "client", digest


def candidate(name: str, contract: Contract, *, refresh: bool, say: Say) -> Candidate:
    """Generate (cached), install (cached) and describe the client `name` emits for `contract`,
    from its file (the generator is given the path on its command line)."""
    import conformance.sdk.node as node

    from .protocol import python_driver

    gen = GENERATORS[name]
    spec = Path(contract.path).resolve()
    folder, digest = generate(gen, spec, refresh=refresh, say=say)
    described = gen.describe(spec, digest)
    option = f"--generate {name}"
    if gen.language == "node":
        command, env = node.driver(node.install(str(folder), refresh=refresh, say=say))
        return Candidate(
            command, env, shlex.join(command), option, spec=str(folder), language="node", generator=described
        )
    site = install(str(folder), refresh=refresh, say=say)
    command, env = python_driver(site, sys.executable, gen.driver, "--package", PACKAGE)
    replay = f"PYTHONPATH={shlex.quote(env['PYTHONPATH'])} {shlex.join(command)}"
    return Candidate(command, env, replay, option, spec=str(folder), language="python", generator=described)
