"""Where the test tier's time goes: CPU and wall seconds per test, across pytest-xdist workers.

    CPU_PER_TEST=/tmp/cpu pytest -p tests.bench.cpu_per_test -n auto -q -m "not system"
    python -m tests.bench.cpu_per_test /tmp/cpu [--top 30]

The tier is CPU-bound on two cores (the sum of its tests' CPU over the cores is close to its wall
time), so a test's CPU, not its wall time, is what it costs the tier. CPU counts this process and
the children it has waited for (the CLI subprocesses, the embedded mock, the Courier), as
`getrusage` does; a child still running when the test ends is not counted. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from collections import defaultdict
from collections.abc import Generator
from pathlib import Path

import pytest

_ROWS: list[tuple[str, float, float]] = []


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    cpu, wall = _cpu(), time.monotonic()
    yield
    _ROWS.append((item.nodeid, _cpu() - cpu, time.monotonic() - wall))


def pytest_sessionfinish(session: pytest.Session) -> None:
    folder = os.environ.get("CPU_PER_TEST")
    if folder and _ROWS:
        Path(folder).mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (Path(folder) / f"{worker}.json").write_text(json.dumps(_ROWS), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    rows = [tuple(row) for path in sorted(args.folder.glob("*.json")) for row in json.loads(path.read_text())]
    print(f"{len(rows)} tests: {sum(r[1] for r in rows):.0f} s CPU, {sum(r[2] for r in rows):.0f} s wall")
    print("\nCPU s  wall s  test")
    for nodeid, cpu, wall in sorted(rows, key=lambda r: -r[1])[: args.top]:
        print(f"{cpu:5.1f} {wall:7.1f}  {nodeid}")
    per_module: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for nodeid, cpu, wall in rows:
        entry = per_module[str(nodeid).split("::")[0]]
        entry[0], entry[1], entry[2] = entry[0] + cpu, entry[1] + wall, entry[2] + 1
    print("\nCPU s  wall s  tests  module")
    for module, (cpu, wall, count) in sorted(per_module.items(), key=lambda kv: -kv[1][0])[: args.top]:
        print(f"{cpu:5.1f} {wall:7.1f}  {count:5.0f}  {module}")


if __name__ == "__main__":
    main()
