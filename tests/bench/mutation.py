"""Mutation score: this suite and vanilla schemathesis against every Fault; this suite against every Variant.

A conformant Variant must pass (a fail against one is a false positive of the suite).

    python -m tests.bench.mutation                  # full sweep, writes docs/benchmarks.md
    python -m tests.bench.mutation --faults a,b,c   # a subset (prints only, unless --write)
    python -m tests.bench.mutation --faults a --variants b --no-reference   # one of each

For each server (the reference, then each entry of FAULTS) a fresh MockServer is started on a
free port of 127.0.0.1 for each tool, with the same token, and the tool is run against it:

* ours:          `faxplus-conformance run --base-url URL --timeout 1 --no-html` (ci tier, FAXPLUS_TOKEN)
                 killed = the exit code the fault expects AND a finding `fault.killed_by` accepts:
                 for a fail-fault exit 1 and a `fail` of a rule in `fault.caught_by`; for a warn-fault
                 (lenient parsing, stricter than the schema) exit 0 and a `warn` of that rule in the
                 fault's category. Exit 1 without being killed is counted as "killed by accident".
                 A variant passes when the run exits 0 with no `fail` finding.
* schemathesis:  `st run SPEC --url URL --checks all -H "Authorization: Bearer TOKEN"
                 --request-timeout 1 --seed 0 --generation-database none` (its defaults otherwise),
                 and once more with `--continue-on-failure` (st+cof)
                 killed = exit 1 with at least one failure in its report. Because vanilla
                 schemathesis already fails on the reference, we also report the stricter
                 "new": a failure (operation, ST code) or error that the reference run did not have.

Requests sent are counted at the mock for both tools (every request the server received).

"First diverging request" is tool-independent: the benchmark's mock answers each request with
the faulty pipeline AND, in-process on the same Request, with a shadow reference pipeline; the
1-based index of the first request whose two answers differ (status, content type, headers,
delay/drop, body with webhook ids normalised) is the moment the fault first became visible on
the wire. "-" means the tool's traffic never exercised the fault, so it could only kill it by
accident. It is an upper bound on "requests until the first failing case": a tool may need
more requests to *judge* the diverging answer, never fewer.

No timing is asserted anywhere; this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python tests/bench/mutation.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from conformance.contract import vendored_path
from conformance.mock import FAULTS, VARIANTS, Fault, MockServer, Reply, Request, Variant
from tests.bench._docs import DOCS, write_section

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- mutation:begin -->", "<!-- mutation:end -->"
TOOL_TIMEOUT = 900.0  # seconds: a guard against a wedged tool, never a measured limit
_HEX_ID = re.compile(rb"[0-9a-f]{24}")
_HOOK_ID_PATH = re.compile(r"^(.*/hooks/)([^/?]+)(.*)$")


# --- the mock that watches for the fault ---------------------------------------------------------


class WatchingMock(MockServer):
    """A MockServer that also answers each request with the reference pipeline, in-process.

    Webhook ids differ between the two stores (they are random); the ids the faulty server hands
    out are mapped to the reference's so that a later DELETE /hooks/{id} means the same webhook
    to both, and ids are normalised in bodies before comparing.
    """

    def __init__(self, *, token: str, fault: Fault | None, variant: Variant | None = None) -> None:
        super().__init__(port=0, token=token, fault=fault, variant=variant)
        self.shadow = MockServer(port=0, token=token)  # never started: only its respond() is used
        self.shadow._httpd.server_close()  # release the port it bound; shutdown() would block
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}  # faulty id -> reference id
        self.count = 0
        self.first_divergence: int | None = None
        self.divergences = 0

    def respond(self, request: Request) -> Reply:
        with self._lock:
            self.count += 1
            index = self.count
            reply = super().respond(request)
            reference = self.shadow.respond(self._translate(request))
            self._learn_ids(reply, reference)
            if _key(reply) != _key(reference):
                self.divergences += 1
                if self.first_divergence is None:
                    self.first_divergence = index
        return reply

    def _translate(self, request: Request) -> Request:
        match = _HOOK_ID_PATH.match(request.path)
        if match and match.group(2) in self._ids:
            path = match.group(1) + self._ids[match.group(2)] + match.group(3)
            return Request(request.method, path, request.headers, request.body)
        return request

    def _learn_ids(self, reply: Reply, reference: Reply) -> None:
        if reply.status != 200 or reference.status != 200:
            return
        try:
            mine, theirs = json.loads(reply.body), json.loads(reference.body)
        except ValueError:
            return
        if (
            isinstance(mine, dict)
            and isinstance(theirs, dict)
            and isinstance(mine.get("id"), str)
            and isinstance(theirs.get("id"), str)
        ):
            self._ids[mine["id"]] = theirs["id"]


def _key(reply: Reply) -> tuple[Any, ...]:
    headers = tuple(sorted((k.lower(), v) for k, v in reply.headers.items()))
    return (reply.status, reply.content_type, headers, reply.delay, reply.drop, _HEX_ID.sub(b"<id>", reply.body))


# --- running one tool against one server ---------------------------------------------------------


@dataclass
class ToolRun:
    tool: str
    exit_code: int | None
    seconds: float
    requests: int
    first_divergence: int | None
    divergences: int
    killed: bool = False
    accidental: bool = False  # ours: exit 1 without the named rule
    new_failure: bool = False  # schemathesis: a failure or error the reference run did not have
    failures: list[str] = field(default_factory=list)  # ours: family::check; st: "METHOD /path STxxx"
    warns: list[str] = field(default_factory=list)  # ours: family::check (category) of each warn finding
    rules: dict[str, str] = field(default_factory=dict)  # ours: family::check → the rule id its cause names
    errors: list[str] = field(default_factory=list)  # schemathesis: "METHOD /path Network Error"
    reported_requests: int | None = None  # ours: summary.json `requests` (the mock count also has cleanup)
    groups: int | None = None  # ours: root-cause groups of the fault's expected verdict (spec lint aside)
    note: str = ""

    @property
    def signature(self) -> list[str]:
        """What the tool reported, comparable across servers: failures, then errors."""
        return [*self.failures, *self.errors]


def _script(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def _run(cmd: list[str], *, env: dict[str, str], cwd: Path) -> tuple[int | None, float, str]:
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        out = (error.stdout or b"").decode(errors="replace") if isinstance(error.stdout, bytes) else error.stdout or ""
        return None, time.perf_counter() - started, out
    return proc.returncode, time.perf_counter() - started, proc.stdout + proc.stderr


def run_ours(fault: Fault | None, token: str, variant: Variant | None = None) -> ToolRun:
    with (
        tempfile.TemporaryDirectory(prefix="mut-ours-") as tmp,
        WatchingMock(token=token, fault=fault, variant=variant) as mock,
    ):
        env = {**os.environ, "FAXPLUS_TOKEN": token}
        env.pop("FAXPLUS_CLIENT_ID", None)
        cmd = [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--base-url",
            mock.url,
            "--timeout",
            "1",
            "--no-html",
            "--output-dir",
            str(Path(tmp) / "out"),
        ]
        code, seconds, output = _run(cmd, env=env, cwd=Path(tmp))
        run = ToolRun("ours", code, seconds, mock.count, mock.first_divergence, mock.divergences)
        summary_file = Path(tmp) / "out" / "summary.json"
        if not summary_file.is_file():
            run.note = f"no summary.json (exit {code}): {output.strip().splitlines()[-1:] or ''}"
            return run
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
    run.reported_requests = summary.get("requests")
    findings = summary["findings"]
    run.failures = [f"{f['family']}::{f['check']}" for f in findings if f["verdict"] == "fail"]
    run.warns = [f"{f['family']}::{f['check']} ({f['category']})" for f in findings if f["verdict"] == "warn"]
    run.rules = {f"{f['family']}::{f['check']}": f["rule"] for f in findings if f.get("rule")}
    run.killed = fault is not None and code == fault.exit_code and any(fault.killed_by(f) for f in findings)
    expect = fault.expect if fault is not None else "fail"
    run.groups = sum(1 for g in summary.get("groups", ()) if g["verdict"] == expect and g["families"] != ["spec-lint"])
    run.accidental = code == 1 and not run.killed
    return run


def variant_passed(run: ToolRun) -> bool:
    return run.exit_code == 0 and not run.failures


_ST_SECTION = re.compile(r"^_{3,} (.+?) _{3,}$")
_ST_CODE = re.compile(r"^- (ST\d{3}) ")


def st_failures(output: str) -> list[str]:
    """`METHOD /path STxxx` for each failure in the FAILURES section of `st run`'s console output."""
    return _st_section(output, "FAILURES", lambda line: m.group(1) if (m := _ST_CODE.match(line)) else None)


