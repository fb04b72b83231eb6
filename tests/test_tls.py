"""TLS, mutual TLS and proxies, end to end: the reference mock behind a throw-away CA (trustme), a
mock that demands a client certificate, and a forward proxy started by the test.

The proxied server is named `staging.faxplus.invalid`, a name that never resolves (RFC 6761): only
the proxy maps it to 127.0.0.1, so a run that passes went through the proxy with every request,
and a run with `--no-proxy` cannot reach it at all.
"""

from __future__ import annotations

import json
import os
import select
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CliResult, cli_in_process
from helpers.selections import A_FEW
from helpers.wire_servers import Received, WireServer

from conformance.mock import MockServer
from conformance.send._tls import INSECURE_WARNING, client_options, ssl_context, tls_problem
from conformance.target import Target, UsageError

trustme = pytest.importorskip("trustme")

TOKEN = "tls-test-token-0123456789"
PROXIED_HOST = "staging.faxplus.invalid"
# The runs that pass: every request of a run (preflight, cases, cleanup) goes through one Wire built from
# `client_options`. A_FEW has answers that keep the connection (2xx, 400) and one that does not (401): a
# reused connection and a fresh handshake (and tunnel) each.
SOME = ("-k", A_FEW)


def run_cli(*args: object, env: dict[str, str] | None = None) -> CliResult:
    """The CLI in this process (`conftest.cli_in_process`), seeing no FAXPLUS_* and no proxy variable
    of this process: only those in `env`."""
    proxies = {k: os.environ.pop(k) for k in list(os.environ) if k.lower().endswith("_proxy")}
    try:
        return cli_in_process(*args, env=env)
    finally:
        os.environ.update(proxies)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def pki(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """PEM files a user would be handed: the CA bundle, and a client certificate with its key."""
    folder = tmp_path_factory.mktemp("pki")
    client = ca.issue_cert("conformance-client@example.com")
    files = {"ca": folder / "ca.pem", "cert": folder / "client.pem", "key": folder / "client.key"}
    ca.cert_pem.write_to_path(str(files["ca"]))
    client.cert_chain_pems[0].write_to_path(str(files["cert"]))
    client.private_key_pem.write_to_path(str(files["key"]))
    return files


def server_context(ca: trustme.CA, *, demand_client_cert: bool = False) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost", PROXIED_HOST).configure_cert(context)
    if demand_client_cert:
        ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


@pytest.fixture
def https_mock(ca: trustme.CA) -> Iterator[MockServer]:
    with MockServer(token=TOKEN, tls=server_context(ca)) as mock:
        yield mock


@pytest.fixture
def mtls_mock(ca: trustme.CA) -> Iterator[MockServer]:
    with MockServer(token=TOKEN, tls=server_context(ca, demand_client_cert=True)) as mock:
        yield mock


class _Tunnel(socketserver.BaseRequestHandler):
    """`CONNECT host:port`: record it, open the upstream connection, then copy bytes both ways."""

    server: _ProxyServer

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, authority, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        if method != "CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        self.server.tunnels.append(authority)
        host, port = authority.rsplit(":", 1)
        upstream = socket.create_connection((self.server.hosts.get(host, host), int(port)), timeout=10)
        with upstream:
            for sock in (self.request, upstream):  # as the mock does: no Nagle + delayed-ACK stall per write
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(self.request, upstream)


def _pipe(a: socket.socket, b: socket.socket) -> None:
    peers = {a: b, b: a}
    while True:
        readable, _, _ = select.select(list(peers), [], [], 30)
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            peers[sock].sendall(data)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, hosts: dict[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), _Tunnel)
        self.hosts = hosts  # the proxy's own name resolution
        self.tunnels: list[str] = []


@pytest.fixture
def proxy() -> Iterator[_ProxyServer]:
    server = _ProxyServer({PROXIED_HOST: "127.0.0.1"})
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _one_line(result: CliResult) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


# --- an internal CA ---------------------------------------------------------------------------


