"""The SDK gate's Node driver (`--sdk node:SPEC`, drivers/node/driver.mjs) on typescript-axios SDKs.

The SDK under test is the one the contract page shows: openapi-generator's `typescript-axios` client of
the vendored contract (useSingleRequestParameter=true), generated on first use and cached under
~/.cache/faxplus-conformance/sdk/ (Java and the generator's PyPI wheel on the first run, npm for axios
and TypeScript). The broken SDK is that client with one line changed, gated from a folder (packed,
installed and compiled by the gate, as a source-only candidate is).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, SharedRuns, run_cli
from helpers.sdk_runs import fails, gate_run, warns
from tiers import SYSTEM

from conformance.contract import vendored_path
from conformance.mock import MockServer
from conformance.sdk import node
from conformance.sdk.generate import GENERATORS, generate

pytestmark = [
    SYSTEM,  # generates and builds a TypeScript client (npm, the generator's jar): `tox -e system`
    pytest.mark.skipif(shutil.which("node") is None or shutil.which("java") is None, reason="needs Node and Java"),
]

REQUEST_FUNCTION = "return axios.request<T, R>(axiosRequestArgs) as Promise<R>;"
DROP_AUTHORIZATION = (  # the break: the request function strips the bearer token before axios sends
    "const { Authorization, ...headers } = (axiosRequestArgs.headers || {}) as any;\n"
    "        return axios.request<T, R>({...axiosRequestArgs, headers}) as Promise<R>;"
)


def generated_client() -> Path:
    return generate(GENERATORS["typescript-axios"], Path(vendored_path()), say=lambda line: None)[0]


@pytest.fixture(scope="module")
def typescript_axios(shared_runs: SharedRuns) -> tuple[CliResult, dict[str, Any]]:
    return gate_run(shared_runs, "typescript-axios", "--generate", "typescript-axios")


def test_generated_typescript_axios_client_passes_with_audited_warnings(
    typescript_axios: tuple[CliResult, dict[str, Any]],
) -> None:
    """Audited by hand (docs/sdk-gate.md): what openapi-generator 7.26.0's typescript-axios gets right and wrong."""
    result, summary = typescript_axios
    assert result.returncode == 0 == summary["exit_code"] and summary["verdict"] == "warn", result.output
    sdk = summary["sdk"]
    assert (sdk["language"], sdk["name"], sdk["version"]) == ("node", "faxplus_generated", "0.0.0-generated")
    assert sdk["generator"]["name"] == "typescript-axios" and sdk["generator"]["version"] == "7.26.0"
    assert sdk["generator"]["options"]["useSingleRequestParameter"] == "true"
    assert not fails(summary)
    # Right: every event, numbers as a list and as null (`Array<string> | null`), a client id, OAuth's
    # x-fax-clientid from baseOptions.headers, the id of a 200, status and Error fields of a 400/500.
    families = summary["families"]
    for family in ("valid/numbers=null", "valid/numbers=list", "valid/id", "auth/oauth", "response/400"):
        assert families[family]["fail"] == 0 and families[family]["pass"] >= 1, family
    # Wrong: the page's `WebhooksApiFp(config).createWebhook({webhook})` is not this SDK's Fp signature, and
    # a 200 without a usable id (renamed, numeric, a rejection sent as 200) is passed through unchecked.
    assert set(warns(summary)) == {
        "valid/event=fax_received::call-shape",
        "server-fault/webhook-id-renamed::sdk-behaviour",
        "server-fault/webhook-id-not-string::sdk-behaviour",
        "server-fault/rejection-200::sdk-behaviour",
    }
    assert '{"webhook": {...}}' in warns(summary)["valid/event=fax_received::call-shape"]["message"]
    # No rule is checked before sending (the server's 400 is surfaced each time); TypeScript's types catch
    # only the unknown event, at compile time.
    checked = {row["case"]: row for row in sdk["client_validation"]}
    assert not any(row["checked_client_side"] for row in checked.values()) and len(checked) == 5
    assert {row["server_status"] for row in checked.values()} == {400}
    assert "TypeScript: event 'fax_deleted' is not a member" in " ".join(checked["event-unknown"]["typed"])
    rows = {row["fault"]: row for row in summary["server_faults"]}
    assert rows["rejection-409"]["behaviour"].startswith("raised AxiosError: Request failed with status code 409")
    assert '"status": 409, "error": "invalid_webhook"' in rows["rejection-409"]["behaviour"]


def test_the_javascript_replay_snippet_runs_against_a_mock(no_authorization: dict[str, Any]) -> None:
    """The `sdk_call` of an OAuth finding is JavaScript: run with the generated SDK, it registers the webhook."""
    snippet = fails(no_authorization)["auth/oauth::wire-auth"]["reproduction"]["sdk_call"]
    assert "WebhooksApiFp(config).createWebhook(" in snippet and '"x-fax-clientid": "sdk-gate-client"' in snippet
    sdk = node.install(str(generated_client()), say=lambda line: None)
    with MockServer(port=0) as mock:
        script = sdk.prefix / f"replay-{mock.port}.mjs"  # inside the prefix, so `import "faxplus_generated"` resolves
        script.write_text(snippet.replace("http://127.0.0.1:8080/v3", mock.url), encoding="utf-8")
        try:
            proc = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60)
        finally:
            script.unlink()
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("200 { id: "), proc.stdout
        sent = [r for r in mock.requests if r.method == "POST"]
    assert sent and sent[0].header("x-fax-clientid") == "sdk-gate-client"
    assert sent[0].header("authorization") == "Bearer mock-token"


