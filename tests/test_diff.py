"""The differential run (`faxplus-conformance diff`): where a candidate and a reference part ways.

First the judging stage on its own (signatures, noise, grouping, baseline), then the real CLI (its
`main` in this process; a subprocess where it is signalled) against real mocks on 127.0.0.1: the
reference mock against itself (no divergence, though every id it hands out is random), a reference
with a noisy twin, a baseline, and every conformant variant of the catalogue as the candidate, which
must diverge exactly as the variant declares (`Variant.diverges`) and nothing else. With the variant
as the candidate, the variant also goes through the whole normal pipeline, so each of these runs
proves what tests/test_variants.py proves too. Prism, when Node.js is there, is the last peer (see
tests/test_prism.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CliResult, Watched, cli_in_process, run_cli, run_suite_in_pytest, spawn_cli, wait_until
from helpers.prism import prism_cli, prism_mock  # noqa: F401 - the pinned Prism (a fixture) and how it is started
from helpers.selections import REGISTERS
from tiers import SYSTEM, sampled

from conformance.judge import Kind, Reproduction, Verdict
from conformance.judge._divergence import DivergenceGroup, Divergences, describe, differences, signature_of
from conformance.mock import VARIANTS, MockServer, Variant
from conformance.mock.variants import CREDENTIAL_KINDS

TOKEN = "diff-candidate-token-31c9"
REFERENCE_TOKEN = "diff-reference-token-8e2b"
NO_REP = Reproduction("curl …", "POST", "http://127.0.0.1/hooks", {}, "{}", 400, {}, "{}")


# --- the judging stage ---------------------------------------------------------------------------
def _error(code: str, status: int = 400) -> dict[str, str]:
    return signature_of(status, "application/json", json.dumps({"error": code, "description": "x"}).encode())


def test_signature_compares_shape_not_values() -> None:
    hex_id = signature_of(200, "application/json", b'{"id": "5f1c2d3e4a5b6c7d8e9f0a1b"}')
    uuid_id = signature_of(
        200, "application/json; charset=utf-8", b'{\n  "id": "9b2e0f4c-1d2a-4e5b-8c7d-6a5b4c3d2e1f"\n}'
    )
    assert differences(hex_id, uuid_id) == {}
    assert hex_id["registered"] == "yes"
    assert differences(hex_id, signature_of(200, "application/json", b'{"id": 7}')) == {
        "body $.id": ("string", "number")
    }


def test_error_codes_are_compared_with_identifiers_normalised() -> None:
    assert differences(_error("req_5f1c2d3e4a5b6c7d_bad"), _error("req_0a1b2c3d4e5f6a7b_bad")) == {}
    assert differences(_error("invalid_body"), _error("invalid_webhook")) == {
        "Error.error": ("invalid_body", "invalid_webhook")
    }


def test_cause_names_the_differing_fields_candidate_first() -> None:
    a, b = _error("unsupported", 415), _error("invalid_body", 400)
    assert describe(differences(a, b), a, b) == "status 415 vs 400; Error.error unsupported vs invalid_body"
    problem = signature_of(401, "application/problem+json", b'{"title": "no", "status": 401}')
    cause = describe(differences(problem, _error("unauthorized", 401)), problem, _error("unauthorized", 401))
    assert "body {title:string,status:number} vs {error:string,description:string}" in cause


def _compare(ledger: Divergences, family: str, candidate: dict, reference: dict, verdict: Verdict = Verdict.PASS):
    ledger.compare("t", family, Kind.WRONG_MEDIA_TYPE, (candidate, NO_REP, verdict), (reference, NO_REP, Verdict.PASS))


def test_divergences_group_by_cause_not_by_example() -> None:
    ledger = Divergences()
    _compare(ledger, "wrong-media-type", _error("a", 415), _error("a", 400))
    _compare(ledger, "other-family", _error("a", 415), _error("a", 400))
    _compare(ledger, "same", _error("a", 400), _error("a", 400))
    [group] = ledger.groups()
    assert (group.cause, group.kind, group.families) == (
        "status 415 vs 400",
        Kind.WRONG_MEDIA_TYPE,
        ["other-family", "wrong-media-type"],
    )
    assert group.id == DivergenceGroup("status 415 vs 400", Kind.WRONG_MEDIA_TYPE, ()).id
    assert group.id.startswith("diff#") and ledger.compared == 3


def test_a_contract_violation_is_not_a_divergence() -> None:
    ledger = Divergences()
    _compare(ledger, "f", _error("a", 422), _error("a", 400), verdict=Verdict.FAIL)
    assert (ledger.groups(), ledger.contested) == ([], 1)


def test_noise_learned_later_in_the_run_still_silences_a_field() -> None:
    ledger = Divergences()
    _compare(ledger, "f", _error("a", 415), _error("b", 400))
    ledger.learn_noise(_error("x", 400), _error("x", 403))  # the reference disagrees with itself on status
    [group] = ledger.groups()
    assert group.cause == "Error.error a vs b" and ledger.noise == {"status"}
    ledger.learn_noise(_error("x", 400), _error("y", 400))
    assert ledger.groups() == [] and ledger.remaining() == []


def test_baseline_accepts_a_known_divergence() -> None:
    ledger = Divergences()
    _compare(ledger, "f", _error("a", 415), _error("a", 400))
    ledger.accepted = {ledger.groups()[0].id}
    assert ledger.groups()[0].accepted and ledger.remaining() == []
    assert ledger.as_dict()["accepted"] == 1


# --- the CLI against real servers ----------------------------------------------------------------
def diff(out: Path, *references: str, base_url: str | None = None, extra: tuple[str, ...] = ()) -> CliResult:
    args: list[object] = ["diff", "--no-html", "--output-dir", out, *extra]
    if base_url:
        args += ["--base-url", base_url]
    for url in references:
        args += ["--reference-url", url]
    result = cli_in_process(*args, env={"FAXPLUS_TOKEN": TOKEN, "FAXPLUS_REFERENCE_TOKEN": REFERENCE_TOKEN})
    return CliResult(result.returncode, result.stdout, result.stderr, out)


def causes(summary: dict) -> set[str]:
    return {f"{g['cause']} ({g['kind']})" for g in summary["divergences"]["groups"]}


def no_secret_in(result: CliResult) -> None:
    written = result.output + "".join(
        p.read_text(errors="replace") for p in result.output_dir.rglob("*") if p.is_file()
    )
    assert TOKEN not in written and REFERENCE_TOKEN not in written


def test_reference_mock_against_itself_has_no_divergence(tmp_path: Path) -> None:
    """The embedded mock (the candidate, no --base-url) against another reference mock, given twice
    (a second pass, for noise): every id differs, nothing diverges, nothing is noise."""
    with MockServer(token=REFERENCE_TOKEN) as reference:
        result = diff(tmp_path, reference.url, reference.url)
        left = reference.store.all()
    summary = result.summary()
    data = summary["divergences"]
    assert result.returncode == 0, result.output[-2000:]
    assert (data["groups"], data["noise"], data["contested"]) == ([], [], 0)
    assert data["compared"] > 500 and data["requests"] == 2 * data["compared"]
    assert data["reference_verdict"] != "fail" and summary["exit_code"] == 0
    assert left == [], "the reference's own cleanup deleted what it registered"
    assert "$FAXPLUS_REFERENCE_TOKEN" in summary["replay"]
    no_secret_in(result)


@SYSTEM
def test_noise_from_a_twin_reference_never_counts(tmp_path: Path) -> None:
    """Reference and twin disagree on the status of refused credentials (401 / 403): status is noise,
    so the candidate's 401 against the reference's 403 is no divergence."""
    with (
        MockServer(token=REFERENCE_TOKEN, variant=VARIANTS.get("forbidden-403")) as reference,
        MockServer(token=REFERENCE_TOKEN) as twin,
    ):
        result = diff(tmp_path, reference.url, twin.url)
    data = result.summary()["divergences"]
    assert data["noise"] == ["status"]
    assert (data["groups"], result.returncode) == ([], 0), result.output[-2000:]


def _group_id(declared: str) -> str:
    """The id of a declared divergence `cause (kind)`: the same in every run that finds it."""
    cause, kind = declared.rsplit(" (", 1)
    return DivergenceGroup(cause, Kind(kind.removesuffix(")")), ()).id


@SYSTEM
def test_update_baseline_writes_divergences_and_baseline_accepts_them(tmp_path: Path) -> None:
    variant = VARIANTS.get("forbidden-403")
    accepted = sorted(_group_id(c) for c in variant.diverges)
    baseline = tmp_path / "baseline.json"
    with MockServer(token=TOKEN, variant=variant) as candidate, MockServer(token=REFERENCE_TOKEN) as reference:
        update = ("--baseline", str(baseline), "--update-baseline")
        written = diff(tmp_path / "update", reference.url, base_url=candidate.url, extra=update)
        gated = diff(tmp_path / "gate", reference.url, base_url=candidate.url, extra=("--baseline", str(baseline)))
    ids = [entry["id"] for entry in json.loads(baseline.read_text())["accepted"]]
    assert written.returncode == 0 and sorted(i for i in ids if i.startswith("diff#")) == accepted
    summary = gated.summary()
    assert gated.returncode == 0, gated.output[-2000:]
    assert (summary["divergences"]["remaining"], summary["divergences"]["accepted"]) == (0, 3)
    assert summary["baseline"]["stale"] == [] and sorted(summary["baseline"]["matched"]) == accepted
    assert "accepted [baseline]" in gated.stdout


@pytest.mark.parametrize("variant", sampled(VARIANTS, every=7, ids=lambda v: v.name))
def test_variant_diverges_only_as_declared(variant: Variant, tmp_path: Path) -> None:
    with MockServer(token=TOKEN, variant=variant) as candidate, MockServer(token=REFERENCE_TOKEN) as reference:
        result = diff(tmp_path, reference.url, base_url=candidate.url)
        left = candidate.store.all() + reference.store.all()
    summary = result.summary()
    assert causes(summary) == set(variant.diverges), result.output[-3000:]
    assert [f["id"] for f in summary["findings"] if f["verdict"] == "fail"] == [], "the variant conforms"
    assert summary["verdict"] in ("pass", "warn") and summary["divergences"]["not_compared"] == 0
    assert summary["divergences"]["reference_verdict"] != "fail"
    assert result.returncode == (1 if variant.diverges else 0), result.output[-2000:]
    assert left == [], "each side's cleanup deleted what it registered"
    allure = [json.loads(p.read_text()) for p in (tmp_path / "allure-results").glob("*-result.json")]
    assert len([r for r in allure if r["fullName"].startswith("conformance.diff#")]) == len(variant.diverges)
    markdown = (tmp_path / "summary.md").read_text()
    assert ("| cause | request kind | cases | candidate | reference |" in markdown) == bool(variant.diverges)


def test_diff_needs_a_reference_and_its_credentials(tmp_path: Path) -> None:
    no_reference = run_cli("diff", "--no-html", "--output-dir", tmp_path)
    assert no_reference.returncode == 2 and "--reference-url" in no_reference.stderr
    no_token = run_cli("diff", "--reference-url", "http://127.0.0.1:9/v3", "--output-dir", tmp_path)
    assert no_token.returncode == 2 and "FAXPLUS_REFERENCE_TOKEN" in no_token.stderr
    unreachable = diff(tmp_path, "http://127.0.0.1:9/v3")
    assert unreachable.returncode == 2 and "reference: cannot reach" in unreachable.stderr
    assert "Traceback" not in unreachable.output


# --- Prism as the candidate ----------------------------------------------------------------------
# Where Prism (answering the spec's examples) and the reference mock both conform yet part ways.
PRISM_PROBLEM = (
    "media-type application/problem+json vs application/json; Error.error absent vs unauthorized; body "
    "{type:string,title:string,status:number,detail:string,headers:{WWW-Authenticate:string}} vs "
    "{error:string,description:string}"
)
PRISM_DIVERGES = {
    "Error.error invalid_user_id vs invalid_webhook (invalid)",  # every 400 is the spec's one example
    "Error.error invalid_user_id vs invalid_content_type (wrong-media-type)",
    "Error.error invalid_user_id vs invalid_body (not-json)",
    f"{PRISM_PROBLEM} (refused-credentials)",
    f"{PRISM_PROBLEM} (no-credentials)",
    # Node reads ill-formed UTF-8 leniently; the reference refuses it.
    "status 200 vs 400; registered yes vs no; Error.error absent vs invalid_body; "
    "body {id:string} vs {error:string,description:string} (lenient)",
    # Prism takes the scheme `Bearer` literally; the reference accepts `bearer` (RFC 7235).
    "status 401 vs 200; media-type application/problem+json vs application/json; registered no vs yes; "
    "body {type:string,title:string,status:number,detail:string,headers:{WWW-Authenticate:string}} vs {id:string} "
    "(credentials-variant)",
    # Issue 20's stack classes: Node answers 431 to a 48 KB header, Python's http.server to 120 headers
    # (both allowed); the over-limits families get Prism's one example Error, as every 400 does.
    "status 200 vs 431; media-type application/json vs text/html; registered yes vs no; body {id:string} vs not JSON "
    "(limits-envelope)",
    "Error.error invalid_user_id vs invalid_content_type (over-limits)",
    "Error.error invalid_user_id vs invalid_webhook (over-limits)",
    # Deep nesting and ill-formed UTF-8: the reference names the body, Prism gives its one example.
    "Error.error invalid_user_id vs invalid_body (invalid)",
    # A repeated singleton header: Node reads the first line and registers, the reference refuses
    # (RFC 9110 §5.3 leaves it to the recipient; both are a pass or a warn, never a fail).
    "status 200 vs 400; registered yes vs no; Error.error absent vs invalid_request; body {id:string} vs "
    "{error:string,description:string} (repeated-header)",
}
# Node answers 431 to a 48 KB header and closes at once; when the close beats the rest of the
# request, the kernel's reset discards the 431 and the case is Prism's transport fail (not compared).
PRISM_MAY_DIVERGE = {
    "status 431 vs 200; media-type (none) vs application/json; registered no vs yes; body empty vs {id:string} "
    "(limits-envelope)",
}


@SYSTEM
def test_prism_diverges_where_known(prism_cli: Path, tmp_path: Path) -> None:  # noqa: F811
    with (
        prism_mock(prism_cli, tmp_path, node_options="--unhandled-rejections=warn") as prism,
        MockServer(token=REFERENCE_TOKEN) as reference,
    ):
        result = diff(tmp_path / "out", reference.url, base_url=prism.base_url)
        left = reference.store.all()
    summary = result.summary()
    assert PRISM_DIVERGES <= causes(summary) <= PRISM_DIVERGES | PRISM_MAY_DIVERGE, result.output[-3000:]
    # Prism's contract violations (any token accepted, no body registered) are the checks' to report.
    assert summary["divergences"]["contested"] > 0 and summary["verdict"] == "fail"
    assert result.returncode == 1 and left == []


def test_plain_pytest_diffs_too(tmp_path: Path) -> None:
    """One pipeline: the pytest plugin takes the same options, so `pytest --pyargs conformance.suite
    --reference-url URL` compares as `diff` does (here, to stay fast, a test of each credential kind the
    403 variant answers otherwise: none, a wrong one, a refused form; and a wrong media type, answered alike)."""
    with MockServer(token=REFERENCE_TOKEN, variant=VARIANTS.get("forbidden-403")) as reference:
        proc = run_suite_in_pytest(
            *("-k", "request_envelope or auth-empty-bearer", "--reference-url", reference.url),
            *("--output-dir", tmp_path),
            env={"FAXPLUS_REFERENCE_TOKEN": REFERENCE_TOKEN},
        )
    summary = json.loads((tmp_path / "summary.json").read_text())
    # The embedded mock is the candidate here, the 403 variant the reference: 401 vs 403.
    expected = {f"status 401 vs 403 ({kind})" for kind in CREDENTIAL_KINDS}
    assert causes(summary) == expected, proc.stdout[-2000:]
    assert summary["exit_code"] == 1 and "diff --tier ci" in summary["replay"]


@SYSTEM  # waits out a reference that hangs: the system tier
def test_a_reference_that_stops_answering_makes_the_diff_incomplete(tmp_path: Path) -> None:
    """Its timeouts are the reference's transport fails (reported, not counted against the candidate),
    the cases it never answered afterwards are reported as not compared, and the diff is incomplete:
    exit 2, an infrastructure error (docs/diff.md)."""
    from helpers.wire_servers import WireServer, hold

    def silent(request: object, sock: object) -> bool:
        hold(sock, 30)  # type: ignore[arg-type]
        return False

    with WireServer(silent) as reference:
        result = diff(tmp_path, reference.url, extra=("--timeout", "0.5", "--cleanup-timeout", "2"))
    data = result.summary()["divergences"]
    assert result.returncode == 2 and "incomplete diff: reference:" in result.stderr, result.output[-2000:]
    assert data["not_compared"] > 500 and data["stopped"].startswith("reference:")
    assert [g["check"] for g in data["reference_findings"]] == ["transport"]


def test_a_second_signal_ends_a_diff_at_once_while_the_reference_hangs(tmp_path: Path) -> None:
    """The reference's requests go out on the run's own Wire: a second signal cancels them (cleanup
    included) as it cancels the candidate's, and the run ends at once."""
    import signal
    import time

    from helpers.wire_servers import WireServer, answer, hold

    def hangs_after_preflight(request: object, sock: object) -> bool:
        if request.body.strip() == b"[]":  # type: ignore[attr-defined]
            answer(sock, 400, b'{"error": "invalid", "description": "not an object"}')  # type: ignore[arg-type]
            return True
        hold(sock, 120)  # type: ignore[arg-type]
        return False

    with WireServer(hangs_after_preflight) as reference:
        proc = spawn_cli(
            *("diff", "--reference-url", reference.url, "--timeout", "60", "--cleanup-timeout", "60"),
            *("--no-html", "--output-dir", tmp_path, "-k", REGISTERS),  # ~27 cases for the reference to hold
            env={"FAXPLUS_REFERENCE_TOKEN": REFERENCE_TOKEN},
        )
        run = Watched(proc)
        wait_until(proc, lambda: len(reference.requests) >= 2)
        proc.send_signal(signal.SIGTERM)
        # Once the run has taken the first signal (it says so; two that arrive before its handler runs are one).
        wait_until(proc, lambda: run.printed("SIGTERM: stopping;"))
        time.sleep(0.5)
        assert proc.poll() is None, "after the first signal, the hanging reference still holds the run"
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = run.communicate(timeout=60)
        took = time.monotonic() - signalled
    assert proc.returncode == 2 and "Traceback" not in stdout + stderr, stdout[-2000:] + stderr[-2000:]
    assert took <= 10, f"ended {took:.1f} s after the second signal, not at once"
    assert (tmp_path / "summary.json").is_file()
