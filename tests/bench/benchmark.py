"""Speed of the `ci` tier and of the reference mock.

    python -m tests.bench.benchmark [--runs 3] [--mock-requests 2000] [--write]

1. `faxplus-conformance run --no-html --tier ci` against the embedded mock, `--runs` times, each in
   a fresh process: wall time including interpreter start-up and imports, requests sent (from
   summary.json), requests per second.
2. The reference mock alone: one keep-alive httpx client sends `--mock-requests` registrations of
   a valid Webhook, once to a mock served by a separate process (`faxplus-conformance mock`) and
   once to a mock served in this process (client and server share the GIL); requests per second
   and p50/p99 latency.

3. The cost of a diff run: `faxplus-conformance diff` (the embedded mock as the candidate, a reference
   mock served by this process) against a plain run, `--runs` times each, interleaved; the ratio of
   the median wall times.

Nothing is asserted: timings depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # `python tests/bench/benchmark.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx

from conformance.mock import MockServer
from tests.bench._docs import DOCS, write_section

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- speed:begin -->", "<!-- speed:end -->"
DIFF_BEGIN, DIFF_END = "<!-- diff-speed:begin -->", "<!-- diff-speed:end -->"
WEBHOOK = {"target": "https://example.com/fax-hook", "event": "fax_received", "numbers": ["+12135550123"]}


def suite_run(reference: MockServer | None = None) -> tuple[float, int, float, str]:
    """One `run --tier ci` in a fresh process: (wall seconds, requests, suite-reported seconds, verdict).

    With a `reference`: `diff --reference-url` it instead; requests then count both sides."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("FAXPLUS_TOKEN", "FAXPLUS_CLIENT_ID")}
        cmd = [sys.executable, "-m", "conformance", "run", "--no-html", "--tier", "ci", "--output-dir", tmp]
        if reference is not None:
            cmd[3:4] = ["diff", "--reference-url", reference.url]
            env["FAXPLUS_REFERENCE_TOKEN"] = reference.token
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, timeout=900)
        wall = time.perf_counter() - started
        summary_file = Path(tmp) / "summary.json"
        if not summary_file.is_file():
            raise SystemExit(f"run failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
    requests = int(summary["requests"]) + int((summary.get("divergences") or {}).get("requests", 0))
    return wall, requests, float(summary["duration_s"]), summary["verdict"]


def diff_cost(runs: int) -> tuple[list[tuple[str, ...]], float]:
    """Plain and diff runs, interleaved so that load drifts hit both: (table rows, diff/plain ratio)."""
    plain, diffs, rows = [], [], []
    with MockServer(token=secrets.token_urlsafe(16)) as reference:
        for i in range(1, runs + 1):
            for name, walls, ref in (("run", plain, None), ("diff", diffs, reference)):
                wall, requests, _, _ = suite_run(ref)
                walls.append(wall)
                rows.append((f"{name} {i}", f"{wall:.2f}", str(requests)))
                print(f"{name} {i}: {wall:.2f} s wall, {requests} requests", flush=True)
    ratio = statistics.median(diffs) / statistics.median(plain)
    rows += [
        ("median run", f"{statistics.median(plain):.2f}", ""),
        ("median diff", f"{statistics.median(diffs):.2f}", ""),
    ]
    return rows, ratio


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def hammer(base_url: str, token: str, n: int) -> tuple[float, float, float]:
    """`n` POST /hooks over one keep-alive connection: (requests/s, p50 ms, p99 ms)."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        for _ in range(20):  # warm-up: connection, imports, caches
            client.post("/hooks", json=WEBHOOK)
        started = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()
            response = client.post("/hooks", json=WEBHOOK)
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise SystemExit(f"the mock answered {response.status_code}: {response.text[:200]}")
        elapsed = time.perf_counter() - started
    return n / elapsed, _percentile(latencies, 50) * 1000, _percentile(latencies, 99) * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mock_in_process(n: int) -> tuple[float, float, float]:
    token = secrets.token_urlsafe(16)
    with MockServer(token=token) as mock:
        return hammer(mock.url, token, n)


def mock_out_of_process(n: int) -> tuple[float, float, float]:
    token = secrets.token_urlsafe(16)
    port = _free_port()
    cmd = [sys.executable, "-m", "conformance", "mock", "--port", str(port), "--token", token]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""  # "reference mock on http://…/v3 …" once listening
        if "reference mock on" not in line:
            raise SystemExit(f"the mock did not start: {line}")
        return hammer(f"http://127.0.0.1:{port}/v3", token, n)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def machine() -> dict[str, str]:
    return {
        "date": subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip(),
        "nproc": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count()),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def write_docs(section: str) -> None:
    write_section(section, BEGIN, END, "Speed")


def write_diff_docs(
    facts: dict[str, str], runs: int, header: Sequence[str], rows: Sequence[Sequence[str]], ratio: float
) -> None:
    diff_section = [
        DIFF_BEGIN,
        f"Measured {facts['date']} on {facts['nproc']} CPU(s) (load average at the start: {facts['load']}).",
        "Regenerate with `python -m tests.bench.benchmark --diff-only --write`.",
        "",
        "`faxplus-conformance diff` (the embedded mock as the candidate, a reference mock served by the "
        f"benchmark's process) against a plain `run`, {runs} of each, interleaved; requests count both sides:",
        "",
        *markdown_table(header, rows),
        "",
        f"**A diff run costs {ratio:.2f}× a plain run**: generation and judging dominate, and they are shared;"
        " the reference adds one request, the checks and a comparison per case.",
        DIFF_END,
    ]
    write_section("\n".join(diff_section) + "\n", DIFF_BEGIN, DIFF_END, "Cost of a diff run")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="suite runs (default 3)")
    parser.add_argument("--mock-requests", type=int, default=2000, help="requests per mock measurement (default 2000)")
    parser.add_argument("--diff-only", action="store_true", help="only the cost of a diff run against a plain run")
    parser.add_argument("--write", action="store_true", help="update the speed section of docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.mock_requests < 1:
        parser.error("--runs and --mock-requests must be at least 1")

    facts = machine()
    print(
        f"{facts['date']} · {facts['nproc']} CPU(s) · {facts['arch']} · Python {facts['python']} · "
        f"load {facts['load']}",
        flush=True,
    )

    diff_header = ("run", "wall s", "requests")
    if args.diff_only:
        diff_rows, ratio = diff_cost(args.runs)
        print("\n".join(table(diff_header, diff_rows)))
        print(f"a diff run costs {ratio:.2f}x a plain run")
        if args.write:
            write_diff_docs(facts, args.runs, diff_header, diff_rows, ratio)
        return 0

    suite_header = ("run", "wall s", "suite s", "requests", "req/s (wall)", "verdict")
    suite_rows = []
    walls, rates = [], []
    for i in range(1, args.runs + 1):
        wall, requests, duration, verdict = suite_run()
        walls.append(wall)
        rates.append(requests / wall)
        suite_rows.append((str(i), f"{wall:.2f}", f"{duration:.2f}", str(requests), f"{requests / wall:.0f}", verdict))
        print(f"run {i}: {wall:.2f} s wall, {requests} requests", flush=True)
    suite_rows.append(("median", f"{statistics.median(walls):.2f}", "", "", f"{statistics.median(rates):.0f}", ""))

    mock_header = ("reference mock", "requests", "req/s", "p50 ms", "p99 ms")
    mock_rows = []
    for name, fn in (("separate process", mock_out_of_process), ("same process as client", mock_in_process)):
        rps, p50, p99 = fn(args.mock_requests)
        mock_rows.append((name, str(args.mock_requests), f"{rps:.0f}", f"{p50:.2f}", f"{p99:.2f}"))
        print(f"mock ({name}): {rps:.0f} req/s", flush=True)

    diff_rows, ratio = diff_cost(args.runs)

    print()
    print("\n".join(table(suite_header, suite_rows)))
    print()
    print("\n".join(table(diff_header, diff_rows)))
    print(f"a diff run costs {ratio:.2f}x a plain run")
    print()
    print("\n".join(table(mock_header, mock_rows)))

    if args.write:
        lines = [
            BEGIN,
            f"Measured {facts['date']} on {facts['nproc']} CPU(s), {facts['arch']}, Python {facts['python']} "
            f"(load average at the start: {facts['load']}).",
            "Regenerate with `python -m tests.bench.benchmark --write` (`tox -e bench -- --write`).",
            "",
            f"`faxplus-conformance run --no-html --tier ci` against the embedded mock, {args.runs} runs, "
            "each a fresh process (wall time includes start-up and imports; `suite s` is summary.json "
            "`duration_s`):",
            "",
            *markdown_table(suite_header, suite_rows),
            "",
            f"The reference mock alone: one keep-alive httpx client, {args.mock_requests} valid registrations "
            "(`POST /hooks`) after 20 warm-up requests:",
            "",
            *markdown_table(mock_header, mock_rows),
            END,
        ]
        section = "\n".join(lines) + "\n"
        write_docs(section)
        write_diff_docs(facts, args.runs, diff_header, diff_rows, ratio)
        print(f"wrote {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
