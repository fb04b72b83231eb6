"""The Allure HTML report of a real failing run, opened in headless browsers.

One `faxplus-conformance run` against the mock with one fault (an empty `numbers` list is accepted)
builds the report. The served folder is driven in Chromium (Playwright) like a reader would: the totals
shown, the failing test, its request / response / curl attachments, and no fetch leaves this machine.
The one file whose path a default run prints is opened from file:// in Chromium, Firefox and WebKit
(Safari's engine), each of which must show the findings, not a spinner (tests/browsers.py).

Uses Debian's browsers (`apt-get install chromium firefox-esr webkit2gtk-driver xvfb`, what
`tox -e system` installs on first use), never a browser downloaded by `playwright install`; an engine
that is not installed is skipped with the reason.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from helpers.browsers import CHROMIUM, CHROMIUM_ARGS, ENGINES, Engine
from tiers import SYSTEM

from conformance.mock import FAULTS, MockServer

FAULT = "numbers-min-items-ignored"
FAILING_FAMILY = "numbers-empty"
TOKEN = "browser-test-token-7c1e9a"
LOCAL_HOST = "127.0.0.1"
TIMEOUT_MS = 15_000

pytestmark = SYSTEM  # the browsers and the Allure HTML build: `tox -e system`
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason=f"{CHROMIUM} not found: install Debian's Chromium (apt-get install chromium)"
)


def run_against_the_faulty_mock(out: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """`faxplus-conformance run` (HTML included) against a mock with FAULT, writing to `out`; the
    finished process and the mock's URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAXPLUS_")}
    with MockServer(port=0, token=TOKEN, fault=FAULTS[FAULT]) as mock:
        proc = subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--base-url", mock.url, "--output-dir", str(out), *extra],
            env={**env, "FAXPLUS_TOKEN": TOKEN},
            capture_output=True,
            text=True,
            timeout=300,  # a safety net against a hung child
        )
    return proc, mock.url


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Output folder of one CLI run against the faulty mock (HTML included), and the mock's URL."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: the Allure HTML report cannot be built")
    out = tmp_path_factory.mktemp("browser-run")
    # The folder layout, served over HTTP (test_report_in_chromium reads its html/summary.json).
    proc, url = run_against_the_faulty_mock(out, "--multi-file")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, f"expected a contract violation (exit 1):\n{output}"
    assert (out / "html" / "index.html").is_file(), f"no HTML report was built:\n{output}"
    return out, url


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """`folder` over HTTP on 127.0.0.1 (a report's data is fetched, which file:// does not allow); its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, name="folder-http", daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def served(faulty_run: tuple[Path, str]) -> Iterator[str]:
    """The report's index.html, served."""
    with serve_folder(faulty_run[0] / "html") as base:
        yield f"{base}/index.html"


# Resolves with the CSP directive that refused the fetch, or says how the fetch ended without one.
REFUSED_FETCH = """url => new Promise(resolve => {
    document.addEventListener("securitypolicyviolation", e => resolve(e.effectiveDirective), {once: true});
    fetch(url).then(
        () => resolve("fetched: no policy refused it"),
        () => setTimeout(() => resolve("failed on the network: no policy refused it"), 2000),
    );
})"""


def allure_statuses(results: Path) -> collections.Counter[str]:
    return collections.Counter(
        json.loads(path.read_text(encoding="utf-8"))["status"] for path in results.glob("*-result.json")
    )


def shown_count(page: Any, item: str) -> int:
    """The number in one of the report's totals (Total / Failed / Passed ...)."""
    return int(page.get_by_test_id(f"metadata-item-{item}").get_by_test_id("metadata-value").inner_text().strip())


