"""Shared fixtures: a reference mock emptied for each test, and the CLI as a real subprocess.

A `faxplus-conformance run` costs seconds, so `shared_runs` runs each named run once per pytest
session, also across pytest-xdist workers (a flock'ed record in the session's shared temp dir).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from filelock import FileLock, Timeout
from helpers.processes import is_process

from conformance.mock import MockServer


def _keep_bytecode() -> None:
    """Let the Pythons the tests start (the CLI, its embedded mock and Courier, pytest-xdist's workers)
    keep their bytecode where PYTHONDONTWRITEBYTECODE is set (a developer's shell, a sandbox): each
    would otherwise compile every module it imports again, ~2.5 s of CPU per whole run. The cache goes
    to a folder of the test environment (PYTHONPYCACHEPREFIX), not into the source tree, which is
    what that variable is usually set for. Under tox (CI) it is not set, and nothing changes."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
        del os.environ["PYTHONDONTWRITEBYTECODE"]
        os.environ["PYTHONPYCACHEPREFIX"] = str(Path(sys.prefix) / "pycache")


_keep_bytecode()  # at import, before pytest-xdist starts its workers


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: unknown without it (`-p no:xdist`)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers per core. Measured on the 2-core CI machine, about half of a worker's
    time is not CPU (a hanging server's deadline, a refused connection, npm or a child interpreter
    starting), so one worker per core leaves the cores half idle."""
    return 2 * (os.cpu_count() or 1)


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str
    output_dir: Path | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def summary(self) -> dict[str, Any]:
        assert self.output_dir is not None
        return json.loads((self.output_dir / "summary.json").read_text(encoding="utf-8"))


def run_cli(
    *args: object, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> CliResult:
    """`python -m conformance ARGS` with no FAXPLUS_* variables inherited, only those in `env`."""
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", *map(str, args)],
        env=_cli_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,  # a safety net against a hung child, not an assertion
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def cli_in_process(*args: object, env: dict[str, str] | None = None, cwd: Path | None = None) -> CliResult:
    """`faxplus-conformance ARGS` as `run_cli` runs it (the same argv parsing, options, environment
    and reports), but in this process: `conformance.cli.main`, whose return value is what the
    process exits with. For the tests that judge what a run did and wrote, not the process itself
    (its signals, its interpreter's start and end, what it leaves running): a run then costs no
    interpreter and no import of the suite (~1.5 s of CPU each).

    As from a subprocess, stdout and stderr are captured at the file descriptors: what the run's own
    children (the embedded mock, the Courier) write there is in them too. No FAXPLUS_* variable of
    this process is seen, only those in `env`; the environment, the working directory and the
    collector are as they were when it returns."""
    import gc
    import tempfile

    from conformance import cli

    saved_env, here = dict(os.environ), Path.cwd()
    with tempfile.TemporaryDirectory(prefix="cli-in-process-") as folder:
        paths = (Path(folder) / "stdout", Path(folder) / "stderr")
        saved_fds = [os.dup(1), os.dup(2)]
        saved_streams = sys.stdout, sys.stderr
        streams = [path.open("a", encoding="utf-8", errors="backslashreplace", buffering=1) for path in paths]
        try:
            os.environ.clear()
            os.environ.update(_cli_env(env))
            if cwd is not None:
                os.chdir(cwd)
            for stream in saved_streams:
                stream.flush()
            for fd, stream in zip((1, 2), streams, strict=True):
                os.dup2(stream.fileno(), fd)  # the children's output, appended to the same file
            sys.stdout, sys.stderr = streams
            code = cli.main([str(arg) for arg in args])
        finally:
            sys.stdout, sys.stderr = saved_streams
            for fd, saved in zip((1, 2), saved_fds, strict=True):
                os.dup2(saved, fd)
                os.close(saved)
            for stream in streams:
                stream.close()
            gc.unfreeze()  # the CLI freezes its heap for the rest of its process; this one goes on
            os.chdir(here)
            os.environ.clear()
            os.environ.update(saved_env)
        stdout, stderr = (path.read_text(encoding="utf-8", errors="replace") for path in paths)
    return CliResult(code, stdout, stderr)


def spawn_cli(*args: object, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`python -m conformance ARGS` started, not awaited (for the tests that signal it mid-run);
    as `run_cli`, no FAXPLUS_* variables inherited, only those in `env`."""
    command = [sys.executable, "-m", "conformance", *map(str, args)]
    return subprocess.Popen(command, env=_cli_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until(proc: subprocess.Popen[str], ready: Callable[[], bool], within: float = 60) -> None:
    """Wait until `ready()` (a spawned run has got far enough to be signalled); it must still be running."""
    limit = time.monotonic() + within
    while not ready() and time.monotonic() < limit and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be signalled"


class Watched:
    """A spawned run's stdout and stderr, read as they come (on two threads), so that a test can wait for
    a line the run printed, then collect the rest."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream, into), daemon=True)
            for stream, into in ((proc.stdout, self.out), (proc.stderr, self.err))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    def printed(self, text: str) -> bool:
        """Whether a line printed so far (stdout or stderr) contains `text`."""
        return any(text in line for line in [*self.out, *self.err])

    def communicate(self, timeout: float) -> tuple[str, str]:
        """Waits for the run to end (at most `timeout` s, as Popen.communicate); all it printed."""
        self.proc.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        return "".join(self.out), "".join(self.err)


def gone(pid: int, within: float) -> bool:
    """Whether process `pid` has ended within `within` seconds (a child that must not outlive its run).
    A thread's id or a zombie is no process (tests/helpers/processes.py)."""
    ends = time.monotonic() + within
    while time.monotonic() < ends:
        if not is_process(pid):
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def run_like(script: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A stand-in for a run: `script` in a Python process and session of its own, with a Ctrl-C handler
    as the CLI has (a handler, not SIG_IGN, which its children would inherit). It prints one line once
    the child under test is up; yields the process and that line, and kills the process on exit."""
    prelude = "import signal; signal.signal(signal.SIGINT, lambda *_: None)\n"
    parent = subprocess.Popen(
        [sys.executable, "-u", "-c", prelude + script + "\nimport time; time.sleep(60)\n"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert parent.stdout is not None
        yield parent, parent.stdout.readline().strip()
    finally:
        parent.kill()
        parent.wait()


def run_suite_in_pytest(
    *args: object, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m pytest --pyargs conformance.suite -q ARGS`: the suite as plain pytest runs it (no
    cache provider), with no FAXPLUS_* variables inherited, only those in `env`."""
    command = [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-q", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, *map(str, args)], env=_cli_env(env), cwd=cwd, capture_output=True, text=True, timeout=300
    )


def _cli_env(env: dict[str, str] | None) -> dict[str, str]:
    """This process's environment without any FAXPLUS_* variable, plus `env`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("FAXPLUS_")}, **(env or {})}


@pytest.fixture(scope="session")
def courier_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A case cache recorded against the reference mock: a `--no-cleanup` run with it replays every
    case through the Courier (a process of its own sends them). Recorded once per session, under a
    lock shared by the xdist workers (a run only reads a cache whose key it finds)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by all workers of this session
    cache, out = root / "courier-cache", root / "courier-warm"
    with FileLock(root / "courier-cache.lock"):
        if not list(cache.glob("cases-*.json")):
            with MockServer(token="courier-cache-token") as mock:
                result = run_cli(
                    "run", "--base-url", mock.url, "--no-html", "--no-cleanup", "--cache-dir", cache,
                    "--output-dir", out, env={"FAXPLUS_TOKEN": "courier-cache-token"},
                )  # fmt: skip
            assert result.returncode == 0, result.output[-1500:]
            assert list(cache.glob("cases-*.json")), "nothing recorded"
    return cache


@pytest.fixture(scope="session", autouse=True)
def warm_case_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Draw the default case cache (ci tier, vendored contract) once, before a tier's first test.

    On a fresh machine (CI) the cache is empty, and without this every worker's first runs each draw
    the same ~1,100 cases cold at once (~6 s of CPU more per run, four at a time on two cores). One
    worker draws under a lock shared by all workers; the others wait for it and then replay. A run of
    a few selected tests skips it, so a developer's `pytest tests/test_rules.py` does not pay for it."""
    if len(request.session.items) < WARM_FROM:
        return
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by all workers of this session
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    with FileLock(root / "warm-cases.lock"):
        done = root / "warm-cases.json"
        if done.exists():
            return
        result = cli_in_process("run", "--no-html", "--output-dir", root / "warm-cases", env={"XDG_CACHE_HOME": home})
        # Not an assertion: a broken run fails the tests that judge it, with their own message.
        done.write_text(json.dumps([result.returncode, result.output[-2000:]]))


WARM_FROM = 100  # tests in the session: a tier, not a developer's selection


SharedRuns = Callable[..., CliResult | None]


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory: pytest.TempPathFactory) -> SharedRuns:
    """`get(name, produce)`: `produce(output_dir)` runs once per session under that name.

    `wait=False` (prefetching) returns None at once when another thread or worker holds the run.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by all workers of this session

    def get(name: str, produce: Callable[[Path], CliResult], *, wait: bool = True) -> CliResult | None:
        out, record = root / f"run-{name}", root / f"run-{name}.json"
        lock = FileLock(root / f"run-{name}.lock")
        try:
            lock.acquire(timeout=-1 if wait else 0)
        except Timeout:
            return None
        try:
            if not record.exists():
                result = produce(out)
                record.write_text(json.dumps([result.returncode, result.stdout, result.stderr]))
            code, stdout, stderr = json.loads(record.read_text())
        finally:
            lock.release()
        return CliResult(code, stdout, stderr, out)

    return get


@pytest.fixture(scope="session")
def reference_mock() -> Iterator[MockServer]:
    """One faithful reference mock on a free loopback port, stopped at the end of the session."""
    with MockServer(port=0, token="mock-fixture-token") as server:
        yield server


@pytest.fixture
def mock(reference_mock: MockServer) -> MockServer:
    """The faithful mock, emptied through its own API: no webhooks registered, no requests recorded."""
    with httpx.Client(base_url=reference_mock.url, headers={"Authorization": f"Bearer {reference_mock.token}"}) as c:
        for hook in c.get("/hooks").json()["data"]:
            c.delete(f"/hooks/{hook['id']}")
        assert c.get("/hooks").json() == {"data": []}
    reference_mock.requests.clear()
    return reference_mock


# --- every summary.json the tests produce conforms to the published schema ----------------------


def summaries_under(root: Path) -> list[Path]:
    """The suite's summary.json files under `root`, not Allure's own (in an `html/` folder, or next to a
    report's index.html wherever `--output` put it)."""
    return sorted(
        p
        for p in root.rglob("summary.json")
        if "html" not in p.relative_to(root).parts and not (p.parent / "index.html").is_file()
    )


def schema_errors(path: Path) -> list[str]:
    import jsonschema

    from conformance.report.summary import schema

    validator = jsonschema.Draft202012Validator(schema())
    data = json.loads(path.read_text(encoding="utf-8"))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(data)]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Validate every summary.json written under this session's temp dir. Under xdist the controller
    does it once the workers are done: their temp dirs (and the shared runs) live under its own."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if os.environ.get("PYTEST_XDIST_WORKER") or factory is None or factory._basetemp is None:
        return
    root = factory.getbasetemp()
    bad = {str(p): errors for p in summaries_under(root) if (errors := schema_errors(p))}
    if bad:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        report = "\n".join(f"{p}: {'; '.join(errs[:3])}" for p, errs in bad.items())
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"\nsummary.json not valid against conformance/report/summary.schema.json:\n{report}"
        if reporter is not None:
            reporter.write_line(message, red=True)
        else:
            print(message, file=sys.stderr)
