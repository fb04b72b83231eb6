"""The pinned Allure CLI's install starts when a run starts and overlaps its cases (issue 22, "fast first
run"): one installer at a time, stopped by an interrupt or a run that builds no HTML, never taken as
installed half-done. Proven with a stand-in npm first on PATH (tests/helpers/fake_npm.py) that installs
into a package folder of the test's own, never the checkout's reports/."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Watched, cli_in_process, wait_until
from helpers.fake_npm import FakeNpm, spawn_run, wait_for
from helpers.selections import REGISTERS
from helpers.suite_runs import judged_a_family

from conformance.report import allure_install
from conformance.report.allure_cli import HtmlUnavailable
from conformance.report.allure_install import ALLURE_CLI, MARKER, NPM_CI, AllureInstall, installed

# The HTML step runs `node` (on the stand-in cli.js) once npm is done.
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
VERDICT = "pass · exit 0"  # the embedded mock's verdict line, printed before the HTML step
# What the install overlaps or waits for is any run's cases: a selected run has them (npm starts before
# the run imports the suite, ~1 s before its first case). The Ctrl-C mid-cases runs are whole (below).
SOME = ("-k", REGISTERS)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeNpm]:
    fake = FakeNpm.make(tmp_path / "npm")
    yield fake
    fake.kill_leftovers()


@pytest.fixture
def on_path(fake: FakeNpm, monkeypatch: pytest.MonkeyPatch) -> FakeNpm:
    """The fake first on this process's PATH, and the install's package folder the fake's."""
    monkeypatch.setenv("PATH", fake.env()["PATH"])
    monkeypatch.setattr(allure_install, "reports_dir", lambda: fake.package)
    return fake


def all_gone(fake: FakeNpm) -> bool:
    return fake.all_gone(within=10)


# --- the install on its own ---------------------------------------------------------------------


def test_a_tree_without_the_marker_of_this_lock_is_not_installed(fake: FakeNpm) -> None:
    cli = fake.package / ALLURE_CLI
    cli.parent.mkdir(parents=True)
    cli.write_text("")
    assert installed(fake.package) is None  # what a killed npm ci may leave: the CLI's file, no marker
    (fake.package / MARKER).write_text("0" * 64)
    assert installed(fake.package) is None  # the marker of another lock


def test_an_install_marks_its_lock_and_a_new_lock_installs_again(on_path: FakeNpm) -> None:
    fake = on_path
    cli = AllureInstall.start().wait(time.monotonic() + 30)
    assert installed(fake.package) == cli == fake.package / ALLURE_CLI
    assert fake.invocations() == [NPM_CI]
    again = AllureInstall.start()
    assert not again.running and again.pid is None  # installed: nothing starts, no thread
    assert again.wait(time.monotonic() + 1) == cli
    (fake.package / "package-lock.json").write_text('{"name": "fake", "lockfileVersion": 3, "pinned": "anew"}')
    assert installed(fake.package) is None
    AllureInstall.start().wait(time.monotonic() + 30)
    assert len(fake.invocations()) == 2


def test_an_install_over_before_the_build_comes_is_not_announced(on_path: FakeNpm) -> None:
    install = AllureInstall.start()
    assert wait_for(lambda: not install.running, 30)
    said: list[str] = []
    install.wait(time.monotonic() + 1, said.append)
    assert said == []