def st_errors(output: str) -> list[str]:
    """`METHOD /path <error title>` for each entry of the ERRORS section (timeouts, dropped connections)."""
    return _st_section(output, "ERRORS", lambda line: line if line and not line.startswith("_") else None, first=True)


def _st_section(output: str, title: str, pick: Any, *, first: bool = False) -> list[str]:
    found: list[str] = []
    section = None
    inside = False
    for raw in output.splitlines():
        line = raw.strip()
        if line.startswith("=") and line.strip("= ") in ("FAILURES", "ERRORS", "SUMMARY", "WARNINGS"):
            inside = line.strip("= ") == title
            continue
        if not inside:
            continue
        if m := _ST_SECTION.match(line):
            section = m.group(1)
        elif section and (what := pick(line)):
            entry = f"{section} {what}"
            if entry not in found:
                found.append(entry)
            if first:
                section = None  # an error entry's title is the first line after its operation
    return found


def st_command(url: str, token: str, *, continue_on_failure: bool = False) -> list[str]:
    """Vanilla `st run`: its defaults, plus a 1 s request timeout and a fixed seed.

    `--seed 0 --generation-database none` makes runs repeatable while keeping the default amount
    of generation (`--generation-deterministic` would also, but it changes what is generated).
    """
    cmd = [
        _script("st"),
        "run",
        vendored_path(),
        "--url",
        url,
        "--checks",
        "all",
        "-H",
        f"Authorization: Bearer {token}",
        "--request-timeout",
        "1",
        "--seed",
        "0",
        "--generation-database",
        "none",
        "--no-color",
    ]
    return [*cmd, "--continue-on-failure"] if continue_on_failure else cmd


