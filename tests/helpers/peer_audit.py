"""The audit of a real peer's run, shared by tests/test_peers.py (Python stacks) and
tests/test_peers_node.py (Node stacks): where the peers live, what a finding's reproduction says,
and the three questions every peer's audit asks of its summary.json.

A peer's audit names its root causes, each a predicate over a finding (its request and response):
- `unexplained`: fail and warn findings no cause explains (a finding outside the audit);
- `stale`: causes that explain no finding any more (an audited cause that vanished);
- `mixed_groups`: fail and warn groups whose findings no single cause explains.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, SharedRuns, run_cli

from conformance.contract import vendored_path
from helpers.processes import stop, wait_serving

ROOT = Path(__file__).resolve().parents[2]
APPS = ROOT / "tests" / "peers"  # the peers' sources and pins
VENVS = ROOT / ".peers"  # installed Python peers and the install locks (gitignored)
TOKEN = "peer-token-8d3f"

Finding = dict[str, Any]


@dataclass(frozen=True)
class RootCause:
    name: str
    explains: Callable[[Finding], bool]


@dataclass(frozen=True, kw_only=True)
class Audited:
    """What every audited peer is pinned to; each kind of peer (Python, Node, further) adds its own.

    `intermittent` causes explain findings some runs have and others not (a race in the peer's
    stack): a run without them is not stale, and their fail lines (`intermittent_lines`) may join
    the pinned ones.
    """

    name: str
    exit_code: int
    causes: tuple[RootCause, ...]
    intermittent: tuple[RootCause, ...] = ()
    intermittent_lines: tuple[str, ...] = ()

    @property
    def all_causes(self) -> tuple[RootCause, ...]:
        return self.causes + self.intermittent


# --- what a finding's reproduction says ---------------------------------------------------------


def install_step(name: str, into: Path, step: list[str], *, cwd: Path | None = None, how: str | None = None) -> None:
    """One step of installing peer `name` into `into`; a failure fails the test in one line, with
    the step's last word and what to run by hand (`how`, default: the step itself)."""
    proc = subprocess.run(step, cwd=cwd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        last = next((line for line in reversed(proc.stderr.splitlines()) if line.strip()), "no output")
        pytest.fail(
            f"installing the {name} peer into {into} failed (exit {proc.returncode}: {last.strip()}); "
            f"run `{how or ' '.join(step)}` by hand to see why (registry access?)",
            pytrace=False,
        )


def status(finding: Finding) -> int | None:
    return finding["reproduction"]["status"]  # type: ignore[no-any-return]


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def sent(finding: Finding) -> Any:
    return _json(finding["reproduction"]["request_body"])


def answered(finding: Finding) -> Any:
    return _json(finding["reproduction"]["response_body"])


def media_type(finding: Finding) -> str:
    headers = {k.lower(): v for k, v in finding["reproduction"]["response_headers"].items()}
    return str(headers.get("content-type", "")).split(";")[0].strip()


# The suite stores request bodies decoded with `backslashreplace`: a byte that is not UTF-8 shows as `\xNN`.
ILL_FORMED_UTF8 = re.compile(r"\\x[89a-f][0-9a-f]")
ENCODED_SURROGATE = re.compile(r"\\xed\\x[ab][0-9a-f]\\x[89ab][0-9a-f]")  # U+D800..U+DFFF in UTF-8 form


def not_utf8(finding: Finding, pattern: re.Pattern[str] = ILL_FORMED_UTF8) -> bool:
    return bool(pattern.search(finding["reproduction"]["request_body"] or ""))


def family(finding: Finding) -> str:
    """The finding's family, on whatever path it travelled: `auth-token-case@client-oauth` is `auth-token-case`."""
    return str(finding["family"]).partition("@")[0]


def finding_is(family_: str | tuple[str, ...], check: str, answer: int | None) -> Callable[[Finding], bool]:
    """A predicate: this family (or one of these) on any path, this check, this status."""
    families = (family_,) if isinstance(family_, str) else family_
    return lambda f: family(f) in families and f["check"] == check and status(f) == answer


REPEATED_HEADERS = (
    "envelope-repeated-content-type",
    "envelope-conflicting-content-type",
    "envelope-repeated-authorization",
)
# Node, Go, Starlette and Werkzeug read one line of a header sent twice: the suite's warn, on every stack that does.
READS_ONE_LINE = RootCause(
    "a header sent twice: the stack reads one line of it (RFC 9110 §5.3 leaves it to the recipient)",
    lambda f: family(f) in REPEATED_HEADERS and f["check"] == "status" and status(f) == 200,
)


# --- the audit -----------------------------------------------------------------------------------


def judged(summary: dict[str, Any]) -> list[Finding]:
    return [f for f in summary["findings"] if f["verdict"] in ("fail", "warn")]


def unexplained(summary: dict[str, Any], causes: Sequence[RootCause]) -> list[str]:
    return [
        f"{f['verdict']} {f['id']} ({status(f)}): {f['message']}"
        for f in judged(summary)
        if not any(cause.explains(f) for cause in causes)
    ]


def stale(summary: dict[str, Any], causes: Sequence[RootCause]) -> list[str]:
    return [cause.name for cause in causes if not any(cause.explains(f) for f in judged(summary))]


def mixed_groups(summary: dict[str, Any], causes: Sequence[RootCause]) -> list[str]:
    by_id = {f["id"]: f for f in summary["findings"]}
    return [
        g["id"]
        for g in summary["groups"]
        if g["verdict"] in ("fail", "warn")
        and not any(all(cause.explains(by_id[i]) for i in g["findings"]) for cause in causes)
    ]


def assert_explained(summary: dict[str, Any], causes: Sequence[RootCause]) -> None:
    """Every fail and warn has an audited cause."""
    missing = unexplained(summary, causes)
    assert not missing, "findings outside the audit (docs/benchmarks.md, Real peers):\n" + "\n".join(missing)


def assert_observed(summary: dict[str, Any], causes: Sequence[RootCause]) -> None:
    """Every audited cause still explains a finding."""
    gone = stale(summary, causes)
    assert not gone, f"audited causes no longer reported by the suite: {gone}"


def assert_one_cause_per_group(summary: dict[str, Any], causes: Sequence[RootCause]) -> None:
    """Each fail/warn group of summary.json holds findings of one audited cause."""
    mixed = mixed_groups(summary, causes)
    assert not mixed, f"groups whose findings no single audited cause explains: {mixed}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- serving a peer, and the one run of the suite against it --------------------------------------


@contextlib.contextmanager
def serving_process(
    name: str, command: list[str], base_url: str, log: Path, *, env: dict[str, str], cwd: Path | None = None,
    seconds: float = 30,
) -> Iterator[str]:  # fmt: skip
    """`command` started with its output in `log`; yields `base_url` once `/hooks` answers, stops it on exit."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_serving(
            f"{base_url}/hooks",
            alive=lambda: process.poll() is None,
            log=lambda: log.read_text(errors="replace"),
            what=f"the {name} peer",
            seconds=seconds,
        )
        yield base_url
    finally:
        stop(process)


def peer_env(**extra: str) -> dict[str, str]:
    """This environment without the suite's (or Mockoon's) variables, the peer's own token and spec added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAXPLUS_", "MOCKOON_"))}
    return {**env, "PEER_TOKEN": TOKEN, "PEER_SPEC": str(vendored_path()), **extra}


def run_once(
    name: str, shared_runs: SharedRuns, serve: Callable[[Path], AbstractContextManager[str]]
) -> tuple[CliResult, dict[str, Any]]:
    """The CLI's ci tier against the peer `serve(log)` starts, once per session; stopped when it ends."""

    def produce(out: Path) -> CliResult:
        with serve(out.parent / f"peer-{name}.log") as base_url:
            args = ("run", "--base-url", base_url, "--token", TOKEN, "--timeout", "2", "--no-html")
            return run_cli(*args, "--output-dir", out)

    result = shared_runs(f"peer-{name}", produce)
    assert result is not None and result.output_dir is not None
    assert (result.output_dir / "summary.json").is_file(), result.output[-2000:]
    return result, result.summary()