@pytest.fixture(scope="module")
def no_authorization(shared_runs: SharedRuns, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("ts-axios-broken") / "client"
    shutil.copytree(generated_client(), folder)
    common = folder / "common.ts"
    source = common.read_text(encoding="utf-8")
    assert REQUEST_FUNCTION in source, "the generator's request function changed: update the break"
    common.write_text(source.replace(REQUEST_FUNCTION, DROP_AUTHORIZATION), encoding="utf-8")
    result, summary = gate_run(shared_runs, "typescript-axios-no-authorization", "--sdk", f"node:{folder}")
    assert result.returncode == 1, result.output
    return summary


def test_a_node_sdk_that_drops_authorization_is_blocked(no_authorization: dict[str, Any]) -> None:
    summary = no_authorization
    assert summary["verdict"] == "fail" and summary["sdk"]["language"] == "node"
    found = fails(summary)
    for family in ("valid/event=fax_sent", "valid/numbers=list", "auth/oauth"):
        assert f"{family}::wire-auth" in found, sorted(found)
    assert "Authorization header is absent" in found["auth/oauth::wire-auth"]["message"]
    assert not any(key.endswith(("::wire-client-id", "::wire-schema", "::expressible")) for key in found)
    assert summary["replay"].startswith("faxplus-conformance sdk --tier ci --sdk node:")


def test_node_specs_resolve_to_cache_keys(tmp_path: Path) -> None:
    tarball = tmp_path / "faxplus-sdk-1.0.0.tgz"
    tarball.write_bytes(b"one")
    target, key, pinned = node.resolve(str(tarball))
    assert target == str(tarball) and key.startswith("node-path-") and pinned
    tarball.write_bytes(b"two")  # a rebuilt candidate is installed afresh
    assert node.resolve(str(tarball))[1] != key
    assert node.resolve("@scope/sdk@1.2.3")[2] and not node.resolve("@scope/sdk")[2]
    assert node.resolve("sdk@1.2.3")[1] != node.resolve("sdk@1.2.4")[1]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--sdk", "node"), "--sdk node needs the SDK"),
        (("--sdk", "node:./no-such-sdk"), "no such file or folder"),
        (("--sdk", "ruby:x"), "give python[:REQUIREMENT] or node:PATH_OR_SPEC"),
        (("--sdk", "node:x@1", "--sdk-spec", "faxplus-api"), "give one of them"),
    ],
)
def test_bad_sdk_options_are_one_line(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    result = run_cli("sdk", *args, "--output-dir", tmp_path, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and words in result.stderr, result.stderr


# The SDK's TypeScript declarations decide what a TypeScript user can write: an installed copy of the
# generated client with its `numbers` declaration changed (the JavaScript is untouched).
NUMBERS = "'numbers'?: Array<string> | null;"
DECLARATIONS = {
    "no-numbers": ("", "valid/numbers=list::expressible"),  # like faxplus-api 3.0.5's model, in TypeScript
    "numbers-not-nullable": ("'numbers'?: Array<string>;", "valid/numbers=null::typed-null"),
}


@pytest.mark.parametrize("name", sorted(DECLARATIONS))
def test_typescript_declarations_decide_what_is_expressible(
    shared_runs: SharedRuns, tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    installed = node.install(str(generated_client()), say=lambda line: None)
    prefix = tmp_path_factory.mktemp(f"ts-{name}") / "prefix"  # the whole prefix: the SDK resolves axios there
    shutil.copytree(installed.prefix, prefix, symlinks=True)
    copy = node.NodeSdk(prefix, installed.package)
    declaration = copy.directory / "dist" / "api.d.ts"
    text = declaration.read_text(encoding="utf-8")
    assert NUMBERS in text, "the generator's Webhook declaration changed: update the test"
    replacement, finding = DECLARATIONS[name]
    declaration.write_text(text.replace(NUMBERS, replacement), encoding="utf-8")
    driver = " ".join(node.driver(copy)[0])
    result, summary = gate_run(shared_runs, f"typescript-axios-{name}", "--sdk-driver", driver)
    if name == "no-numbers":
        assert result.returncode == 1, result.output
        found = fails(summary)
        assert set(found) == {"valid/numbers=list::expressible", "valid/numbers=null::expressible"}, sorted(found)
        assert "TypeScript: interface Webhook has no property 'numbers'" in found[finding]["message"]
    else:
        assert result.returncode == 0 and not fails(summary), result.output
        assert "without '| null'" in warns(summary)[finding]["message"]
