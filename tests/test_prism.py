"""Stoplight Prism as a real peer: an independent mock of the same vendored contract.

Prism (pinned in prism/package.json) is started with `prism mock <vendored spec>` on 127.0.0.1 and
the real CLI is run against it. Prism validates requests against the spec (AJV, ECMA-262
regexes), checks that a security scheme is *present* and answers the spec's examples, so the
suite's findings there are a check of the suite by something it did not write:
docs/benchmarks.md ("Stoplight Prism") explains each one.

Prism routes by the spec's `paths` only (it ignores the `/v3` of `servers`), so the base URL is
`http://127.0.0.1:PORT`. It runs in its default mode: static examples (deterministic answers),
request validation on, `--errors` off (that flag only turns *response* violations into errors).

Prism as shipped exits on the suite's first unknown property whose name is outside Latin-1 (an
unhandled exception), after which every request is refused. So the suite runs once against a
Prism started with NODE_OPTIONS=--unhandled-rejections=warn (that request hangs instead), and the
crash itself is checked by replaying the suite's reproduction against a Prism started as shipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from helpers.prism import KNOWN_KEYS, TIMEOUT, TOKEN, Prism, prism_cli, prism_mock  # noqa: F401 - prism_cli is a fixture
from tiers import SYSTEM

pytestmark = SYSTEM  # real stacks, installed and started by the tests: `tox -e system`


def run_suite(base_url: str, out: Path, *select: str) -> tuple[int, dict]:
    env = {**os.environ, "FAXPLUS_TOKEN": TOKEN}
    env.pop("FAXPLUS_CLIENT_ID", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--base-url",
            base_url,
            "--timeout",
            TIMEOUT,
            "--no-html",
            "--output-dir",
            str(out),
            *select,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (out / "summary.json").is_file(), proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.returncode, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def hang(summary: dict) -> dict | None:
    """The transport fail of an extra property (generation decides which of those families hits it)."""
    found = fails(summary)
    return next((found[k] for k in sorted(found) if k[0].startswith("extra-property-") and k[1] == "transport"), None)


def fails(summary: dict) -> dict[tuple[str, str], dict]:
    return {(f["family"], f["check"]): f for f in summary["findings"] if f["verdict"] == "fail"}


DEEP = "body-deep-nesting"  # the suite's test id of the deep-nesting body
KeptAlive = tuple[int, dict, str | None]  # exit code, summary.json, and Prism's log if it died


@pytest.fixture(scope="module")
def kept_alive(prism_cli: Path, tmp_path_factory: pytest.TempPathFactory) -> KeptAlive:  # noqa: F811
    """One run against Prism started with NODE_OPTIONS=--unhandled-rejections=warn: the crashing
    request then hangs instead of taking the process down, so the rest of Prism is observed.

    All but the deep-nesting body, which kills even this Prism (the next test): whatever was in
    flight then, or sent after, would go unanswered, a different set from run to run."""
    workdir = tmp_path_factory.mktemp("prism-alive")
    with prism_mock(prism_cli, workdir, node_options="--unhandled-rejections=warn") as prism:
        code, summary = run_suite(prism.base_url, workdir / "out", "--select", f"not {DEEP}")
        return code, summary, None if prism.alive else prism.output()


def test_prism_kept_alive_verdict(kept_alive: KeptAlive) -> None:
    code, summary, died = kept_alive
    assert died is None, f"Prism died without the deep-nesting body:\n{died[-1500:]}"
    assert code == 1
    assert summary["verdict"] == "fail"
    assert summary["requests"] > 300  # the whole run reached Prism, not just its first part


def test_prism_dies_on_a_deeply_nested_body(prism_cli: Path, tmp_path: Path) -> None:  # noqa: F811
    """The deep-nesting body (issue 20) kills even a kept-alive Prism: logging it, fast-safe-stringify
    overflows the stack, and Prism's log formatter then throws on the broken log line (`Cannot read
    properties of undefined (reading 'path')`), an uncaught exception, not a rejection the flag
    turns into a warning. The suite reports no answer, a fail (audited 6 Dec)."""
    with prism_mock(prism_cli, tmp_path, node_options="--unhandled-rejections=warn") as prism:
        code, summary = run_suite(prism.base_url, tmp_path / "out", "--select", DEEP)
        assert prism.ends(), "Prism survived: has its logger's stack overflow been fixed? update docs/benchmarks.md"
        log = prism.output()
    # The stack overflow is printed in some runs only; the fatal TypeError in every one.
    assert "TypeError: Cannot read properties of undefined (reading 'path')" in log, log[-1500:]
    assert "constructPrefix" in log, log[-1500:]
    assert code == 1 and summary["verdict"] == "fail"
    assert (DEEP, "transport") in fails(summary), sorted(fails(summary))


def test_prism_accepts_any_bearer_token(kept_alive: KeptAlive) -> None:
    """Prism checks that the security scheme is present, not the token: no header is 401, a
    token it never issued is 200."""
    _, summary, _ = kept_alive
    found = fails(summary)
    assert ("wrong-credentials", "status") in found
    assert found["wrong-credentials", "status"]["reproduction"]["status"] == 200
    assert not [key for key in found if key[0] == "no-credentials"]


def test_prism_registers_without_a_body(kept_alive: KeptAlive) -> None:
    """The vendored requestBody is not `required: true`, and Prism takes it literally: no body,
    an empty body and the JSON literal `null` (which it reads as "no body") all register (200)."""
    _, summary, _ = kept_alive
    found = fails(summary)
    for family in ("body-absent", "body-empty", "body-not-object"):
        assert (family, "status") in found, f"{family}: {sorted(found)}"
    assert found["body-absent", "status"]["reproduction"]["status"] == 200
    not_object = found["body-not-object", "status"]["reproduction"]
    assert not_object["status"] == 200 and not_object["request_body"] == "null"


def test_prism_rejects_non_json_with_a_body_that_is_not_an_error(kept_alive: KeptAlive) -> None:
    """A body that does not parse gets Prism's own 400 `{"error": {"code": "invalid_json", ...}}`:
    the right status, but `error` must be a string in the contract's Error."""
    _, summary, _ = kept_alive
    found = fails(summary)
    for family in ("body-truncated", "body-trailing-comma", "body-single-quotes"):
        finding = found.get((family, "response-schema"))
        assert finding is not None, f"{family}: {sorted(found)}"
        assert finding["reproduction"]["status"] == 400
        assert "invalid_json" in finding["message"]


def test_prism_accepts_invalid_utf8_inside_a_string(kept_alive: KeptAlive) -> None:
    """Node decodes the body with replacement characters instead of refusing it, so a Webhook whose
    target holds a byte that is not UTF-8 is registered: lenient parsing, which RFC 8259 §9 permits
    (a warn in its own category, not a release block)."""
    _, summary, _ = kept_alive
    finding = next(f for f in summary["findings"] if (f["family"], f["check"]) == ("body-invalid-utf8", "status"))
    assert (finding["verdict"], finding["category"]) == ("warn", "lenient parsing")
    assert finding["reproduction"]["status"] == 200


def test_prism_hangs_on_a_non_latin1_property_name(kept_alive: KeptAlive) -> None:
    """Kept alive, Prism never answers a request whose unknown property has a name outside
    Latin-1: the suite reports a timeout (see the next test for what Prism as shipped does)."""
    _, summary, _ = kept_alive
    finding = hang(summary)
    assert finding is not None and finding["message"].startswith("timeout")
    name = next(iter(json.loads(finding["reproduction"]["request_body"]).keys() - KNOWN_KEYS))
    assert any(ord(c) > 0xFF for c in name), name


def test_prism_as_shipped_crashes_on_the_request_the_suite_found(
    kept_alive: KeptAlive,
    prism_cli: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Prism echoes request violations into an `sl-violations` response header; for a property name
    outside Latin-1 Node's setHeader throws, the rejection is unhandled and the whole Prism process
    exits (same root cause as stoplightio/prism#1934). Replaying the suite's reproduction of the
    finding above against a fresh Prism, started as shipped, takes it down."""
    _, summary, _ = kept_alive
    reproduction = hang(summary)["reproduction"]
    headers = {k: v.replace("$FAXPLUS_TOKEN", TOKEN) for k, v in reproduction["request_headers"].items()}
    body = reproduction["request_body"].encode("utf-8", "surrogateescape")
    with prism_mock(prism_cli, tmp_path) as prism:
        with pytest.raises(httpx.TransportError):  # the connection is dropped: no HTTP answer at all
            httpx.post(f"{prism.base_url}/hooks", headers=headers, content=body, timeout=5)
        assert prism.ends(), "Prism survived: has the sl-violations crash been fixed? update docs/benchmarks.md"
        log = prism.output()
    assert "Invalid character in header content" in log and "sl-violations" in log, log[-1500:]


def test_prism_validates_the_webhook_schema_like_the_reference(kept_alive: KeptAlive) -> None:
    """Everything the schema itself decides, Prism decides as the reference mock does: valid
    Webhooks get 200 with a WebhookId, and E.164, enum, required and type violations get 400
    with an Error (ECMA `$` does not match before a trailing newline; `[0-9]` is ASCII only)."""
    _, summary, _ = kept_alive
    families = summary["families"]
    clean = (
        "valid-webhook",
        "no-credentials",
        "wrong-media-type",
        "missing-target",
        "missing-event",
        "event-unknown",
        "event-wrong-type",
        "numbers-empty",
        "numbers-letters",
        "numbers-too-long",
        "numbers-trailing-newline",
        "numbers-non-ascii-digits",
        "numbers-leading-zero",
        "target-wrong-type",
    )
    for family in clean:
        assert family in families, f"family {family} did not run"
        assert families[family]["fail"] == 0, f"{family}: {families[family]}"
    assert families["valid-webhook"]["pass"] > 0
