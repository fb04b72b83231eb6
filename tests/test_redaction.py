"""Redaction that never garbles: short, long and regex-special tokens never leak into any artifact
or the console, and a short token is masked only as a whole token (never inside a word)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from conftest import cli_in_process
from tiers import SYSTEM

from conformance.mock import MockServer
from conformance.send._redact import _AFTER, _BEFORE

TOKENS = {"short": "t", "regex-special": "a.b*c+?", "long": "long-SECRET-token-0123456789"}
# Every way a run sends the token, in each artifact a case leaves (the Allure request and curl
# attachments, summary.json, summary.md, JUnit): each credential form of the token beside other text
# (`Basic`, `Token`, `bearer`, a tab, `?access_token=` percent-encoded, one character more), the right
# token beside a second Authorization, and the OAuth path; the contract lint for the console's notes.
# Every other test sends the token only as `Authorization: Bearer <token>`, which these do too.
SENDS_THE_TOKEN = "test_contract_lint or test_credential_is_judged or envelope-repeated-authorization or client-oauth"


def whole(token: str) -> re.Pattern[bytes]:
    """Where `token` stands as a token (for a long token: anywhere)."""
    escaped = re.escape(token)
    return re.compile((f"{_BEFORE}{escaped}{_AFTER}" if len(token) < 8 else escaped).encode())


# A long token is searched for in every encoding by tests/test_redaction_encodings.py in the gate.
@pytest.fixture(scope="module", params=[pytest.param(name, marks=SYSTEM if name == "long" else ()) for name in TOKENS])
def planted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, str]:
    token = TOKENS[request.param]
    out = tmp_path_factory.mktemp(f"redact-{request.param}")
    with MockServer(token=token) as mock:
        result = cli_in_process(
            "run",
            "--base-url",
            mock.url,
            "--no-html",
            "--shrink-budget",
            "0",
            "--output-dir",
            out,
            "-k",
            SENDS_THE_TOKEN,
            env={"FAXPLUS_TOKEN": token},
        )
    assert result.returncode == 0, result.output[-2000:]
    return token, out, result.output


def test_no_artifact_and_no_console_line_holds_the_token(planted: tuple[str, Path, str]) -> None:
    token, out, console = planted
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 5 and any("attachment" in p.name for p in files)
    # As written, and percent-encoded as the `?access_token=` probe sent it.
    for form in {token, quote(token, safe=""), quote_plus(token, safe="")}:
        pattern = whole(form)
        for path in files:
            assert not pattern.search(path.read_bytes()), f"{form!r} leaked into {path}"
        assert not pattern.search(console.encode())
    # The credential probes sent it in headers and in the query: those are where it was masked.
    assert b"$FAXPLUS_TOKEN" in b"".join(p.read_bytes() for p in files if "attachment" in p.name)


def test_the_console_stays_readable_with_a_one_letter_token(planted: tuple[str, Path, str]) -> None:
    token, _, console = planted
    if token != "t":
        pytest.skip("the readability check is about a token that is a letter of ordinary words")
    assert "$FAXPLUS_TOKEN" not in console.replace("Bearer $FAXPLUS_TOKEN", "")
    assert re.search(r"\w\$FAXPLUS_TOKEN|\$FAXPLUS_TOKEN\w", console) is None  # never inside a word
    for word in ("target", "tier", "contract notes", "the contract itself", "cases", "requests", "exit"):
        assert word in console, word
    assert "shorter than 8 characters" in console  # the run warns once that the token is weak
    assert console.count("shorter than 8 characters") == 1