@needs_chromium
def test_report_in_chromium(faulty_run: tuple[Path, str], served: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    out, mock_url = faulty_run
    statuses = allure_statuses(out / "allure-results")
    stats = json.loads((out / "html" / "summary.json").read_text(encoding="utf-8"))["stats"]
    run_summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    failing_families = sorted(name for name, counts in run_summary["families"].items() if counts["fail"])
    # The run's own records agree before the browser is asked: one failing test per failing family, each the
    # numbers-empty family (on the default path, and on each other path it is sent on: `numbers-empty@PATH`).
    assert statuses["failed"] == stats["failed"] == len(failing_families) > 0, (statuses, stats, failing_families)
    assert {name.split("@")[0] for name in failing_families} == {FAILING_FAMILY}, failing_families
    assert sum(statuses.values()) == stats["total"]
    assert (out / "allure-results" / "environment.properties").is_file()

    requests: list[str] = []
    page_errors: list[str] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh profile
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            service_workers="block",
        )
        try:
            context.set_default_timeout(TIMEOUT_MS)
            context.on("request", lambda request: requests.append(request.url))  # every page and worker
            page = context.new_page()
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.goto(served)

            # Totals shown = what Allure wrote = the allure results on disk.
            expect(page.get_by_test_id("metadata-item-total")).to_be_visible()
            assert shown_count(page, "total") == stats["total"] == sum(statuses.values())
            assert shown_count(page, "failed") == statuses["failed"]
            assert shown_count(page, "passed") == statuses["passed"]
            leaves = page.get_by_test_id("tree-leaf")
            expect(leaves).to_have_count(sum(statuses.values()))
            failed_leaves = leaves.filter(has=page.get_by_test_id("tree-leaf-status-failed"))
            expect(failed_leaves).to_have_count(statuses["failed"])
            # Broken rules first: the report opens sorted by status, failures on top.
            expect(leaves.first.get_by_test_id("tree-leaf-status-failed")).to_be_visible()

            # The run's environment (conformance.report.allure_context) is shown, without credentials.
            metadata = page.get_by_test_id("metadata-list").inner_text()
            assert "Base URL" in metadata and mock_url in metadata, metadata

            # The failing test: its error names the finding, its attachments are request / response / curl.
            failing = failed_leaves.filter(has_text=f"{FAILING_FAMILY}:")
            expect(failing).to_have_count(1)
            failing.click()
            expect(page.get_by_test_id("test-result-status-failed")).to_be_visible()
            expect(page.get_by_test_id("test-result-error-message").first).to_contain_text(
                f"[{FAILING_FAMILY} :: status]"
            )
            page.get_by_test_id("test-result-tab-attachments").click()
            headers = page.get_by_test_id("test-result-attachment-header")
            expect(headers.first).to_be_visible()
            names = {line.strip() for text in headers.all_inner_texts() for line in text.splitlines()}
            assert {"request", "response", "curl"} <= names, names

            # Opening the curl attachment fetches it from the report; the token stays out of it.
            curl = headers.filter(has_text="curl").first
            curl.locator("button").first.click()
            attachment = page.get_by_test_id("test-result-attachment").filter(has_text="curl").first
            expect(attachment).to_contain_text('"numbers": []')
            expect(attachment).to_contain_text("$FAXPLUS_TOKEN")
            assert TOKEN not in page.content()

            # The policy itself refuses other origins, not only the removed analytics tag: a fetch to another
            # origin on this host (a bound, never listening port) is stopped by the browser before it connects.
            with socket.socket() as closed:
                closed.bind((LOCAL_HOST, 0))
                refused = page.evaluate(REFUSED_FETCH, f"http://{LOCAL_HOST}:{closed.getsockname()[1]}/probe")
            assert refused in ("connect-src", "default-src"), refused
        finally:
            context.close()

    assert not page_errors, page_errors
    assert requests, "the page made no requests at all"
    elsewhere = [
        url
        for url in requests
        if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).hostname != LOCAL_HOST
    ]
    assert not elsewhere, f"the report fetched from other hosts: {elsewhere}"


class _Counting(http.server.BaseHTTPRequestHandler):
    """Counts the requests that reach it (a stand-in for any other host the report must never reach)."""

    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def elsewhere() -> Iterator[tuple[int, list[str]]]:
    """Another origin on this machine (`localhost`, not 127.0.0.1) and the paths it was asked for."""
    hits: list[str] = []
    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), type("Counter", (_Counting,), {"hits": hits}))
    thread = threading.Thread(target=server.serve_forever, name="elsewhere-http", daemon=True)
    thread.start()
    try:
        yield server.server_port, hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@needs_chromium
