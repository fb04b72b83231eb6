"""The Allure 3 HTML step: real builds from real allure-pytest results, sealed offline (no analytics, a
Content-Security-Policy that admits no other host; tests/test_browser.py proves no fetch leaves)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conformance.report import allure_cli, offline
from conformance.report.allure_install import AllureInstall
from conformance.report.allure_report import DEFAULT_NAME, HtmlUnavailable, build_html

NAME = DEFAULT_NAME
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

THROWAWAY_TESTS = """
import allure


def test_hook_accepted():
    allure.attach("201 Created", name="response", attachment_type=allure.attachment_type.TEXT)
    assert True


def test_hook_rejected():
    allure.attach('{"error": "invalid_url"}', name="body", attachment_type=allure.attachment_type.JSON)
    assert 400 == 201, "expected 201"
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """allure-results from a throwaway pytest run: one passing, one failing test, each with an attachment."""
    work = tmp_path_factory.mktemp("throwaway")
    (work / "pytest.ini").write_text("[pytest]\n")  # keep this repo's pytest config out of the child run
    (work / "test_throwaway.py").write_text(THROWAWAY_TESTS)
    out = work / "allure-results"
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # only allure-pytest, not the suite plugin
    cmd = [sys.executable, "-m", "pytest", "test_throwaway.py", "-q", "-p", "allure_pytest.plugin"]
    proc = subprocess.run(
        [*cmd, "-p", "no:cacheprovider", f"--alluredir={out}"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # exactly: tests failed
    assert "1 failed, 1 passed" in proc.stdout
    assert len(list(out.glob("*-result.json"))) == 2
    assert len(list(out.glob("*-attachment.*"))) == 2
    return out


def report_json(html_dir: Path, name: str) -> object:
    """A report data file, from disk (multi-file) or from the inline ``d("name","base64")`` (single-file)."""
    path = html_dir / name
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    text = (html_dir / "index.html").read_text(encoding="utf-8")
    m = re.search(rf'd\("{re.escape(name)}","([A-Za-z0-9+/=]*)"\)', text)
    assert m, f"{name} neither on disk nor inline"
    return json.loads(base64.b64decode(m[1]))


def trend_points(html_dir: Path) -> list[str]:
    charts = report_json(html_dir, "widgets/charts.json")
    assert isinstance(charts, dict)
    (dynamics,) = [c for c in charts["general"].values() if c["type"] == "statusDynamics"]
    return [point["id"] for point in dynamics["data"]]


@needs_node
def test_multi_file_report(results: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    index = build_html(results, tmp_path / "html")
    print(f"multi-file build: {time.monotonic() - started:.2f}s")
    assert index == (tmp_path / "html" / "index.html").resolve()
    text = index.read_text(encoding="utf-8")
    assert f"<title> {NAME} </title>" in text
    assert "googletagmanager" not in text and "gtag(" not in text
    assert offline.is_sealed(index.parent) and offline.META in text
    assert re.search(r'<script\s+src="app-[0-9a-f]+\.js"', text)  # the app itself is still loaded, locally
    assert report_json(index.parent, "widgets/statistic.json") == {"total": 2, "passed": 1, "failed": 1}
    names = {tr["name"] for tr in map(json.loads, map(Path.read_text, (index.parent / "data/test-results").glob("*")))}
    assert names == {"test_hook_accepted", "test_hook_rejected"}
    assert len(list((index.parent / "data/attachments").iterdir())) == 2


@needs_node
def test_single_file_report(results: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    index = build_html(results, tmp_path / "one", single_file=True)
    print(f"single-file build: {time.monotonic() - started:.2f}s")
    text = index.read_text(encoding="utf-8")
    assert NAME in text
    assert offline.is_sealed(index.parent) and offline.META in text
    assert [p.suffix for p in index.parent.iterdir() if p.suffix not in {".json"}] == [".html"]
    srcs = re.findall(r'\s(?:src|href)="([^"]{0,40})', text)
    assert srcs and all(s.startswith("data:") for s in srcs), srcs  # everything inlined
    assert report_json(index.parent, "widgets/statistic.json") == {"total": 2, "passed": 1, "failed": 1}


@needs_node
@pytest.mark.parametrize("single_file", [False, True], ids=["multi-file", "single-file"])
def test_history_trend_over_two_builds(results: Path, tmp_path: Path, single_file: bool) -> None:
    history = tmp_path / "state" / "history.jsonl"
    out = tmp_path / "html"
    build_html(results, out, single_file=single_file, history=history)
    assert trend_points(out) == ["current"]
    first = [json.loads(line) for line in history.read_text().splitlines()]
    assert len(first) == 1 and first[0]["name"] == NAME

    build_html(results, out, single_file=single_file, history=history)  # same dir: replaced, not merged
    entries = [json.loads(line) for line in history.read_text().splitlines()]
    assert len(entries) == 2 and entries[0]["uuid"] != entries[1]["uuid"]
    points = trend_points(out)
    assert points == [entries[0]["uuid"], "current"]  # the trend shows two runs
    assert all(len(e["testResults"]) == 2 for e in entries)


@needs_node
def test_results_path_with_glob_characters(results: Path, tmp_path: Path) -> None:
    odd = tmp_path / "run [1] {a,b} *"
    shutil.copytree(results, odd)
    index = build_html(odd, tmp_path / "html")
    assert report_json(index.parent, "widgets/statistic.json") == {"total": 2, "passed": 1, "failed": 1}


@needs_node
def test_allure_failure_is_reported_in_one_line(results: Path, tmp_path: Path) -> None:
    bad_history = tmp_path / "history.jsonl"
    bad_history.write_text("not json\n")
    with pytest.raises(HtmlUnavailable) as exc:
        build_html(results, tmp_path / "html", history=bad_history)
    message = str(exc.value)
    assert message.startswith("allure generate failed") and "not valid JSON" in message
    assert "\n" not in message
    assert not (tmp_path / "html").exists()


@needs_node
def test_timeout_is_reported(results: Path, tmp_path: Path) -> None:
    with pytest.raises(HtmlUnavailable, match="timeout"):
        build_html(results, tmp_path / "html", timeout=0.3)
    assert not (tmp_path / "html").exists()
    assert not list(tmp_path.glob(".html-build-*"))  # staging folder cleaned up


@needs_node
def test_unwritable_output_is_reported(results: Path, tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("")
    with pytest.raises(HtmlUnavailable, match="^cannot write the HTML report: "):
        build_html(results, tmp_path / "file.txt" / "html")


@needs_node
def test_npm_ci_failure_is_reported(tmp_path: Path) -> None:
    pkg = json.loads((allure_cli.reports_dir() / "package.json").read_text())
    pkg["dependencies"]["allure"] = "3.0.0"  # out of sync with the lock: npm ci refuses without network
    (tmp_path / "package.json").write_text(json.dumps(pkg))
    shutil.copy(allure_cli.reports_dir() / "package-lock.json", tmp_path)
    with pytest.raises(HtmlUnavailable, match=r"^npm ci in .* failed \(exit 1\): EUSAGE: `npm ci` can only"):
        AllureInstall.start(tmp_path).wait(time.monotonic() + 120)


def test_a_first_use_install_says_what_it_does_before_and_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in npm that "installs" the CLI: the lines around it are the run's, not npm's.
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "package-lock.json").write_text("{}")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text("#!/bin/sh\nmkdir -p node_modules/allure && : > node_modules/allure/cli.js\n")
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    said: list[str] = []
    cli = AllureInstall.start(tmp_path).wait(time.monotonic() + 30, said.append)
    assert cli.is_file()
    assert (
        len(said) == 2
        and "npm ci, once per checkout" in said[0]
        and said[1].startswith("HTML report: Allure 3 installed in")
    )
    said.clear()
    AllureInstall.start(tmp_path).wait(time.monotonic() + 30, said.append)
    assert said == []  # installed: nothing to say


def test_pinned_package() -> None:
    pkg = json.loads((allure_cli.reports_dir() / "package.json").read_text())
    lock = json.loads((allure_cli.reports_dir() / "package-lock.json").read_text())
    assert pkg["private"] is True and "scripts" not in pkg
    assert re.fullmatch(r"3\.\d+\.\d+", pkg["dependencies"]["allure"])  # exact 3.x pin
    assert lock["packages"]["node_modules/allure"]["version"] == pkg["dependencies"]["allure"]


def test_node_missing(results_free_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allure_cli.shutil, "which", lambda name: None)
    with pytest.raises(HtmlUnavailable, match=r"^Node\.js not found: install Node\.js >= 20 or pass --no-html$"):
        build_html(results_free_dir, tmp_path / "html")


def test_missing_results_and_foreign_output_dir(results_free_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(HtmlUnavailable, match="results directory not found"):
        build_html(tmp_path / "nope", tmp_path / "html")
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(HtmlUnavailable, match="refusing to replace"):
        build_html(results_free_dir, foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"


@pytest.fixture
def results_free_dir(tmp_path: Path) -> Path:
    path = tmp_path / "allure-results"
    path.mkdir()
    return path


STOCK = textwrap.dedent(
    """\
    <!DOCTYPE html><html><head>
    <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E%3C/svg%3E">
    <link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Inter">
    <link rel="preload" href="//fonts.gstatic.com/s/inter.woff2" as="font" crossorigin />
    <link rel="stylesheet" type="text/css" href="styles.css">
    <style>@import "https://cdn.example.com/x.css"; body { background: url('https://cdn.example.com/bg.png') }</style>
    <script>window.allureReportOptions = {"reportName":"see https://restapi.fax.plus/v3/hooks"}</script>
    </head><body>
    <div style="background-image: url(http://cdn.example.com/a.png)">x</div>
    <img src="https://cdn.example.com/pixel.gif" alt="">
    <a href="https://allurereport.org">Allure</a>
    <svg xmlns="http://www.w3.org/2000/svg"><path fill="url(#grad)"/></svg>
    <script   src="app-b3323b2606f19801ef1b.js"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-LNDJ3J7WT0', {"report": "awesome"});
    </script>
    <script async>window.allureReportDataReady = true;</script>
    </body></html>
    """
)


def test_seal_removes_the_analytics_adds_the_policy_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(STOCK)
    assert not offline.is_sealed(tmp_path)
    assert offline.seal(tmp_path) == [tmp_path / "index.html"]
    text = (tmp_path / "index.html").read_text()
    assert "gtag" not in text and "dataLayer" not in text and "googletagmanager" not in text
    assert text.count(offline.META) == 1 and text.index(offline.META) == text.index("<head>") + len("<head>")
    for kept in (
        'href="data:image/svg+xml',
        'href="styles.css"',
        '<a href="https://allurereport.org">',  # navigation, not a fetch
        "see https://restapi.fax.plus/v3/hooks",  # a URL mentioned in data
        'src="app-b3323b2606f19801ef1b.js"',
        "window.allureReportDataReady = true",
        'fill="url(#grad)"',
    ):
        assert kept in text, kept
    assert offline.is_sealed(tmp_path)
    assert offline.seal(tmp_path) == []  # idempotent


def test_the_policy_admits_no_other_host() -> None:
    """Whatever a future template fetches from elsewhere (fonts, images, scripts, XHR), the browser
    refuses it: every directive falls back to default-src, which names no host and no http(s) scheme."""
    directives = dict(part.strip().split(" ", 1) for part in offline.CSP.split(";"))
    sources = directives["default-src"].split()
    assert set(sources) == {"'self'", "file:", "data:", "blob:", "'unsafe-inline'", "'unsafe-eval'"}
    assert not any(s in ("*", "http:", "https:") or "." in s for s in sources)
    assert set(directives) == {"default-src", "form-action"}  # no directive widens what default-src allows


@needs_node
@pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(), reason="Debian's Chromium is not installed")
def test_single_file_report_renders_from_disk_under_the_policy(results: Path, tmp_path: Path) -> None:
    """Opened from file:// as a reader would, the sealed single-file report still renders, and fetches nothing."""
    from playwright.sync_api import expect, sync_playwright

    index = build_html(results, tmp_path / "one", single_file=True)
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(index.as_uri())
            total = page.get_by_test_id("metadata-item-total").get_by_test_id("metadata-value")
            expect(total).to_have_text("2", timeout=15_000)
        finally:
            browser.close()
    assert not errors, errors
    assert [url for url in requests if url.split(":", 1)[0] not in ("file", "data", "blob")] == []
