"""The pinned Allure 3 CLI, installed by ``npm ci`` on a thread of its own: a run's install overlaps its cases.

`AllureInstall.start()` checks (cheaply: the CLI's file and the marker below) whether the pinned CLI is
installed, and if not starts ``npm ci`` in the background; `wait()` is where the HTML build joins it;
`cancel()` (safe in a signal handler) and `close()` stop it. One installer at a time across processes:
``npm ci`` runs only under ``FileLock(pkg_dir / ".npm-ci.lock")``, and whoever waited for the lock uses
the tree the holder installed.

A partial install never counts. ``npm ci`` empties ``node_modules`` first and fills it as it goes, so a
killed install leaves half a tree, possibly with ``allure/cli.js`` already in it. The tree counts as
installed only with `MARKER`, which holds the lock file's digest and is written once ``npm ci`` exited 0
with the CLI in place; an install that fails or is stopped also removes what it wrote. A marker, not a
temporary folder renamed into place: ``npm ci`` itself deletes and rewrites ``node_modules`` in place, the
marker lives inside it (so any later ``npm ci`` removes it first), it survives no SIGKILL of ours half
way, and it names the lock the tree came from, so a new pin installs again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from filelock import FileLock, Timeout

from .allure_cli import NO_HTML, HtmlUnavailable, last_line, reports_dir

__all__ = ["ALLURE_CLI", "MARKER", "AllureInstall", "adopt", "ensure_allure", "ensure_allure_in", "installed"]

ALLURE_CLI = Path("node_modules") / "allure" / "cli.js"  # what node_modules/.bin/allure links to
MARKER = Path("node_modules") / ".faxplus-conformance-installed"  # sha256 of package-lock.json, on success only
GUARD = Path(__file__).with_name("_guard.py")  # npm's group dies with this process (see _guard.py)
NPM_CI = ["ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"]
HEARTBEAT = 15.0  # seconds between "still installing" lines while the HTML build waits
SLICE = 0.25  # seconds the HTML build's wait sleeps at a time: how late a Ctrl-C may be heard
INTERRUPTED = (
    "the Allure 3 install (npm ci) was stopped by the interrupt, and nothing half-installed is kept; "
    f"`faxplus-conformance report` builds this run's HTML later {NO_HTML}"
)
TIMED_OUT = f"npm ci timed out (HTML build timeout used up); raise the timeout {NO_HTML}"

Say = Callable[[str], None]


def ensure_allure(timeout: float = 300) -> Path:
    """The pinned Allure CLI, installed with `npm ci` on first use (raises HtmlUnavailable)."""
    return ensure_allure_in(time.monotonic() + timeout)


def ensure_allure_in(deadline: float, say: Say | None = None) -> Path:
    """`ensure_allure` within what is left of `deadline`; `say` hears of an install before and after it."""
    return AllureInstall.start(reports_dir()).wait(deadline, say)


def _lock_digest(pkg_dir: Path) -> str:
    return hashlib.sha256((pkg_dir / "package-lock.json").read_bytes()).hexdigest()


def installed(pkg_dir: Path) -> Path | None:
    """The CLI in `pkg_dir` if a complete ``npm ci`` of the present lock put it there, else None."""
    cli = pkg_dir / ALLURE_CLI
    try:
        complete = cli.is_file() and (pkg_dir / MARKER).read_text(encoding="ascii") == _lock_digest(pkg_dir)
    except (OSError, UnicodeDecodeError):
        return None
    return cli if complete else None


def adopt(pkg_dir: Path) -> Path | None:
    """A tree installed before the marker existed, taken as installed (and marked) when npm's own record
    of it says it is this lock's, whole: the CLI there, else None.

    npm writes ``node_modules/.package-lock.json`` as the last step of an install that succeeded, and
    ``npm ci`` deletes the whole folder first, so a half-done tree has none. Every package in it must be
    the lock's, at the lock's version and integrity. Without this, a checkout installed before the
    marker reinstalled once, and offline that failed and cost the run its HTML."""
    cli, record = pkg_dir / ALLURE_CLI, pkg_dir / "node_modules" / ".package-lock.json"
    try:
        if not cli.is_file() or not record.is_file():
            return None
        wanted = json.loads((pkg_dir / "package-lock.json").read_text(encoding="utf-8"))["packages"]
        have = json.loads(record.read_text(encoding="utf-8"))["packages"]
        wanted = {name: entry for name, entry in wanted.items() if name}  # "" is the project itself
        same = set(have) == set(wanted) and all(
            (have[name].get("version"), have[name].get("integrity")) == (entry.get("version"), entry.get("integrity"))
            for name, entry in wanted.items()
        )
        if not same:
            return None
        _write_marker(pkg_dir)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return installed(pkg_dir)


class AllureInstall:
    """One process's install of the pinned Allure CLI into `pkg_dir`: finished already, or under way."""

    def __init__(self, pkg_dir: Path) -> None:
        self.pkg_dir = pkg_dir
        self.cli: Path | None = None
        self.error: HtmlUnavailable | None = None
        self.npm_seconds: float | None = None  # how long our own npm ci took (None: none ran)
        self.waiting_for_other = False  # another process holds the lock: its install is awaited
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped: str | None = None  # why cancel() stopped it: the error the build then gets
        self._settled = threading.Event()  # the thread knows whether it installs or awaits another's
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def start(cls, pkg_dir: Path | None = None) -> AllureInstall:
        """Nothing to do when the CLI is installed (or cannot be); else ``npm ci`` begins on a thread."""
        self = cls(reports_dir() if pkg_dir is None else pkg_dir)
        try:
            self.cli = self._check()
        except HtmlUnavailable as error:
            self.error = error
        if self.cli is not None or self.error is not None:
            self._settled.set()
            self._done.set()
            return self
        self._thread = threading.Thread(target=self._work, name="allure-npm-ci", daemon=True)
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    @property
    def pid(self) -> int | None:
        """Our npm's pid (its process group's id), once it started."""
        return None if self._proc is None else self._proc.pid

    def wait(self, deadline: float, say: Say | None = None) -> Path:
        """The installed CLI once the install is over (raises its HtmlUnavailable); stopped at `deadline`.

        Silent when it is over already; otherwise `say` hears what is awaited, every `HEARTBEAT`
        seconds that it still is, and when it ended."""
        try:
            return self._wait(deadline, say)
        except KeyboardInterrupt:  # a Ctrl-C while waiting (`report`): npm, in a group of its own, goes too
            self.close()  # also when it came as a line was said, before the wait itself
            raise

    def _wait(self, deadline: float, say: Say | None) -> Path:
        said = False
        if self.running and self._stopped is None:
            self._settled.wait(5)  # milliseconds: the first try at the lock
            if say is not None:
                say(self._awaited())
                said = True
        began = heard = time.monotonic()
        # Short slices: a Ctrl-C the kernel hands to another thread (npm's, a reader's) sets Python's
        # flag but wakes no wait of this one, so its KeyboardInterrupt waits for this wait to end.
        while not self._done.wait(max(0.0, min(deadline - time.monotonic(), SLICE))):
            now = time.monotonic()
            if now >= deadline:
                self.cancel(TIMED_OUT)
                self._done.wait(10)  # its npm killed and its partial tree removed
                raise HtmlUnavailable(TIMED_OUT)
            if say is not None and now - heard >= HEARTBEAT:
                heard = now
                say(f"HTML report: still installing Allure 3 ({now - began:.0f} s) ...")
        if self.error is not None:
            raise self.error
        assert self.cli is not None  # the thread ends with one or the other
        if said and say is not None:
            if self.npm_seconds is not None:
                say(f"HTML report: Allure 3 installed in {self.npm_seconds:.1f} s")
            else:
                say(f"HTML report: Allure 3 installed by another run (waited {time.monotonic() - began:.1f} s)")
        return self.cli

    def cancel(self, why: str = INTERRUPTED) -> None:
        """Stop the install: its npm's process group is killed. Safe in a signal handler (no lock taken)."""
        if self._done.is_set():
            return
        self._stopped = self._stopped or why
        proc = self._proc  # the thread sets it, then reads _stopped: one of the two kills it
        if proc is not None and proc.returncode is None:  # not once reaped: its pid may be another's
            _kill_group(proc)

    def close(self, within: float = 10.0) -> None:
        """Stop an install no build waited for, and wait (up to `within` s) until its partial tree is gone."""
        if self._done.is_set():
            return
        self.cancel()
        self._done.wait(within)

    # --- the thread -------------------------------------------------------------------------
    def _check(self) -> Path | None:
        pkg_dir = self.pkg_dir
        if not (pkg_dir / "package.json").is_file() or not (pkg_dir / "package-lock.json").is_file():
            raise HtmlUnavailable(
                f"pinned Allure package not found in {pkg_dir} (package.json/package-lock.json) {NO_HTML}"
            )
        cli = installed(pkg_dir)
        if cli is None and shutil.which("npm") is None and (cli := adopt(pkg_dir)) is None:
            raise HtmlUnavailable(f"npm not found: install npm (ships with Node.js) to set up Allure 3 {NO_HTML}")
        return cli

    def _awaited(self) -> str:
        if self.waiting_for_other:
            return f"HTML report: waiting for another run's install of the pinned Allure 3 CLI into {self.pkg_dir} ..."
        # Seconds of silence otherwise: say what is happening, and that it happens once. npm's own
        # cache (--prefer-offline) makes a second checkout's install a local copy.
        return f"HTML report: installing the pinned Allure 3 CLI into {self.pkg_dir} (npm ci, once per checkout) ..."

    def _work(self) -> None:
        try:
            self.cli = self._locked_install()
        except HtmlUnavailable as error:
            self.error = error
        except Exception as error:  # noqa: BLE001 - a thread's exception would be a traceback: one line instead
            self.error = HtmlUnavailable(f"npm ci in {self.pkg_dir} could not run ({error}); fix Node.js/npm {NO_HTML}")
        finally:
            self._settled.set()
            self._done.set()

    def _locked_install(self) -> Path:
        lock = FileLock(self.pkg_dir / ".npm-ci.lock")
        if not _acquire(lock, 0):
            self.waiting_for_other = True
            self._settled.set()
            while not _acquire(lock, 0.1):
                if self._stopped is not None:
                    raise HtmlUnavailable(self._stopped)
        try:
            cli = installed(self.pkg_dir) or adopt(self.pkg_dir)  # the holder we waited for may have installed it
            self._settled.set()
            if cli is not None:
                return cli
            if self._stopped is not None:
                raise HtmlUnavailable(self._stopped)
            try:
                return self._npm_ci()
            except BaseException:
                # Whatever npm wrote is not an install; npm ci would delete it anyway, and the disk is freed now.
                shutil.rmtree(self.pkg_dir / "node_modules", ignore_errors=True)
                raise
        finally:
            lock.release()

    def _npm_ci(self) -> Path:
        pkg_dir, cli = self.pkg_dir, self.pkg_dir / ALLURE_CLI
        (pkg_dir / MARKER).unlink(missing_ok=True)  # from now on the tree is not an install until npm says so
        npm = shutil.which("npm") or "npm"
        env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}
        started = time.monotonic()
        # Files, not pipes: nobody reads while the cases run, and a full pipe would stall npm.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            posix = sys.platform != "win32"
            try:
                self._proc = subprocess.Popen(
                    # Under a guard (POSIX): npm's group dies with this process, even by SIGKILL.
                    [sys.executable, str(GUARD), npm, *NPM_CI] if posix else [npm, *NPM_CI],
                    cwd=pkg_dir,
                    env=env,
                    stdin=subprocess.PIPE if posix else subprocess.DEVNULL,  # the guard's: never written to
                    stdout=out,
                    stderr=err,
                    # Its own group: a terminal's Ctrl-C does not half-kill it; cancel() kills all of it.
                    start_new_session=posix,
                )
            except OSError as exc:
                raise HtmlUnavailable(f"could not start npm ci: {exc}; fix Node.js/npm {NO_HTML}") from exc
            if self._stopped is not None:
                _kill_group(self._proc)
            if posix:
                # Ended but not reaped: until it is, no new process can take its pid, and so its
                # group's id; only then is whatever it left running killed with that id.
                os.waitid(os.P_PID, self._proc.pid, os.WEXITED | os.WNOWAIT)
                _kill_group(self._proc)  # whatever it left running (none after a clean install)
            rc = self._proc.wait()
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            if rc == 0 and cli.is_file():  # complete, even if a cancel came as it exited
                _write_marker(pkg_dir)
                self.npm_seconds = time.monotonic() - started
                return cli
            if self._stopped is not None:
                raise HtmlUnavailable(self._stopped)
            text = _read(err) or _read(out)
        raise HtmlUnavailable(
            f"npm ci in {pkg_dir} failed (exit {rc}): {last_line(text)}; check access to the npm registry {NO_HTML}"
        )


def _acquire(lock: FileLock, timeout: float) -> bool:
    try:
        lock.acquire(timeout=timeout, poll_interval=0.05)
    except Timeout:
        return False
    return True


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL to `proc`'s process group (npm's and node's children too); the process alone on Windows."""
    if sys.platform == "win32":
        with contextlib.suppress(OSError):
            proc.kill()
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _write_marker(pkg_dir: Path) -> None:
    """The marker, whole or not at all (a temporary file renamed over it)."""
    marker = pkg_dir / MARKER
    temp = marker.with_name(marker.name + ".tmp")
    temp.write_text(_lock_digest(pkg_dir), encoding="ascii")
    os.replace(temp, marker)


def _read(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode("utf-8", "replace")
