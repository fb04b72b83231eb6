"""No secret leaks in any encoding: a server that echoes every credential it receives in every spelling
(as written; base64 at each of the three byte offsets, standard and URL-safe; JSON `\\u` escapes in
either case; percent-encoding in either case; HTML references) into its bodies and headers. Every artifact
the run writes (summary.json, summary.md, junit.xml, Allure results, the HTML report) and the console are
searched by decoding, not by pattern: whatever can be decoded is decoded, and the secret must not be in it.
Masking must not garble what remains: a base64 run that merely contains the token's base64 letters at an
offset where they do not spell it comes out as it went in.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes

import pytest
from conftest import CliResult, SharedRuns, cli_in_process
from tiers import SYSTEM

from conformance.mock import MockServer
from conformance.mock._reply import Reply, Request
from conformance.send._redact import Redactor

TOKEN = "long-SECRET-token+0123/456789="  # `+`, `/` and `=`: what base64 and percent-encoding touch
CLIENT_ID = "client-ID-4f9a8b7c6d"
# The token's base64 letters behind two letters of other data: a valid base64 run that does not spell it.
UNALIGNED = "QQ" + base64.b64encode(TOKEN.encode()).decode().rstrip("=")
UNALIGNED = UNALIGNED + "A" * (-len(UNALIGNED) % 4)
assert TOKEN.encode() not in base64.b64decode(UNALIGNED)


def spelled(credential: str) -> dict[str, str]:
    """Every spelling of `credential` the echo puts in a JSON string (already JSON-escaped)."""
    raw = credential.encode()
    forms = {"raw": json.dumps(credential)[1:-1]}
    for offset, prefix in enumerate((b"", b"x", b"xy")):
        forms[f"base64-{offset}"] = base64.b64encode(prefix + raw).decode()
        forms[f"base64url-{offset}"] = base64.urlsafe_b64encode(prefix + raw).decode().rstrip("=")
    forms["json-u-lower"] = "".join(f"\\u{ord(c):04x}" for c in credential)
    forms["json-u-upper"] = "".join(f"\\u{ord(c):04X}" for c in credential)
    forms["percent-upper"] = "".join(f"%{b:02X}" for b in raw)
    forms["percent-lower"] = "".join(f"%{b:02x}" for b in raw)
    forms["html-decimal"] = "".join(f"&#{ord(c)};" for c in credential)
    forms["html-hex"] = "".join(f"&#x{ord(c):x};" for c in credential)
    forms["unaligned-base64"] = UNALIGNED  # not the token: must survive as it is
    return forms


class Echo(MockServer):
    """The reference mock, but every POST /hooks answer echoes the credentials it got in every spelling."""

    def respond(self, request: Request) -> Reply:
        reply = super().respond(request)
        if request.method != "POST" or not reply.body.startswith(b"{"):
            return reply
        credentials = [request.header("authorization") or "", request.header("x-fax-clientid") or ""]
        credentials += request.query("access_token")
        echo = {f"{i}-{name}": form for i, c in enumerate(credentials) if c for name, form in spelled(c).items()}
        members = ", ".join(f'"{k}": "{v}"' for k, v in echo.items())
        body = (
            reply.body.rstrip()[:-1]
            + (b", " if reply.body.strip() != b"{}" else b"")
            + f'"echo": {{{members}}}}}'.encode()
        )
        auth = credentials[0]
        headers = {
            **reply.headers,
            "X-Echo-Raw": auth,
            "X-Echo-Base64": base64.b64encode(b"x" + auth.encode()).decode(),
            "X-Echo-Percent": "".join(f"%{b:02x}" for b in auth.encode()),
        }
        return reply.with_(body=body, headers=headers)


def decodings(text: str, depth: int = 2) -> Iterator[str]:
    """`text` and everything it decodes to: percent, HTML, JSON escapes, base64 runs (either alphabet)."""
    yield text
    if depth == 0:
        return
    views = {
        unquote(text),
        unquote_to_bytes(text.encode("utf-8", "surrogatepass")).decode("latin-1"),
        html.unescape(text),
        re.sub(r"\\[uU]([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text).replace("\\/", "/"),
    }
    for run in set(re.findall(r"[A-Za-z0-9+/_-]{8,}={0,2}", text)):
        letters = run.rstrip("=")
        if len(letters) % 4 == 1:
            continue
        for alt in (None, b"-_"):
            with contextlib.suppress(ValueError):
                views.add(base64.b64decode(letters + "=" * (-len(letters) % 4), altchars=alt).decode("latin-1"))
    views.discard(text)
    for view in views:
        yield from decodings(view, depth - 1)


def leaks(text: str, secret: str) -> bool:
    return any(secret in view for view in decodings(text))


def leaked(text: str, secrets: tuple[str, ...]) -> set[str]:
    """Which of `secrets` some decoding of `text` holds: one pass of `decodings` for all of them."""
    found: set[str] = set()
    for view in decodings(text):
        found.update(secret for secret in secrets if secret in view)
    return found


# The HTML report (one file, every result inlined as base64) is searched in the system tier: its
# build costs ~30 s of Node; the gate searches every other artifact of the same run.
@pytest.fixture(scope="module", params=["no-html", pytest.param("html", marks=SYSTEM)])
def echoed(request: pytest.FixtureRequest, shared_runs: SharedRuns) -> tuple[Path, str]:
    """One run against the echo per session, whichever pytest-xdist worker asks first."""
    html_wanted = request.param == "html" and shutil.which("node") is not None

    def produce(out: Path) -> CliResult:
        with Echo(token=TOKEN) as mock:
            return cli_in_process(
                "run", "--base-url", mock.url, "--shrink-budget", "0", "--output-dir", out,
                *(() if html_wanted else ("--no-html",)),
                env={"FAXPLUS_TOKEN": TOKEN, "FAXPLUS_CLIENT_ID": CLIENT_ID},
            )  # fmt: skip

    result = shared_runs(f"echo-{request.param}", produce)
    assert result is not None and result.output_dir is not None
    assert result.returncode == 1, result.output[-2000:]  # the echo breaks WebhookId's additionalProperties
    assert "Traceback" not in result.output
    return result.output_dir, result.output


def artifacts(out: Path) -> list[Path]:
    return sorted(
        p for p in out.rglob("*") if p.is_file() and p.suffix in (".json", ".md", ".xml", ".txt", ".html", "")
    )


def test_every_artifact_was_searched(echoed: tuple[Path, str]) -> None:
    out, _ = echoed
    files = artifacts(out)
    names = {p.name for p in files}
    assert {"summary.json", "summary.md", "junit.xml"} <= names
    assert sum("attachment" in n for n in names) > 10
    if out.name.endswith("echo-html") and shutil.which("node") is not None:
        assert (out / "html" / "index.html").is_file(), "the HTML report was to be searched too"
    # The echo reached the artifacts: its masked base64 decodes to the placeholder.
    summary = (out / "summary.json").read_text(encoding="utf-8")
    assert "X-Echo-Base64" in summary or "x-echo-base64" in summary
    assert any("$FAXPLUS_TOKEN" in view for view in decodings(summary, depth=1))


def test_no_artifact_holds_a_secret_in_any_encoding(echoed: tuple[Path, str]) -> None:
    """The token and the client id, searched for together: decoding every artifact is what costs."""
    out, console = echoed
    places = {"console": leaked(console, (TOKEN, CLIENT_ID))}
    for path in artifacts(out):
        text = path.read_bytes().decode("utf-8", errors="replace")
        places[str(path.relative_to(out))] = leaked(text, (TOKEN, CLIENT_ID))
    assert len(places) > 10  # the console and the run's artifacts
    holding = {secret: sorted(p for p, found in places.items() if secret in found) for secret in (TOKEN, CLIENT_ID)}
    assert holding == {TOKEN: [], CLIENT_ID: []}, "a secret (in some encoding) in these places"


def test_masking_garbled_nothing_else(echoed: tuple[Path, str]) -> None:
    out, _ = echoed
    summary = (out / "summary.json").read_text(encoding="utf-8")
    assert UNALIGNED in summary  # letters of the token's base64 at another offset are other data


# --- the Redactor alone: each spelling, and what must stay as it is ------------------------------------


@pytest.mark.parametrize("form", [k for k in spelled(TOKEN) if k != "unaligned-base64"])
def test_each_spelling_is_masked(form: str) -> None:
    redactor = Redactor({TOKEN: "$FAXPLUS_TOKEN"})
    echoed = json.loads(f'"{spelled("Bearer " + TOKEN)[form]}"')  # as a JSON reader sees it
    masked = redactor.text(echoed)
    assert not leaks(masked, TOKEN), (form, masked)
    assert any("$FAXPLUS_TOKEN" in view for view in decodings(masked)), (form, masked)


def test_masked_base64_stays_valid_base64_of_the_rest() -> None:
    redactor = Redactor({TOKEN: "$FAXPLUS_TOKEN"})
    for prefix in (b"", b"x", b"xy", b"user:"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            masked = redactor.text(encode(prefix + TOKEN.encode() + b" and more").decode())
            decoded = base64.b64decode(
                masked + "=" * (-len(masked) % 4), altchars=b"-_" if encode is not base64.b64encode else None
            )
            assert decoded == prefix + b"$FAXPLUS_TOKEN and more", (prefix, masked)


def test_what_is_not_the_secret_is_left_alone() -> None:
    redactor = Redactor({TOKEN: "$FAXPLUS_TOKEN"})
    for text in (UNALIGNED, base64.b64encode(b"nothing secret here at all").decode(), "status %20 &amp; \\u0041"):
        assert redactor.text(text) == text


def test_a_long_value_masked_again_is_remembered_and_a_changed_one_is_not() -> None:
    """A reproduction masks one request body three times: the last few long values are remembered,
    each exactly as masked the first time; any other value is masked afresh."""
    redactor = Redactor({TOKEN: "$FAXPLUS_TOKEN"})
    scans: list[str] = []
    masked_once = redactor._masked
    redactor._masked = lambda value: scans.append(value) or masked_once(value)  # type: ignore[method-assign]
    body = '{"padding": "' + "a" * 300_000 + f'", "token": "{TOKEN}"}}'
    first = redactor.text(body)
    assert TOKEN not in first and "$FAXPLUS_TOKEN" in first
    assert redactor.text(body.encode().decode()) == first  # an equal value, another object: as a body decoded again
    assert len(scans) == 1
    changed = body.replace("aaa", "aab", 1)
    assert redactor.text(changed) == first.replace("aaa", "aab", 1) and len(scans) == 2
    for other in range(5):  # pushes the first one out: it is scanned again, and comes out the same
        redactor.text(body + " " * (other + 1))
    assert redactor.text(body) == first and len(scans) == 8