def test_unknown_ca_is_one_line_naming_ca_bundle(https_mock: MockServer, tmp_path: Path) -> None:
    result = run_cli("run", "--base-url", https_mock.url, "--token", TOKEN, "--output-dir", tmp_path, "--no-html")
    assert result.returncode == 2, result.output
    line = _one_line(result)
    assert "--ca-bundle FILE" in line and "does not trust" in line
    assert TOKEN not in result.output


def test_with_ca_bundle_the_run_passes(https_mock: MockServer, pki: dict[str, Path], tmp_path: Path) -> None:
    result = run_cli(
        "run",
        *("--base-url", https_mock.url, "--token", TOKEN, "--ca-bundle", pki["ca"], "--output-dir", tmp_path),
        *("--no-html", *SOME),
    )
    assert result.returncode == 0, result.output
    assert any(r.path.endswith("/hooks") and r.method == "POST" for r in https_mock.requests)
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict"] in ("pass", "warn") and summary["warnings"] == []
    assert "insecure" not in result.stdout


def test_ca_bundle_that_is_not_pem_is_a_usage_error(https_mock: MockServer, tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n", encoding="utf-8")
    result = run_cli(
        "run",
        "--base-url",
        https_mock.url,
        "--token",
        TOKEN,
        "--ca-bundle",
        bogus,
        "--no-html",
        "--output-dir",
        tmp_path,
    )
    assert result.returncode == 2, result.output
    assert "--ca-bundle" in _one_line(result)


def test_insecure_runs_and_says_so_on_console_and_in_the_report(https_mock: MockServer, tmp_path: Path) -> None:
    result = run_cli(
        "run",
        *("--base-url", https_mock.url, "--token", TOKEN, "--insecure", "--output-dir", tmp_path, "--no-html", *SOME),
    )
    assert result.returncode == 0, result.output
    assert INSECURE_WARNING in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["warnings"] == [INSECURE_WARNING]
    assert INSECURE_WARNING in (tmp_path / "summary.md").read_text(encoding="utf-8")


# --- mutual TLS -------------------------------------------------------------------------------


def test_demanded_client_cert_is_one_line_naming_client_cert(
    mtls_mock: MockServer, pki: dict[str, Path], tmp_path: Path
) -> None:
    result = run_cli(
        "run", "--base-url", mtls_mock.url, "--token", TOKEN, "--ca-bundle", pki["ca"], "--output-dir", tmp_path
    )
    assert result.returncode == 2, result.output
    line = _one_line(result)
    assert "--client-cert FILE" in line and "client certificate" in line
    assert not mtls_mock.requests, "no request may reach a server whose handshake failed"


def test_client_key_without_cert_is_a_usage_error(pki: dict[str, Path]) -> None:
    with pytest.raises(UsageError, match="--client-key needs --client-cert"):
        Target(base_url="https://127.0.0.1:1/v3", token=TOKEN, client_key=pki["key"])


# --- proxies (mutual TLS through the tunnel: the corporate setup) -----------------------------


def test_with_https_proxy_every_request_goes_through_it(
    mtls_mock: MockServer, proxy: _ProxyServer, pki: dict[str, Path], tmp_path: Path
) -> None:
    base_url = f"https://{PROXIED_HOST}:{mtls_mock.port}/v3"
    result = run_cli(
        "run",
        *("--base-url", base_url, "--token", TOKEN, "--output-dir", tmp_path, "--no-html", *SOME),
        *("--ca-bundle", pki["ca"], "--client-cert", pki["cert"], "--client-key", pki["key"]),
        env={"HTTPS_PROXY": f"http://127.0.0.1:{proxy.server_address[1]}"},
    )
    assert result.returncode == 0, result.output
    # The name resolves nowhere but at the proxy: every request the mock answered came through a tunnel.
    assert proxy.tunnels and set(proxy.tunnels) == {f"{PROXIED_HOST}:{mtls_mock.port}"}
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["requests"] > 30 and len(mtls_mock.requests) >= summary["requests"]  # A_FEW: ~40 (whole: ~1,100)


def test_no_proxy_ignores_the_proxy_variables(
    https_mock: MockServer, proxy: _ProxyServer, pki: dict[str, Path], tmp_path: Path
) -> None:
    base_url = f"https://{PROXIED_HOST}:{https_mock.port}/v3"
    result = run_cli(
        "run",
        *("--base-url", base_url, "--token", TOKEN, "--ca-bundle", pki["ca"], "--no-proxy", "--output-dir", tmp_path),
        env={"HTTPS_PROXY": f"http://127.0.0.1:{proxy.server_address[1]}"},
    )
    assert result.returncode == 2, result.output
    assert "cannot reach" in _one_line(result)
    assert proxy.tunnels == [] and not https_mock.requests


# --- the one function every client is built from ----------------------------------------------


def test_client_options_follow_the_target(pki: dict[str, Path]) -> None:
    strict = client_options(Target(ca_bundle=pki["ca"]))
    assert strict["trust_env"] is True and strict["verify"].verify_mode is ssl.CERT_REQUIRED
    assert strict["verify"].check_hostname is True
    loose = client_options(Target(insecure=True, no_proxy=True))
    assert loose["trust_env"] is False and loose["verify"].verify_mode is ssl.CERT_NONE


def test_tls_problem_ignores_what_is_not_tls() -> None:
    assert tls_problem(ConnectionRefusedError("refused"), Target(), "here") is None


def test_ssl_cert_file_is_honoured_without_ca_bundle(
    ca: trustme.CA, pki: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = ca.cert_pem.bytes()
    der = ssl.PEM_cert_to_DER_cert(ours.decode("ascii"))
    assert der not in ssl_context(Target()).get_ca_certs(binary_form=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(pki["ca"]))
    assert ssl_context(Target()).get_ca_certs(binary_form=True) == [der]


def test_wrong_host_name_is_one_line_naming_the_host(ca: trustme.CA, pki: dict[str, Path], tmp_path: Path) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)  # not valid for 127.0.0.1
    with MockServer(token=TOKEN, tls=context) as mock:
        result = run_cli(
            "run",
            *("--base-url", mock.url, "--token", TOKEN, "--ca-bundle", pki["ca"], "--output-dir", tmp_path),
        )
    assert result.returncode == 2, result.output
    line = _one_line(result)
    assert "not valid for 127.0.0.1" in line and "--base-url" in line


def test_client_cert_of_another_ca_is_one_line_naming_client_cert(
    mtls_mock: MockServer, pki: dict[str, Path], tmp_path: Path
) -> None:
    stranger = trustme.CA().issue_cert("someone@example.com")
    cert, key = tmp_path / "stranger.pem", tmp_path / "stranger.key"
    stranger.cert_chain_pems[0].write_to_path(str(cert))
    stranger.private_key_pem.write_to_path(str(key))
    result = run_cli(
        "run",
        *("--base-url", mtls_mock.url, "--token", TOKEN, "--ca-bundle", pki["ca"], "--output-dir", tmp_path),
        *("--client-cert", cert, "--client-key", key),
    )
    assert result.returncode == 2, result.output
    line = _one_line(result)
    assert "refused the client certificate" in line and "--client-cert" in line


def test_http_to_a_tls_port_says_to_use_https(https_mock: MockServer, tmp_path: Path) -> None:
    plain = https_mock.url.replace("https://", "http://", 1)
    result = run_cli("run", "--base-url", plain, "--token", TOKEN, "--output-dir", tmp_path, "--no-html")
    assert result.returncode == 2, result.output
    line = _one_line(result)
    assert f"it speaks TLS, use {https_mock.url}" in line, line
    assert TOKEN not in result.output


def test_http_to_a_port_that_speaks_neither_gets_no_tls_hint(tmp_path: Path) -> None:
    def garbage(request: Received, sock: socket.socket) -> bool:
        sock.sendall(b"\x00\x01garbage\r\n\r\n")
        return False  # and close

    with WireServer(garbage) as server:
        result = run_cli("run", "--base-url", server.url, "--token", TOKEN, "--output-dir", tmp_path, "--no-html")
    assert result.returncode == 2, result.output
    line = _one_line(result)
    assert "speaks TLS" not in line and "check --base-url" in line, line