def run_st(fault: Fault | None, token: str, *, continue_on_failure: bool = False) -> ToolRun:
    # A throwaway working directory: no .hypothesis/ or schemathesis config from this repo.
    with tempfile.TemporaryDirectory(prefix="mut-st-") as tmp, WatchingMock(token=token, fault=fault) as mock:
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
        cmd = st_command(mock.url, token, continue_on_failure=continue_on_failure)
        code, seconds, output = _run(cmd, env=env, cwd=Path(tmp))
        name = "schemathesis --continue-on-failure" if continue_on_failure else "schemathesis"
        run = ToolRun(name, code, seconds, mock.count, mock.first_divergence, mock.divergences)
    run.failures = st_failures(output)
    run.errors = st_errors(output)
    run.killed = code == 1 and bool(run.failures)
    if code not in (0, 1):
        run.note = f"exit {code}: {output.strip().splitlines()[-1:] or ''}"
    return run


@dataclass
class ServerResult:
    server: str
    ours: ToolRun
    st: ToolRun
    stc: ToolRun  # schemathesis with --continue-on-failure


def measure(fault: Fault | None) -> ServerResult:
    token = "bench-" + secrets.token_urlsafe(12)
    return ServerResult(
        fault.name if fault else "reference",
        run_ours(fault, token),
        run_st(fault, token),
        run_st(fault, token, continue_on_failure=True),
    )


