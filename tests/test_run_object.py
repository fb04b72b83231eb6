"""A run is one object (`conformance.plugin.Run`): no module global carries run state, there is no
import cycle, and collecting the suite starts nothing and sends nothing."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import cli_in_process
from helpers.selections import A_FEW, REGISTERS

MODULES = ("conformance.plugin", "conformance.suite._session", "conformance.suite._probe", "conformance.cli")


def python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAXPLUS_")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env, cwd=cwd)


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_first_without_a_cycle(module: str) -> None:
    # Imported first in a fresh interpreter, a module inside a cycle fails on a partly initialised peer.
    proc = python(f"import {module}")
    assert proc.returncode == 0, proc.stderr[-2000:]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when this returns: nothing listens there


def test_collecting_the_suite_starts_nothing_and_sends_nothing(tmp_path: Path) -> None:
    # A base URL where nothing listens: any preflight or request would fail the collection.
    url = f"http://127.0.0.1:{closed_port()}/v3"
    proc = python(
        textwrap.dedent(f"""
            import sys, threading, pytest
            code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "--pyargs", "conformance.suite",
                                "--base-url", "{url}", "--token", "t0k3n-collect"])
            mocks = [t.name for t in threading.enumerate() if t.name == "faxplus-mock"]
            print("EXIT", int(code), "MOCKS", len(mocks))
        """),
        cwd=tmp_path,
    )
    assert "EXIT 0 MOCKS 0" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "test_valid_webhook_is_registered" in proc.stdout


def test_two_runs_in_one_process_are_independent(tmp_path: Path) -> None:
    # This process (a pytest worker, which may have run other tests' runs already) runs the CLI twice.
    # A selection of each kind of case (registered, rejected, refused) is enough for state to leak
    # from one run to the next: what is left over is the run's, not a family's.
    args = ("run", "--no-html", "--shrink-budget", "0", "-k", A_FEW, "--output-dir")
    codes = [cli_in_process(*args, tmp_path / f"run-{i}", cwd=tmp_path) for i in range(2)]
    first, second = (json.loads((tmp_path / f"run-{i}" / "summary.json").read_text()) for i in range(2))
    assert [c.returncode for c in codes] == [0, 0], codes[-1].output[-3000:]
    # Same cases, same counts: the second run started from nothing the first one left behind.
    assert first["counts"] == second["counts"] and first["counts"]["cases"] > 30  # A_FEW: ~40 (whole: ~1,100)
    assert first["families"] == second["families"] and first["selection"] == second["selection"]


def test_a_run_started_in_a_pytest_project_takes_none_of_its_configuration(tmp_path: Path) -> None:
    """The folder a run starts in may be someone's pytest project: its ini options (here: collect
    only, stop at the first failure, warnings as errors) and its conftest.py do not join the run."""
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --collect-only -x\nfilterwarnings = error\n")
    (tmp_path / "conftest.py").write_text(f"open({str(tmp_path / 'loaded')!r}, 'w').close()\n")
    # A selected run: the caller's --collect-only would leave it no case, its conftest.py would be loaded.
    args = ("run", "--no-html", "--shrink-budget", "0", "-k", A_FEW, "--output-dir", tmp_path / "out")
    result = cli_in_process(*args, cwd=tmp_path)
    data = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (result.returncode, data["exit_code"]) == (0, 0), result.output[-3000:]
    assert data["counts"]["cases"] > 30  # A_FEW: ~40 (whole: ~1,100); none if only collected
    assert not (tmp_path / "loaded").exists(), "the caller's conftest.py was loaded into the run"


def test_a_suite_test_that_raises_makes_the_run_exit_2_not_conformant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug of the suite's own (here: a probe that raises for one family) loses that test's cases:
    # the verdict is incomplete, so the run must not report "conformant".
    from conformance.suite import _probe

    original = _probe.Probe.payload

    def payload(self, payload, *, family, **how):  # type: ignore[no-untyped-def]
        if family == "valid-ids":
            raise RuntimeError("a bug in the suite")
        return original(self, payload, family=family, **how)

    monkeypatch.setattr(_probe.Probe, "payload", payload)
    # The broken test beside one that passes: without the bug, this selection is conformant.
    selection = f"{REGISTERS} or valid-ids"
    proc = cli_in_process(
        "run", "--no-html", "--shrink-budget", "0", "-k", selection, "--output-dir", tmp_path, cwd=tmp_path
    )
    assert proc.returncode == 2, proc.stdout[-1500:] + proc.stderr[-1500:]
    assert "could not judge 1 test(s), first test_valid_space_is_registered[valid-ids]" in proc.stderr
    assert (tmp_path / "summary.json").is_file()  # what was measured is still written


def test_a_run_in_process_leaves_the_callers_fault_handler_where_it_pointed(tmp_path: Path) -> None:
    # A pytest worker enables faulthandler on its own stderr; a run in it must not re-point it (its
    # session once did, at a stream the test captured, so a later crash of the worker said nothing).
    dump = tmp_path / "fault.log"
    # Any run's pytest session enables faulthandler: a selected run is one.
    proc = python(
        textwrap.dedent(f"""
            import faulthandler
            from pathlib import Path
            from conformance import run
            from conformance.target import Target
            log = open({str(dump)!r}, "w")
            faulthandler.enable(file=log)
            result = run(Target(output_dir=Path({str(tmp_path / "out")!r}), shrink_budget=0, select={REGISTERS!r}))
            print("exit", result.exit_code, flush=True)
            faulthandler._sigsegv()
        """),
        cwd=tmp_path,
    )
    assert "exit 0" in proc.stdout, proc.stderr[-2000:]
    assert proc.returncode < 0  # the crash itself
    assert "Fatal Python error" in dump.read_text(encoding="utf-8"), proc.stderr[-2000:]
