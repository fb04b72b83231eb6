"""Install the SDK under test into an isolated, cached `pip --target` directory.

The directory is keyed by the requirement (and, for a local path, by a fingerprint of its
files), so a rerun with the same `--sdk-spec` imports from the cache without touching the
network, and two SDK versions never share a directory with each other or with the suite.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

from conformance.target import UsageError

from ._say import Say

DEFAULT_SPEC = "faxplus-api"
MARKER = ".faxplus-conformance-install.json"


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "faxplus-conformance" / "sdk"


def _is_path(spec: str) -> bool:
    return spec.startswith((".", "/", "~")) or os.sep in spec or Path(spec).exists()


def _fingerprint(path: Path) -> str:
    """Content of a file, or names, sizes and mtimes of a tree: a rebuilt candidate gets a new key."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(path.read_bytes())
        return digest.hexdigest()[:16]
    for item in sorted(path.rglob("*")):
        parts = item.relative_to(path).parts
        if any(part in (".git", "__pycache__", "build", ".tox") or part.endswith(".egg-info") for part in parts):
            continue
        if item.is_file():
            stat = item.stat()
            digest.update(f"{item.relative_to(path)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def resolve(spec: str | None) -> tuple[str, str]:
    """(what pip installs, cache key) for a `--sdk-spec`."""
    spec = spec or DEFAULT_SPEC
    if _is_path(spec):
        path = Path(spec).expanduser().resolve()
        if not path.exists():
            raise UsageError(f"--sdk-spec {spec!r}: no such file or folder")
        return str(path), f"path-{path.name}-{_fingerprint(path)}"
    if "://" not in spec:  # a URL is pip's to judge; a requirement is checked before pip runs
        _requirement(spec)
    safe = "".join(c if c.isalnum() or c in "-_.=" else "_" for c in spec)[:60]
    return spec, f"{safe}-{hashlib.sha256(spec.encode()).hexdigest()[:8]}"


def _requirement(spec: str) -> None:
    """A UsageError in one line unless `spec` is a pip requirement (pip's own message draws a caret)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(spec)
    except InvalidRequirement as error:
        why = str(error).splitlines()[0].rstrip(".")
        raise UsageError(
            f"--sdk-spec {spec!r} is not a pip requirement ({why}): give NAME, NAME==VERSION "
            "(e.g. faxplus-api==3.0.5), a path or a URL"
        ) from None


def cached(key: str, build: Callable[[Path], None], *, pinned: bool, refresh: bool = False) -> tuple[Path, bool]:
    """(directory `key` of the cache, whether it was built now): `build(staging)` runs once per key.

    Shared by every installer of the gate (pip, npm, the generators): one builder per key across
    processes and xdist workers, a half-built directory never visible (built aside, then renamed),
    and an unpinned key rebuilt after a day so the gate follows new releases without a registry
    round-trip on every run.
    """
    root = cache_root()
    where = root / key
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(root / f".{key}.lock"):
        marker = where / MARKER
        if marker.is_file() and not refresh and (pinned or time.time() - marker.stat().st_mtime < 86_400):
            return where, False
        staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
        try:
            build(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        (staging / MARKER).write_text(json.dumps({"key": key}) + "\n", encoding="utf-8")
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(where)
        staging.rename(where)
        return where, True


def last_line(stderr: str, default: str) -> str:
    """The last line of a tool's stderr that says something (warnings skipped)."""
    # A line of only marks (`~~~~~^` under a requirement) says nothing on its own.
    lines = [line for line in stderr.splitlines() if any(c.isalnum() for c in line) and "WARN" not in line]
    return (lines or [default])[-1].strip()


def install(spec: str | None, *, refresh: bool = False, say: Say = print) -> Path:
    """Return a directory holding the SDK and its dependencies, installing it on first use.

    An unpinned requirement (the default `faxplus-api`) is cached for a day, then re-resolved.
    """
    target, key = resolve(spec)
    pinned = "==" in target or key.startswith("path-")

    def build(staging: Path) -> None:
        say(f"installing {target} into {cache_root() / key} …")
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input"]
        proc = subprocess.run(
            [*cmd, "--target", str(staging), target], capture_output=True, text=True, timeout=600, check=False
        )
        if proc.returncode != 0:
            raise UsageError(f"cannot install the SDK {target!r}: {last_line(proc.stderr, 'pip failed')}")

    return cached(key, build, pinned=pinned, refresh=refresh)[0]