@dataclass
class VariantResult:
    variant: str
    ours: ToolRun

    @property
    def passed(self) -> bool:
        return variant_passed(self.ours)


def measure_variant(variant: Variant) -> VariantResult:
    """Only this suite: a variant is a conformant server, so there is nothing for a tool to kill."""
    return VariantResult(variant.name, run_ours(None, "bench-" + secrets.token_urlsafe(12), variant))


def variant_lines(variants: Sequence[VariantResult]) -> list[str]:
    passed = sum(v.passed for v in variants)
    lines = [f"variants passed {passed}/{len(variants)} (exit 0, no fail finding; warns allowed)"]
    for v in variants:
        mark = "pass" if v.passed else f"FALSE POSITIVE (exit {v.ours.exit_code})"
        fails = f"; fails: {', '.join(v.ours.failures[:5])}" if v.ours.failures else ""
        lines.append(f"  {v.variant}: {mark}, {len(v.ours.warns)} warn(s), {v.ours.seconds:.1f} s{fails}")
    return lines


# --- table ---------------------------------------------------------------------------------------


def _fd(value: int | None) -> str:
    return "-" if value is None else str(value)


def _ours_mark(run: ToolRun, reference: bool) -> str:
    if reference:
        return "FP" if run.exit_code != 0 else "pass"
    if run.killed:
        return "killed"
    if run.accidental:
        return "accident"
    return "ALIVE" if run.exit_code == 0 else f"exit {run.exit_code}"


def _st_mark(run: ToolRun, reference: bool) -> str:
    """`new`: exit 1 with a failure or error the reference run did not have (it saw the fault);
    `same`: exit 1 with only what the reference run also reported (killed by its false positive);
    `ALIVE`: exit 0."""
    if reference:
        return "FP" if run.killed else ("pass" if run.exit_code == 0 else f"exit {run.exit_code}")
    if run.exit_code == 1 and run.new_failure:
        return "new"
    if run.killed:
        return "same"
    return "ALIVE" if run.exit_code == 0 else f"exit {run.exit_code}"


HEADER = (
    "server",
    "ours",
    "ours s",
    "ours req",
    "ours 1st div",
    "st",
    "st s",
    "st req",
    "st 1st div",
    "st+cof",
    "st+cof s",
    "st+cof req",
    "st+cof 1st div",
)


def rows(results: Sequence[ServerResult]) -> list[tuple[str, ...]]:
    out = []
    for r in results:
        ref = r.server == "reference"
        out.append(
            (
                r.server,
                _ours_mark(r.ours, ref),
                f"{r.ours.seconds:.1f}",
                str(r.ours.requests),
                _fd(r.ours.first_divergence),
                _st_mark(r.st, ref),
                f"{r.st.seconds:.1f}",
                str(r.st.requests),
                _fd(r.st.first_divergence),
                _st_mark(r.stc, ref),
                f"{r.stc.seconds:.1f}",
                str(r.stc.requests),
                _fd(r.stc.first_divergence),
            )
        )
    return out