def test_an_install_the_build_cannot_wait_for_is_killed_and_removed(
    on_path: FakeNpm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NPM_HOLD", str(tmp_path / "never"))
    install = AllureInstall.start()
    assert wait_for(on_path.started)
    with pytest.raises(HtmlUnavailable) as error:
        install.wait(time.monotonic() + 0.5)
    assert str(error.value) == "npm ci timed out (HTML build timeout used up); raise the timeout or pass --no-html"
    assert all_gone(on_path), "npm or its child outlived the timeout"
    assert not (on_path.package / "node_modules").exists()


def test_close_stops_an_install_no_build_waited_for(
    on_path: FakeNpm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NPM_HOLD", str(tmp_path / "never"))
    install = AllureInstall.start()
    assert wait_for(on_path.started)
    assert (on_path.package / ALLURE_CLI).is_file()  # half-done, with the CLI's file already there
    install.close()
    assert not install.running
    assert all_gone(on_path)
    assert not (on_path.package / "node_modules").exists() and installed(on_path.package) is None


def test_one_installer_for_two_concurrent_processes(fake: FakeNpm) -> None:
    # Two processes install into one folder at once: one runs npm, the other waits for its lock and
    # uses what it installed.
    script = (
        "import sys, time\nfrom pathlib import Path\nfrom conformance.report.allure_install import AllureInstall\n"
        "print(AllureInstall.start(Path(sys.argv[1])).wait(time.monotonic() + 60, print), flush=True)\n"
    )
    env = {**os.environ, **fake.env(SLEEP="3")}
    command = [sys.executable, "-c", script, str(fake.package)]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        outputs = [proc.communicate(timeout=60)[0] for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert fake.invocations() == [NPM_CI], "a second npm started"
    cli = str(fake.package / ALLURE_CLI)
    assert [out.splitlines()[-1] for out in outputs] == [cli, cli]
    said = "".join(outputs)
    assert "installing the pinned Allure 3 CLI" in said and "waiting for another run's install" in said, said
    assert "Allure 3 installed by another run" in said


# --- the install in a run -----------------------------------------------------------------------


@needs_node
def test_a_run_starts_the_install_as_it_starts_and_waits_for_it_only_at_the_html(fake: FakeNpm, tmp_path: Path) -> None:
    hold, out = tmp_path / "release", tmp_path / "out"
    proc = spawn_run(fake, "run", *SOME, "--no-case-cache", "--output-dir", out, env=fake.env(HOLD=str(hold)))
    run = Watched(proc)
    try:
        assert wait_for(fake.started), "npm did not start"
        # npm is up before the cases end: they overlap.
        assert not (out / "summary.json").exists() and not run.printed("cases done")
        # The HTML step comes while npm is still held: it says so, and waits.
        wait_until(proc, lambda: run.printed("installing the pinned Allure 3 CLI"), within=120)
        hold.touch()
        stdout, stderr = run.communicate(timeout=120)
    finally:
        hold.touch()
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, stdout[-2000:] + stderr[-2000:]
    lines = stdout.splitlines()
    installing = next(i for i, line in enumerate(lines) if "installing the pinned Allure 3 CLI" in line)
    assert lines.index(VERDICT) < installing  # the verdict did not wait for npm
    assert lines[installing + 1].startswith("HTML report: Allure 3 installed in")
    assert (out / "html" / "index.html").is_file()
    assert fake.invocations() == [NPM_CI] and installed(fake.package) is not None
    assert "Traceback" not in stdout + stderr


@needs_node
def test_no_html_starts_no_install(on_path: FakeNpm, tmp_path: Path) -> None:
    result = cli_in_process("run", *SOME, "--no-html", "--output-dir", tmp_path / "out", env=on_path.env())
    assert result.returncode == 0, result.output[-2000:]
    assert not on_path.log.exists(), "npm was started"
    assert not (on_path.package / "node_modules").exists()


# Should the run hang after the Ctrl-C, its threads are dumped (faulthandler, SIGABRT) into the
# failure: that is how a lost wake-up of the sending threads was found (conformance/send/_lanes.py).
def test_an_interrupt_kills_the_install_and_leaves_no_partial_install(fake: FakeNpm, tmp_path: Path) -> None:
    # A whole run: it must still be in its cases when signalled after its first family (a selection may
    # be over by then), and it costs only that much (~2 s of CPU), cut short by the Ctrl-C.
    out = tmp_path / "out"
    env = {**fake.env(HOLD=str(tmp_path / "never")), "PYTHONFAULTHANDLER": "1"}
    proc = spawn_run(fake, "run", "--no-case-cache", "--output-dir", out, env=env)
    run = Watched(proc)
    try:
        assert wait_for(fake.started), "npm did not start"
        wait_until(proc, lambda: judged_a_family(out / "allure-results"))
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C, to the run's group: npm's own group is spared
        try:
            stdout, stderr = run.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGABRT)  # its threads' stacks, to its stderr
            stdout, stderr = run.communicate(timeout=30)
            pytest.fail(f"the run had not ended 120 s after the Ctrl-C:\n{stdout[-1500:]}\n{stderr[-6000:]}")
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 2, stdout[-2000:] + stderr[-2000:]  # interrupted, as without the install
    assert all_gone(fake), "npm or its child outlived the run"
    assert not (fake.package / "node_modules").exists() and installed(fake.package) is None
    skipped = [line for line in stdout.splitlines() if line.startswith("HTML report")]
    assert skipped == [
        "HTML report skipped: the Allure 3 install (npm ci) was stopped by the interrupt, and nothing "
        "half-installed is kept; `faxplus-conformance report` builds this run's HTML later or pass --no-html"
    ]
    assert "interrupted" in stderr and "Traceback" not in stdout + stderr


def ctrl_c_once_installing(fake: FakeNpm, tmp_path: Path, *args: object) -> tuple[subprocess.Popen[str], str, str]:
    """`faxplus-conformance ARGS` with an npm that never ends, sent a terminal's Ctrl-C once it says it
    waits for the install; the ended process and what it printed."""
    proc = spawn_run(fake, *args, env=fake.env(HOLD=str(tmp_path / "never")))
    run = Watched(proc)
    try:
        # npm itself up too (it starts under its guard just after the line): what must not outlive the command.
        wait_until(proc, lambda: run.printed("installing the pinned Allure 3 CLI") and fake.started(), within=120)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = run.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    return proc, stdout, stderr


def test_a_ctrl_c_while_the_html_waits_for_the_install_stops_it(fake: FakeNpm, tmp_path: Path) -> None:
    # The engine's signal handling is over by then: the Ctrl-C is a KeyboardInterrupt, one line, exit 2.
    out = tmp_path / "out"
    proc, stdout, stderr = ctrl_c_once_installing(fake, tmp_path, "run", *SOME, "--output-dir", out)
    assert proc.returncode == 2 and stderr.strip().endswith("faxplus-conformance: interrupted"), stdout + stderr
    assert all_gone(fake), "npm or its child outlived the run"
    assert not (fake.package / "node_modules").exists()
    assert (out / "summary.json").is_file() and "Traceback" not in stdout + stderr


# Once in the system tier after one failure in a loaded CI run: the Ctrl-C could come between the
# "installing" line and npm's start, and `all_gone` then found no npm at all (it needs npm's pids); the
# Ctrl-C now waits for npm too. npm also runs under a guard now (tests/test_install_guard.py).
@needs_node
def test_a_ctrl_c_while_report_waits_for_the_install_stops_it(fake: FakeNpm, tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    results.mkdir()
    proc, stdout, stderr = ctrl_c_once_installing(fake, tmp_path, "report", results)
    assert proc.returncode == 2 and stderr.strip() == "faxplus-conformance: interrupted", stdout + stderr
    assert all_gone(fake), "npm or its child outlived the command"
    assert not (fake.package / "node_modules").exists()


def test_a_run_that_ends_before_its_html_stops_the_install(fake: FakeNpm, tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on: the preflight fails, exit 2
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {**fake.env(HOLD=str(tmp_path / "never")), "FAXPLUS_TOKEN": "t"}
    proc = spawn_run(fake, "run", "--base-url", f"http://127.0.0.1:{port}/v3", "--output-dir", tmp_path, env=env)
    try:
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 2 and "cannot reach" in stderr, stdout + stderr
    assert fake.invocations() == [NPM_CI]  # it had started
    assert all_gone(fake), "npm or its child outlived the run"
    assert not (fake.package / "node_modules").exists()


@needs_node
def test_a_failed_install_is_one_line_at_the_html_and_the_verdict_stands(on_path: FakeNpm, tmp_path: Path) -> None:
    result = cli_in_process("run", *SOME, "--output-dir", tmp_path / "out", env=on_path.env(FAIL="1"))
    assert result.returncode == 0, result.output[-2000:]
    lines = result.stdout.splitlines()
    html = [line for line in lines if line.startswith("HTML report")]
    assert html == [
        f"HTML report skipped: npm ci in {on_path.package} failed (exit 1): E404: 404 Not Found - GET "
        "https://registry.npmjs.org/allure - Not found; check access to the npm registry or pass --no-html"
    ]
    assert lines.index(VERDICT) < lines.index(html[0])
    assert not (on_path.package / "node_modules").exists()
    assert "Traceback" not in result.output
