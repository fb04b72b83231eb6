"""The three engines a report must open in, each from Debian's packages, each driven by what it speaks.

- Chromium (Chrome's engine): /usr/bin/chromium, driven by Playwright over CDP.
- Firefox (Gecko): /usr/bin/firefox-esr, driven over Marionette, Firefox's own remote protocol (what
  geckodriver relays). Playwright cannot drive it here: its patched Firefox is a download this
  machine cannot make, and its `moz-firefox` channel (WebDriver BiDi) sends
  `emulation.setMediaFeaturesOverride`, which Firefox ESR 153 does not know (docs/benchmarks.md).
- WebKit (Safari's engine): WebKitGTK's MiniBrowser, driven by WebKitWebDriver (W3C WebDriver over
  HTTP) on a virtual screen (Xvfb). Playwright's WebKit is a download too.

Each is started in a process group of its own with a fresh profile and ended with its group, and
`Engine.opened(url)` yields a `Page` whose `run(body)` runs a JavaScript function body (`return ...`)
in the page and answers its JSON value.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FIREFOX = Path("/usr/bin/firefox-esr")
WEBKIT_DRIVER = "WebKitWebDriver"
XVFB = "Xvfb"
START_S = 120.0  # a browser's start on a loaded 2-core machine (Firefox alone took 7-10 s at load 15)
LOCAL_HOST = "127.0.0.1"


class Page(Protocol):
    def run(self, body: str) -> Any:
        """Runs the JavaScript function body `body` (it `return`s a JSON value) in the page."""


@dataclass(frozen=True)
class Engine:
    name: str  # the test id
    missing: Callable[[], str | None]  # why it cannot be had here, or None
    opened: Callable[[str], contextlib.AbstractContextManager[Page]]


def _waited(ready: Callable[[], Any], what: str, proc: subprocess.Popen[bytes], within: float = START_S) -> Any:
    """`ready()`'s first truthy answer, polled until `within` s pass or `proc` ends."""
    limit = time.monotonic() + within
    while time.monotonic() < limit:
        answer = ready()
        if answer:
            return answer
        if proc.poll() is not None:
            raise RuntimeError(f"{what}: the browser process exited with {proc.returncode}")
        time.sleep(0.05)
    raise TimeoutError(f"{what}: not within {within:.0f} s")


@contextlib.contextmanager
def _group(command: list[str], **options: Any) -> Iterator[subprocess.Popen[bytes]]:
    """`command` in a new process group, ended with its whole group (the browser's own children too)."""
    proc = subprocess.Popen(command, start_new_session=True, **options)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the group we created, and only it
        proc.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCAL_HOST, 0))
        return int(sock.getsockname()[1])


# --- Chromium -----------------------------------------------------------------------------------------
class _PlaywrightPage:
    def __init__(self, page: Any) -> None:
        self._page = page

    def run(self, body: str) -> Any:
        return self._page.evaluate(f"() => {{ {body} }}")


@contextlib.contextmanager
def _chromium(url: str) -> Iterator[Page]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=START_S * 1000)
        try:
            page = browser.new_page()
            page.goto(url)
            yield _PlaywrightPage(page)
        finally:
            browser.close()


def _chromium_missing() -> str | None:
    return None if CHROMIUM.is_file() else f"{CHROMIUM} not found: install Debian's Chromium (apt-get install chromium)"


# --- Firefox, over Marionette -------------------------------------------------------------------------
# Marionette: each message is `LENGTH:JSON`; a command is [0, id, name, params], its answer [1, id, error, result].
FIREFOX_PREFS = {
    "marionette.port": 0,  # a free port, written to the profile's MarionetteActivePort
    "browser.shell.checkDefaultBrowser": False,
    "app.update.disabledForTesting": True,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "network.captive-portal-service.enabled": False,
    "browser.safebrowsing.update.enabled": False,
}


class _Marionette:
    def __init__(self, port: int) -> None:
        self._sock = socket.create_connection((LOCAL_HOST, port), timeout=START_S)
        self._in = self._sock.makefile("rb")
        self._id = 0
        hello = self._read()
        assert hello.get("applicationType") == "gecko", hello

    def _read(self) -> Any:
        length = b""
        while (byte := self._in.read(1)) != b":":
            if not byte:
                raise ConnectionError("Marionette closed the connection")
            length += byte
        return json.loads(self._in.read(int(length)))

    def command(self, name: str, params: dict[str, Any]) -> Any:
        self._id += 1
        data = json.dumps([0, self._id, name, params]).encode()
        self._sock.sendall(str(len(data)).encode() + b":" + data)
        kind, answer_id, error, result = self._read()
        assert (kind, answer_id) == (1, self._id), (kind, answer_id)
        if error:
            raise RuntimeError(f"{name}: {error.get('error')}: {error.get('message')}")
        return result

    def close(self) -> None:
        self._in.close()
        self._sock.close()


class _MarionettePage:
    def __init__(self, marionette: _Marionette) -> None:
        self._marionette = marionette

    def run(self, body: str) -> Any:
        return self._marionette.command("WebDriver:ExecuteScript", {"script": body, "args": []})["value"]