def totals(results: Sequence[ServerResult], variants: Sequence[VariantResult] = ()) -> dict[str, Any]:
    faults = [r for r in results if r.server != "reference"]
    reference = next((r for r in results if r.server == "reference"), None)

    def per_tool(attr: str) -> dict[str, Any]:
        runs = [getattr(r, attr) for r in faults]
        every = [getattr(r, attr) for r in results]
        return {
            "killed": sum(run.killed for run in runs),
            "total": len(runs),
            "accidental": sum(run.accidental for run in runs),
            "new_vs_reference": sum(run.exit_code == 1 and run.new_failure for run in runs),
            "exercised": sum(run.first_divergence is not None for run in runs),
            "false_positive_on_reference": None
            if reference is None
            else ((getattr(reference, attr).exit_code != 0) if attr == "ours" else getattr(reference, attr).killed),
            "median_s": round(statistics.median(run.seconds for run in every), 2) if every else None,
            "total_s": round(sum(run.seconds for run in every), 1),
            "requests": sum(run.requests for run in every),
            "median_first_divergence": statistics.median(seen) if (seen := _seen(runs)) else None,
        }

    ours = per_tool("ours")
    ours["max_groups_per_fault"] = max((r.ours.groups or 0 for r in faults), default=0)
    ours["variants_passed"] = sum(v.passed for v in variants)
    ours["variants"] = len(variants)
    return {
        "ours": ours,
        "schemathesis": per_tool("st"),
        "schemathesis --continue-on-failure": per_tool("stc"),
    }


def _seen(runs: Sequence[ToolRun]) -> list[int]:
    return [run.first_divergence for run in runs if run.first_divergence is not None]


