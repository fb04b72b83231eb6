"""Node SDKs: install one with npm into the gate's cache, compile it when it ships TypeScript only,
and run the bundled driver (drivers/node/driver.mjs) against it.

`--sdk node:SPEC` takes a local folder (packed first, so the cache holds a copy, not a link to a
tree that may change), a tarball, or anything `npm install` takes (`name@1.2.3`, a URL). A folder
or tarball is keyed by a fingerprint of its content, so a rebuilt candidate is reinstalled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from conformance.target import UsageError

from ._say import Say
from .install import _fingerprint, cache_root, cached, last_line
from .protocol import DRIVERS

DRIVER = DRIVERS / "node" / "driver.mjs"
TYPESCRIPT = "^5"  # when the package names no range of its own in devDependencies
NPM_FLAGS = ("--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", "--no-update-notifier")
TIMEOUT = 600


@dataclass(frozen=True)
class NodeSdk:
    """An installed Node SDK: the npm prefix the gate installed into, and the package's name there."""

    prefix: Path
    package: str

    @property
    def directory(self) -> Path:
        return self.prefix / "node_modules" / self.package


def tools() -> tuple[str, str]:
    """(node, npm) from PATH, or one line saying what to install."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = "Node.js" if node is None else "npm"
        raise UsageError(
            f"the Node SDK gate needs {missing} on PATH: install Node.js 18+ with npm (Debian: nodejs npm)"
        )
    return node, npm


def _npm(npm: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "npm_config_update_notifier": "false"}
    return subprocess.run([npm, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def resolve(spec: str) -> tuple[str, str, bool]:
    """(what npm installs, cache key, pinned) for `--sdk node:SPEC`."""
    if not spec:
        raise UsageError(
            "--sdk node: give the SDK to gate, e.g. --sdk node:./faxplus-js, node:sdk-1.0.0.tgz or node:pkg@1.0.0"
        )
    # a scoped npm name has a slash too: only ./, /, ~, an existing path or a tarball name is local
    if spec.startswith((".", "/", "~")) or spec.endswith((".tgz", ".tar.gz")) or Path(spec).exists():
        path = Path(spec).expanduser().resolve()
        if not path.exists():
            raise UsageError(f"--sdk node:{spec}: no such file or folder")
        return str(path), f"node-path-{path.name}-{_fingerprint(path)}", True
    pinned = re.search(r".@\d", spec) is not None  # name@1.2.3, @scope/name@1.2.3
    safe = "".join(c if c.isalnum() or c in "-_.=@" else "_" for c in spec)[:60]
    return spec, f"node-{safe}-{hashlib.sha256(spec.encode()).hexdigest()[:8]}", pinned


def install(spec: str, *, refresh: bool = False, say: Say = print) -> NodeSdk:
    """The SDK installed (and compiled, when it ships sources only) under the gate's cache."""
    _, npm = tools()
    target, key, pinned = resolve(spec)

    def build(staging: Path) -> None:
        say(f"installing {target} with npm into {cache_root() / key} …")
        (staging / "package.json").write_text('{"private": true}\n', encoding="utf-8")
        what = target
        if Path(target).is_dir():  # pack it: the cache keeps a copy, and npm copies instead of linking
            packed = _npm(npm, "pack", "--ignore-scripts", "--pack-destination", str(staging), target, *NPM_FLAGS[2:])
            if packed.returncode != 0:
                raise UsageError(f"cannot pack the Node SDK {target!r}: {last_line(packed.stderr, 'npm pack failed')}")
            what = f"./{packed.stdout.strip().splitlines()[-1]}"
        # --ignore-scripts: a package's `prepare` wants its devDependencies; the gate compiles it itself.
        done = _npm(npm, "install", "--ignore-scripts", *NPM_FLAGS, what, cwd=staging)
        if done.returncode != 0:
            raise UsageError(f"cannot install the Node SDK {target!r}: {last_line(done.stderr, 'npm install failed')}")
        package = _installed_name(staging)
        _compile_if_needed(staging / "node_modules" / package, say)
        (staging / ".faxplus-sdk.json").write_text(json.dumps({"package": package}) + "\n", encoding="utf-8")

    where, _ = cached(key, build, pinned=pinned, refresh=refresh)
    return NodeSdk(where, json.loads((where / ".faxplus-sdk.json").read_text(encoding="utf-8"))["package"])


def _installed_name(prefix: Path) -> str:
    dependencies = json.loads((prefix / "package.json").read_text(encoding="utf-8")).get("dependencies") or {}
    if len(dependencies) != 1:
        raise UsageError(f"npm installed {len(dependencies)} packages, expected the one SDK: {sorted(dependencies)}")
    return str(next(iter(dependencies)))


def _main_missing(package: Path) -> bool:
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    main = manifest.get("main") or "index.js"
    candidates = [package / main, package / f"{main}.js", package / main / "index.js"]
    return not any(path.is_file() for path in candidates)


def _compile_if_needed(package: Path, say: Say) -> None:
    """A package whose `main` is missing but that has a tsconfig.json ships sources only: run tsc."""
    if not _main_missing(package):
        return
    if not (package / "tsconfig.json").is_file():
        raise UsageError(f"the Node SDK {package.name} has no built `main` and no tsconfig.json to build it from")
    tsc = _typescript(package, say)
    node, _ = tools()
    proc = subprocess.run(
        [node, str(tsc), "-p", str(package)], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    if proc.returncode != 0 or _main_missing(package):
        why = last_line(proc.stdout + proc.stderr, "tsc produced no `main`")
        raise UsageError(f"cannot compile the Node SDK {package.name} with TypeScript: {why}")


def _typescript(package: Path, say: Say) -> Path:
    """tsc, in the version range the package asks for, installed once into the cache."""
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    wanted = (manifest.get("devDependencies") or {}).get("typescript") or TYPESCRIPT
    key = f"node-typescript-{hashlib.sha256(wanted.encode()).hexdigest()[:8]}"
    _, npm = tools()

    def build(staging: Path) -> None:
        say(f"installing typescript@{wanted} to compile {package.name} …")
        (staging / "package.json").write_text('{"private": true}\n', encoding="utf-8")
        done = _npm(npm, "install", *NPM_FLAGS, f"typescript@{wanted}", cwd=staging)
        if done.returncode != 0:
            raise UsageError(f"cannot install typescript@{wanted}: {last_line(done.stderr, 'npm install failed')}")

    where, _ = cached(key, build, pinned=True)
    return where / "node_modules" / "typescript" / "bin" / "tsc"


def driver(sdk: NodeSdk) -> tuple[list[str], dict[str, str]]:
    """The bundled Node driver for the installed SDK (no NODE_OPTIONS or NODE_PATH of the caller)."""
    node, _ = tools()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NODE_", "FAXPLUS_"))}
    return [node, str(DRIVER), str(sdk.directory)], env