@contextlib.contextmanager
def _firefox(url: str) -> Iterator[Page]:
    with tempfile.TemporaryDirectory(prefix="firefox-profile-") as profile:
        prefs = "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in FIREFOX_PREFS.items())
        Path(profile, "user.js").write_text(prefs, encoding="utf-8")
        port_file = Path(profile, "MarionetteActivePort")
        command = [str(FIREFOX), "--headless", "--marionette", "--no-remote", "--profile", profile]
        with _group(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
            port = _waited(lambda: port_file.is_file() and port_file.read_text().strip(), "Marionette's port", proc)
            marionette = _Marionette(int(port))
            try:
                marionette.command("WebDriver:NewSession", {"capabilities": {}})
                marionette.command("WebDriver:Navigate", {"url": url})
                yield _MarionettePage(marionette)
            finally:
                marionette.close()


def _firefox_missing() -> str | None:
    if FIREFOX.is_file():
        return None
    return (
        f"{FIREFOX} not found: install Debian's Firefox ESR (apt-get install firefox-esr); Playwright's own Firefox "
        "is a download this machine cannot make"
    )


# --- WebKit, over WebKitWebDriver ---------------------------------------------------------------------
class _WebDriverPage:
    def __init__(self, session: str) -> None:
        self._session = session

    def run(self, body: str) -> Any:
        return _webdriver("POST", f"{self._session}/execute/sync", {"script": body, "args": []})


def _webdriver(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=START_S) as answer:
            return json.loads(answer.read())["value"]
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"WebDriver {method} {url}: {error.code} {error.read()[:500]!r}") from None


def _driver_status(base: str) -> bool:
    try:
        return bool(_webdriver("GET", f"{base}/status"))
    except (OSError, RuntimeError):
        return False


@dataclass(frozen=True)
class _Screen:
    display: str  # DISPLAY
    proc: subprocess.Popen[bytes]
    log: IO[bytes]

    def said(self) -> str:
        """How Xvfb stands: still running, or its exit and its last words."""
        if self.proc.poll() is None:
            return "Xvfb still running"
        self.log.seek(0)
        return f"Xvfb exited with {self.proc.returncode}:\n{self.log.read().decode(errors='replace')[-1000:]}"


@contextlib.contextmanager
def _virtual_screen() -> Iterator[_Screen]:
    """An Xvfb screen on a display number it chose itself.

    Xvfb writes its display number to `-displayfd` again on every server reset, and a reset follows
    the last client's leaving (our socket probe, a browser that ended): a write to a pipe whose reader
    is gone is fatal to it ("Cannot write display number to fd"), and the next browser then finds no
    display. So the screen never resets (`-noreset`), and the pipe stays open while it runs.
    """
    read, write = os.pipe()
    command = [XVFB, "-displayfd", str(write), "-noreset", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"]
    with contextlib.ExitStack() as stack:
        stack.callback(os.close, read)
        log = stack.enter_context(tempfile.TemporaryFile())
        proc = stack.enter_context(_group(command, pass_fds=(write,), stderr=log))
        os.close(write)
        number = _waited(lambda: os.read(read, 16).strip(), "Xvfb's display number", proc).decode()
        screen = Path(f"/tmp/.X11-unix/X{number}")
        _waited(lambda: screen.is_socket() and _accepts(str(screen)), f"Xvfb's socket {screen}", proc)
        yield _Screen(f":{number}", proc, log)


def _accepts(path: str) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(path)
        except OSError:
            return False
    return True


@contextlib.contextmanager
def _webkit(url: str) -> Iterator[Page]:
    port = _free_port()
    base = f"http://{LOCAL_HOST}:{port}"
    with _virtual_screen() as screen, tempfile.TemporaryFile() as log:
        command = [WEBKIT_DRIVER, f"--port={port}"]
        env = {**os.environ, "DISPLAY": screen.display}
        with _group(command, env=env, stdout=log, stderr=subprocess.STDOUT) as proc:
            try:
                _waited(lambda: _driver_status(base), "WebKitWebDriver", proc)
                capabilities = {"alwaysMatch": {"webkitgtk:browserOptions": {"args": ["--automation"]}}}
                started = _webdriver("POST", f"{base}/session", {"capabilities": capabilities})
            except (OSError, RuntimeError) as error:
                log.seek(0)
                said = log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(
                    f"WebKit did not start: {error}; WebKitWebDriver and MiniBrowser said:\n{said}\n{screen.said()}"
                ) from None
            session = f"{base}/session/{started['sessionId']}"
            try:
                _webdriver("POST", f"{session}/url", {"url": url})
                yield _WebDriverPage(session)
            finally:
                with contextlib.suppress(OSError, RuntimeError):
                    _webdriver("DELETE", session)


def _webkit_missing() -> str | None:
    absent = [name for name in (WEBKIT_DRIVER, XVFB) if shutil.which(name) is None]
    if not absent:
        return None
    return (
        f"{' and '.join(absent)} not found: install WebKitGTK's driver and a virtual screen "
        "(apt-get install webkit2gtk-driver xvfb); Playwright's own WebKit is a download this machine cannot make"
    )


ENGINES = [
    Engine("chromium", _chromium_missing, _chromium),
    Engine("firefox", _firefox_missing, _firefox),
    Engine("webkit", _webkit_missing, _webkit),
]