def text_table(results: Sequence[ServerResult]) -> str:
    body = rows(results)
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(HEADER)]

    def line(cells: Sequence[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs)

    return "\n".join([line(HEADER), line(tuple("-" * w for w in widths)), *(line(row) for row in body)])


def totals_lines(t: dict[str, Any]) -> list[str]:
    out = []
    for name in t:
        s = t[name]
        extra = (
            f"{s['accidental']} by accident; variants passed {s.get('variants_passed', 0)}/{s.get('variants', 0)}; "
            f"at most {s.get('max_groups_per_fault', 0)} root-cause groups per fault"
            if name == "ours"
            else f"only {s['new_vs_reference']} with a failure or error the reference run did not have"
        )
        out.append(
            f"{name}: killed {s['killed']}/{s['total']} ({extra}); false positive on reference: "
            f"{'yes' if s['false_positive_on_reference'] else 'no'}; fault exercised by its traffic: "
            f"{s['exercised']}/{s['total']}; median first diverging request: {s['median_first_divergence']}; "
            f"median {s['median_s']} s per server, {s['total_s']} s in all; {s['requests']} requests in all"
        )
    return out


def machine() -> dict[str, str]:
    return {
        "date": subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip(),
        "nproc": str(os.cpu_count())
        if not shutil.which("nproc")
        else subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def markdown(
    results: Sequence[ServerResult],
    t: dict[str, Any],
    facts: dict[str, str],
    wall: float,
    jobs: int,
    variants: Sequence[VariantResult] = (),
) -> str:
    from importlib.metadata import version

    header = "| " + " | ".join(HEADER) + " |"
    rule = "|" + "|".join("---" if i == 0 else "---:" for i in range(len(HEADER))) + "|"
    lines = [
        BEGIN,
        f"Measured {facts['date']} on {facts['nproc']} CPU(s), {facts['arch']}, Python {facts['python']}, "
        f"schemathesis {version('schemathesis')}; {len(results)} servers, {jobs} at a time, {wall:.0f} s wall in all "
        f"(load average at the start: {facts['load']}).",
        "Regenerate with `python -m tests.bench.mutation` (`tox -e mutation`).",
        "",
        "Totals:",
        "",
        *(f"- {line}" for line in totals_lines(t)),
        "",
        header,
        rule,
        *("| " + " | ".join(row) + " |" for row in rows(results)),
        "",
    ]
    reference = next((r for r in results if r.server == "reference"), None)
    for attr, title in (("st", "Schemathesis (defaults)"), ("stc", "Schemathesis --continue-on-failure")):
        base = set(getattr(reference, attr).signature) if reference else set()
        lines += [
            f"{title}: failures (operation and ST code) and errors per server; `+` marks one the reference "
            "run did not have:",
            "",
        ]
        for r in results:
            run = getattr(r, attr)
            marks = [f"{'+' if f not in base and r.server != 'reference' else ''}{f}" for f in run.signature]
            note = f" ({run.note})" if run.note else ""
            lines.append(f"- `{r.server}`: {', '.join(marks) or 'none'}{note}")
        lines.append("")
    if variants:
        lines += [
            "Conformant variants (this suite only; each must exit 0 with no fail finding):",
            "",
            *(f"- {line.strip()}" for line in variant_lines(variants)),
            "",
        ]
    lines += [
        "Our findings per server (family::check) of the fault's expected verdict (`fail`, or `warn` for a "
        "warn-fault): how many name the fault's rule (`caught_by`), the first few of them, and how many "
        "others (the same broken answer judged by another check):",
        "",
    ]
    for r in results:
        fault = FAULTS.get(r.server)
        named, other = [], []
        expected = r.ours.warns if fault is not None and fault.expect == "warn" else r.ours.failures
        for f in expected:
            key = f.split(" ", 1)[0]
            family, check = key.split("::", 1)
            hit = fault is not None and fault.covers(family, check, r.ours.rules.get(key))
            (named if hit else other).append(f)
        note = f" ({r.ours.note})" if r.ours.note else ""
        if not expected:
            lines.append(f"- `{r.server}`: none{note}")
            continue
        more = f" (+{len(named) - 3} more)" if len(named) > 3 else ""
        lines.append(
            f"- `{r.server}`: {len(named)} named: {', '.join(named[:3]) or '-'}{more}; {len(other)} other{note}"
        )
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_docs(section: str, begin: str = BEGIN, end: str = END, heading: str = "Mutation score") -> None:
    write_section(section, begin, end, heading)


STABILITY_BEGIN, STABILITY_END = "<!-- stability:begin -->", "<!-- stability:end -->"


def stability(faults: Sequence[Fault | None], repeat: int, jobs: int) -> str:
    """This suite alone, `repeat` times per server: are verdict, kill and findings identical?"""
    token = secrets.token_hex(8)
    started = time.perf_counter()
    lines = [
        STABILITY_BEGIN,
        f"Measured {time.strftime('%a %b %d %H:%M:%S UTC %Y', time.gmtime())}: this suite's ci tier, "
        f"{repeat} consecutive runs per server, {len(faults)} servers.",
        "Regenerate with `python -m tests.bench.mutation --repeat 5`.",
        "",
    ]
    unstable = []

    def outcomes(fault: Fault | None) -> tuple[str, list[tuple[Any, ...]]]:
        name = fault.name if fault else "reference"
        runs = [run_ours(fault, token) for _ in range(repeat)]
        return name, [(r.exit_code, r.killed, tuple(sorted(r.failures))) for r in runs]

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for name, seen in pool.map(outcomes, faults):
            same = all(o == seen[0] for o in seen)
            print(f"{name}: {'identical' if same else 'DIFFERENT'} over {repeat} runs (exit {seen[0][0]})", flush=True)
            if not same:
                unstable.append(name)
    verdict = "identical in every run" if not unstable else f"different for {', '.join(unstable)}"
    lines.append(
        f"Exit code, kill and the set of failing findings per server: **{verdict}** "
        f"({len(faults) - len(unstable)}/{len(faults)} servers stable; {time.perf_counter() - started:.0f} s wall)."
    )
    lines.append(STABILITY_END)
    print(lines[-2])
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.mutation", description=__doc__.split("\n")[0])
    parser.add_argument("--faults", help="comma-separated fault names (default: every fault)")
    parser.add_argument(
        "--variants", help="comma-separated variant names, or `all` (default: all in a full sweep, none with --faults)"
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the reference server")
    parser.add_argument("--jobs", type=int, default=2, help="servers measured at once (default 2)")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md even for a subset")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--json", type=Path, help="also write every measurement as JSON here")
    parser.add_argument(
        "--repeat", type=int, metavar="N", help="stability: run only this suite N times per server and compare"
    )
    parser.add_argument(
        "--render", type=Path, metavar="JSON", help="re-render docs from a --json file, measure nothing"
    )
    args = parser.parse_args(argv)

    if args.render:
        saved = json.loads(args.render.read_text(encoding="utf-8"))
        results = [
            ServerResult(r["server"], *(ToolRun(**r[attr]) for attr in ("ours", "st", "stc"))) for r in saved["results"]
        ]
        variants = [VariantResult(v["variant"], ToolRun(**v["ours"])) for v in saved.get("variants", [])]
        t = totals(results, variants)
        write_docs(markdown(results, t, saved["facts"], saved["wall"], saved["jobs"], variants))
        print(f"wrote {DOCS.relative_to(ROOT)}")
        return 0

    if args.faults:
        names = [n.strip() for n in args.faults.split(",") if n.strip()]
        unknown = [n for n in names if FAULTS.get(n) is None]
        if unknown:
            parser.error(f"unknown fault(s): {', '.join(unknown)}")
        faults: list[Fault | None] = [FAULTS[n] for n in names]
    else:
        faults = list(FAULTS)
    if not args.no_reference:
        faults.insert(0, None)
    chosen = args.variants if args.variants is not None else ("" if args.faults else "all")
    if chosen == "all":
        variants = list(VARIANTS)
    else:
        wanted = [n.strip() for n in chosen.split(",") if n.strip()]
        unknown = [n for n in wanted if VARIANTS.get(n) is None]
        if unknown:
            parser.error(f"unknown variant(s): {', '.join(unknown)}")
        variants = [VARIANTS[n] for n in wanted]

    if args.repeat:
        section = stability(faults, args.repeat, args.jobs)
        if not args.faults and not args.no_reference and not args.no_write:
            write_docs(section, STABILITY_BEGIN, STABILITY_END, "Stability")
            print(f"wrote {DOCS.relative_to(ROOT)}")
        return 0

    facts = machine()
    started = time.perf_counter()
    results: list[ServerResult] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for result in pool.map(measure, faults):
            results.append(result)
            o, s = result.ours, result.st
            c = result.stc
            print(
                f"[{len(results)}/{len(faults)}] {result.server}: ours exit {o.exit_code} {o.seconds:.1f}s "
                f"{o.requests} req; st exit {s.exit_code} {s.seconds:.1f}s {s.requests} req; "
                f"st+cof exit {c.exit_code} {c.seconds:.1f}s {c.requests} req",
                flush=True,
            )
        variant_results: list[VariantResult] = []
        for done in pool.map(measure_variant, variants):
            variant_results.append(done)
            print(
                f"[variant {len(variant_results)}/{len(variants)}] {done.variant}: "
                f"{'pass' if done.passed else 'FALSE POSITIVE'} exit {done.ours.exit_code} {done.ours.seconds:.1f}s",
                flush=True,
            )
    wall = time.perf_counter() - started

    reference = next((r for r in results if r.server == "reference"), None)
    for attr in ("st", "stc"):
        base = set(getattr(reference, attr).signature) if reference else set()
        for r in results:
            getattr(r, attr).new_failure = bool(set(getattr(r, attr).signature) - base)

    t = totals(results, variant_results)
    print()
    if results:
        print(text_table(results))
        print()
    for line in totals_lines(t):
        print(line)
    for line in variant_lines(variant_results):
        print(line)
    print(f"wall time for the sweep: {wall:.0f} s")
    if args.json:
        saved = {
            "results": [asdict(r) for r in results],
            "variants": [{"variant": v.variant, "ours": asdict(v.ours)} for v in variant_results],
            "totals": t,
            "facts": facts,
            "wall": wall,
            "jobs": args.jobs,
        }
        args.json.write_text(json.dumps(saved, indent=2) + "\n")
    full = not args.faults and not args.no_reference
    if (full or args.write) and not args.no_write:
        write_docs(markdown(results, t, facts, wall, args.jobs, variant_results))
        print(f"wrote {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