@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "unsealed-control"])
def test_the_policy_stops_a_fetch_to_another_origin(
    elsewhere: tuple[int, list[str]], sealed: bool, tmp_path: Path
) -> None:
    """The Content-Security-Policy itself (not the analytics removal) stops any other origin; inline script still runs.

    The unsealed control proves the page really would reach the other origin without the policy.
    """
    from playwright.sync_api import sync_playwright

    from conformance.report import offline

    port, hits = elsewhere
    other = f"http://localhost:{port}"
    page_text = (
        "<html><head></head><body>"
        f'<img src="{other}/img"><script>document.title = "ran";'
        f'fetch("{other}/fetch").catch(() => null).finally(() => {{ document.title = "done"; }});</script>'
        "</body></html>"
    )
    (tmp_path / "index.html").write_text(offline.seal_html(page_text) if sealed else page_text, encoding="utf-8")

    with serve_folder(tmp_path) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/index.html", wait_until="load")
            page.wait_for_function("document.title === 'done'", timeout=TIMEOUT_MS)  # the inline script ran
        finally:
            browser.close()
    if sealed:
        assert hits == [], f"the sealed page reached another origin: {hits}"
    else:
        assert sorted(hits) == ["/fetch", "/img"], hits


@dataclass(frozen=True)
class Printed:
    path: Path  # exactly the printed path
    failed: int  # the run's failing tests (its families with a fail), from its own records
    total: int  # all its tests (their Allure results)


@pytest.fixture(scope="module")
def printed_report(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    """The one-file report of a default run against the faulty mock, at exactly the path it printed."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: the Allure HTML report cannot be built")
    out = tmp_path_factory.mktemp("printed") / "o"
    proc, _ = run_against_the_faulty_mock(out)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    printed = re.search(r"^HTML report: (\S+)  \(one file: open it from disk\)$", proc.stdout, re.M)
    assert printed, proc.stdout
    path = Path(printed[1])
    assert path.is_file() and not (path.parent / "data").exists(), "one file: no data folder to fetch from"
    families = json.loads((out / "summary.json").read_text(encoding="utf-8"))["families"]
    failed = sum(1 for counts in families.values() if counts["fail"])
    statuses = allure_statuses(out / "allure-results")
    assert statuses["failed"] == failed > 0, (statuses, failed)
    return Printed(path, failed, sum(statuses.values()))


# What a reader sees, read from the page: the tree's leaves, the failing ones, the failing family's, the total.
FAMILY_LEAF = json.dumps(f"{FAILING_FAMILY}:")  # its leaf's title; the family on other paths is `numbers-empty@...:`
SHOWN = f"""
const leaves = [...document.querySelectorAll('[data-testid="tree-leaf"]')];
const total = document.querySelector('[data-testid="metadata-item-total"] [data-testid="metadata-value"]');
return {{
    leaves: leaves.length,
    failed: leaves.filter(leaf => leaf.querySelector('[data-testid="tree-leaf-status-failed"]')).length,
    family: leaves.filter(leaf => leaf.textContent.includes({FAMILY_LEAF})).length,
    total: total ? Number(total.textContent.trim()) : null,
}};
"""
SHOWN_WITHIN_S = 60.0  # from navigation to the findings on screen, on a loaded 2-core machine


@pytest.mark.parametrize("engine", ENGINES, ids=lambda engine: engine.name)
def test_the_printed_report_path_opens_from_disk_and_shows_the_findings(
    printed_report: Printed, engine: Engine
) -> None:
    """A default run prints `HTML report: PATH`: opened exactly so, from file://, in each engine, it
    shows the run's tests with the failing ones, not a spinner."""
    if (missing := engine.missing()) is not None:
        pytest.skip(missing)
    with engine.opened(printed_report.path.as_uri()) as page:
        limit = time.monotonic() + SHOWN_WITHIN_S
        while (shown := page.run(SHOWN))["leaves"] < printed_report.total or shown["total"] is None:
            assert time.monotonic() < limit, f"{engine.name} shows no findings from file:// (a spinner?): {shown}"
            time.sleep(0.2)
    assert shown == {
        "leaves": printed_report.total,
        "failed": printed_report.failed,
        "family": 1,
        "total": printed_report.total,
    }, shown
    assert printed_report.total > 50
