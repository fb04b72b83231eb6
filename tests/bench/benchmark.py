"""Speed of a run, each figure measured against its yardstick in the same invocation.

    python -m tests.bench.benchmark [--runs 3] [--mock-requests 2000] [--nightly] [--write]

1. The `ci` tier against the embedded mock (case cache warm, the default), `--runs` times, each a
   fresh process, next to a raw loop: a fresh process that starts the same mock and sends the same
   requests (the cached cases' bodies) over one keep-alive httpx connection. Wall time includes
   interpreter start-up and imports on both sides; the ratio is what the suite costs over the wire.
2. The `ci` tier against a mock 30 ms away (`mock --latency 0.03`, a separate process): one request
   at a time (`--concurrency 1`) and the default (`--concurrency 8`, cases sent ahead).
3. With `--nightly`: the nightly tier against a mock 100 ms away (no cache: the nightly tier draws).
4. The reference mock alone: one keep-alive client, in a separate process and in the client's own
   process (where client and server share the GIL); requests per second and p50/p99 latency.
5. The cost of a diff run: `faxplus-conformance diff` (the embedded mock as the candidate, a reference
   mock served by this process) against a plain run, `--runs` times each, interleaved; the ratio of the
   median wall times (`--diff-only` measures just this).

Targets (issue 10, 2-core machine): embedded ≤ 1.5 s and ≤ 3x the raw loop; 30 ms server ≤ 4 s;
100 ms nightly ≤ 60 s. Nothing is asserted: timings depend on the machine and on what else runs.
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


def suite_run(
    *args: str, cache: Path | None = None, reference: MockServer | None = None
) -> tuple[float, int, float, str]:
    """One `run` in a fresh process: (wall seconds, requests, suite-reported seconds, verdict).

    With a `reference`: `diff --reference-url` instead; requests then count both sides."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("FAXPLUS_TOKEN", "FAXPLUS_CLIENT_ID")}
        cmd = [sys.executable, "-m", "conformance", "run", "--no-html", "--output-dir", tmp, *args]
        if reference is not None:
            cmd[3:4] = ["diff", "--reference-url", reference.url]
            env["FAXPLUS_REFERENCE_TOKEN"] = reference.token
        cmd += ["--cache-dir", str(cache)] if cache else ["--no-case-cache"]
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, timeout=1800)
        wall = time.perf_counter() - started
        summary_file = Path(tmp) / "summary.json"
        if not summary_file.is_file():
            raise SystemExit(f"run failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
    requests = int(summary["requests"]) + int((summary.get("divergences") or {}).get("requests", 0))
    return wall, requests, float(summary["duration_s"]), summary["verdict"]


def diff_cost(runs: int, cache: Path) -> tuple[list[tuple[str, ...]], float]:
    """Plain and diff runs, interleaved so that load drifts hit both: (table rows, diff/plain ratio)."""
    plain: list[float] = []
    diffs: list[float] = []
    rows: list[tuple[str, ...]] = []
    with MockServer(token=secrets.token_urlsafe(16)) as reference:
        for i in range(1, runs + 1):
            for name, walls, ref in (("run", plain, None), ("diff", diffs, reference)):
                wall, requests, _, _ = suite_run("--tier", "ci", cache=cache, reference=ref)
                walls.append(wall)
                rows.append((f"{name} {i}", f"{wall:.2f}", str(requests)))
                print(f"{name} {i}: {wall:.2f} s wall, {requests} requests", flush=True)
    ratio = statistics.median(diffs) / statistics.median(plain)
    rows += [
        ("median run", f"{statistics.median(plain):.2f}", ""),
        ("median diff", f"{statistics.median(diffs):.2f}", ""),
    ]
    return rows, ratio


RAW_LOOP = """
import json, sys, time, httpx
from conformance.mock import MockServer
bodies = json.load(open(sys.argv[1]))
with MockServer(token="t") as mock, httpx.Client(headers={"Authorization": "Bearer t"}) as client:
    for body, media_type in bodies:
        client.post(mock.url + "/hooks", content=body.encode("latin-1"), headers={"Content-Type": media_type})
"""


def raw_loop(cache: Path) -> tuple[float, int]:
    """A fresh process sending the cached cases' bodies to the embedded mock, one after another."""
    from conformance.contract import vendored
    from conformance.suite._cases import Record
    from conformance.suite._operation import operation_of

    (stored,) = cache.glob("cases-*.json")
    bodies = []
    for records in json.loads(stored.read_text(encoding="utf-8"))["tests"].values():
        for data in records:
            case, how = Record.decode(data, "run-00000000.example.com").request(operation_of(vendored()))
            kwargs = case.as_transport_kwargs(base_url="http://x")
            body = how.get("body", kwargs.get("data") or json.dumps(kwargs.get("json")).encode())
            media = how.get("content_type") or case.media_type or "application/json"
            bodies.append(((body or b"").decode("latin-1"), media))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump(bodies, out)
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", RAW_LOOP, out.name], check=True, timeout=600, cwd=ROOT)
        return time.perf_counter() - started, len(bodies)
    finally:
        os.unlink(out.name)


def distant_mock(latency: float) -> tuple[subprocess.Popen[str], str, str]:
    """`faxplus-conformance mock --latency S` in a separate process: (process, base URL, token)."""
    token = secrets.token_urlsafe(16)
    port = _free_port()
    cmd = [sys.executable, "-m", "conformance", "mock", "--port", str(port), f"--token={token}"]
    cmd += ["--latency", str(latency)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if "reference mock on" not in line:
        proc.kill()
        raise SystemExit(f"the mock did not start: {line}")
    return proc, f"http://127.0.0.1:{port}/v3", token


def against(latency: float, *args: str, cache: Path | None) -> tuple[float, int, float, str]:
    proc, url, token = distant_mock(latency)
    try:
        return suite_run("--base-url", url, f"--token={token}", *args, cache=cache)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
    cmd = [sys.executable, "-m", "conformance", "mock", "--port", str(port), f"--token={token}"]
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
        f"benchmark's process) against a plain `run`, {runs} of each, interleaved, case cache warm; requests "
        "count both sides:",
        "",
        *markdown_table(header, rows),
        "",
        f"**A diff run costs {ratio:.2f}× a plain run**: generation and judging are shared; the reference adds "
        "one request, the checks and a comparison per case, and a diff sends every case from the run's own "
        "process, when its test sends it (a plain run replays its recorded cases through the Courier).",
        DIFF_END,
    ]
    write_section("\n".join(diff_section) + "\n", DIFF_BEGIN, DIFF_END, "Cost of a diff run")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="suite runs (default 3)")
    parser.add_argument("--mock-requests", type=int, default=2000, help="requests per mock measurement (default 2000)")
    parser.add_argument("--nightly", action="store_true", help="also the nightly tier against a 100 ms server")
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

    cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    suite_run("--tier", "ci", cache=cache)  # fills the case cache, as any earlier run would have
    diff_header = ("run", "wall s", "requests")
    if args.diff_only:
        diff_rows, ratio = diff_cost(args.runs, cache)
        print("\n".join(table(diff_header, diff_rows)))
        print(f"a diff run costs {ratio:.2f}x a plain run")
        if args.write:
            write_diff_docs(facts, args.runs, diff_header, diff_rows, ratio)
        return 0
    suite_header = ("run", "wall s", "suite s", "requests", "raw loop s", "ratio", "verdict")
    suite_rows = []
    walls, ratios = [], []
    for i in range(1, args.runs + 1):
        wall, requests, duration, verdict = suite_run("--tier", "ci", cache=cache)
        raw, _ = raw_loop(cache)
        walls.append(wall)
        ratios.append(wall / raw)
        suite_rows.append(
            (str(i), f"{wall:.2f}", f"{duration:.2f}", str(requests), f"{raw:.2f}", f"{wall / raw:.1f}x", verdict)
        )
        print(f"embedded run {i}: {wall:.2f} s wall, {requests} requests; raw loop {raw:.2f} s", flush=True)
    suite_rows.append(
        ("median", f"{statistics.median(walls):.2f}", "", "", "", f"{statistics.median(ratios):.1f}x", "")
    )

    far_header = ("server", "tier", "concurrency", "wall s", "requests", "verdict")
    far_rows = []
    for label, latency, tier, concurrency in (
        ("30 ms away", 0.03, "ci", "1"),
        ("30 ms away", 0.03, "ci", "8"),
        # 16 is the nightly tier's default; 8 (the ci tier's) for comparison.
        *((("100 ms away", 0.1, "nightly", "16"), ("100 ms away", 0.1, "nightly", "8")) if args.nightly else ()),
    ):
        extra = ("--seed", "1") if tier == "nightly" else ()
        wall, requests, _, verdict = against(
            latency, "--tier", tier, "--concurrency", concurrency, *extra, cache=cache if tier == "ci" else None
        )
        far_rows.append((label, tier, concurrency, f"{wall:.2f}", str(requests), verdict))
        print(f"{label}, {tier}, concurrency {concurrency}: {wall:.2f} s wall, {requests} requests", flush=True)

    mock_header = ("reference mock", "requests", "req/s", "p50 ms", "p99 ms")
    mock_rows = []
    for name, fn in (("separate process", mock_out_of_process), ("same process as client", mock_in_process)):
        rps, p50, p99 = fn(args.mock_requests)
        mock_rows.append((name, str(args.mock_requests), f"{rps:.0f}", f"{p50:.2f}", f"{p99:.2f}"))
        print(f"mock ({name}): {rps:.0f} req/s", flush=True)

    print()
    print("\n".join(table(suite_header, suite_rows)))
    print()
    print("\n".join(table(far_header, far_rows)))
    diff_rows, ratio = diff_cost(args.runs, cache)

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
            "each a fresh process with the case cache warm (the default after any first run), next to a raw "
            "loop: a fresh process that starts the same mock and sends the same requests over one keep-alive "
            "httpx connection. Wall times include start-up and imports on both sides:",
            "",
            *markdown_table(suite_header, suite_rows),
            "",
            "Against a mock in a separate process that answers every request S seconds late "
            "(`faxplus-conformance mock --latency S`), same case cache:",
            "",
            *markdown_table(far_header, far_rows),
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
