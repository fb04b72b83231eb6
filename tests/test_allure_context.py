"""conformance.report.allure_context: environment.properties, categories.json, executor.json."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

import conformance
from conformance.contract import vendored
from conformance.judge._checks import run_checks
from conformance.judge._expectation import Kind
from conformance.judge._verdict import Category, Verdict, Violation
from conformance.report import allure_context
from conformance.report.allure_cli import reports_dir
from conformance.report.allure_install import ensure_allure
from conformance.send import Exchange

VENDORED = vendored()  # the contract these tests judge by

CURL = "curl -sS -i -X POST http://127.0.0.1:1/v3/hooks -H 'Content-Type: application/json' --data-binary '{}'"
PREFIX = "conformance.plugin.ContractViolation: "  # allure-pytest puts the exception type in front


def message(*findings: tuple[str, Violation]) -> str:
    """A failure message exactly as conformance.plugin._explain builds it (and Allure receives it)."""
    lines = [f"[{family} :: {v.check}] {v.message}\n    replay: {CURL}" for family, v in findings]
    return f"{PREFIX}{len(findings)} of 9 cases broke the contract\n" + "\n".join(lines)


def first_category(text: str, *, java: bool) -> str | None:
    """The category Allure picks: Allure 2 (Java) needs a whole match, Allure 3 (JavaScript) searches."""
    for category in allure_context.categories():
        pattern = re.compile(category["messageRegex"])
        if pattern.fullmatch(text) if java else pattern.search(text):
            return category["name"]
    return None


def exchange(status: int | None, body: bytes = b"", content_type: str = "application/json", **kw) -> Exchange:
    return Exchange(
        "POST",
        "http://127.0.0.1:1/v3/hooks",
        {},
        b"{}",
        status=status,
        response_headers={"content-type": content_type} if status else {},
        response_body=body,
        **kw,
    )


def real_violations() -> list[tuple[Kind, Violation]]:
    """Every FAIL the checks produce over a grid of answers, with the checks' own message texts."""
    answers = [
        exchange(200, b'{"id": "abc"}'),
        exchange(201, b'{"id": "abc"}'),
        exchange(204),
        exchange(302, b""),
        exchange(400, b'{"error": "invalid", "description": "x"}'),
        exchange(401, b'{"error": "unauthorized"}'),
        exchange(404, b'{"error": "not_found"}'),
        exchange(418, b"teapot", "text/plain"),
        exchange(200, b"not json", "text/html"),
        exchange(200, b'{"id": 5}'),
        exchange(500, b'{"error": "boom"}'),
        exchange(503, b"down", "text/plain"),
        exchange(None, error="timeout", error_detail="no answer within 5 s"),
        exchange(None, error="connect", error_detail="connection refused"),
    ]
    found = []
    for kind in Kind:
        for answer in answers:
            found += [(kind, v) for v in run_checks(answer, kind, VENDORED) if v.verdict is Verdict.FAIL]
    return found


FAILS = real_violations()


def test_every_failing_category_is_covered():
    names = [c["name"] for c in allure_context.categories()]
    assert names == list(dict.fromkeys(names)), "category names must be unique"
    # Warn-only categories never make a test fail.
    warn_only = {str(Category.SPEC_GAP), str(Category.LENIENT_PARSING), str(Category.HYGIENE)}
    assert set(names) == {str(c) for c in Category} - warn_only
    assert {str(v.category) for _, v in FAILS} == set(names), "the answer grid reaches every category"
    for category in allure_context.categories():
        assert category["matchedStatuses"] == ["failed"]
        assert category["description"]


@pytest.mark.parametrize("java", [True, False], ids=["allure2-java-matches", "allure3-js-test"])
def test_each_real_violation_lands_in_its_category(java):
    assert len(FAILS) > 20
    for kind, violation in FAILS:
        family = {Kind.NO_CREDENTIALS: "no-credentials", Kind.WRONG_CREDENTIALS: "wrong-credentials"}.get(kind)
        family = family or {Kind.REFUSED_CREDENTIALS: "auth-basic-scheme"}.get(kind)
        family = family or ("auth-lowercase-scheme" if kind is Kind.CREDENTIALS_VARIANT else "numbers-empty")
        text = message((family, violation))
        assert first_category(text, java=java) == str(violation.category), text


def test_credentials_families_are_credential_findings():
    v = Violation("status", Verdict.FAIL, Category.AUTH, "200 for a no-credentials request: something new")
    assert first_category(message(("no-credentials", v)), java=True) == "credentials not checked"
    assert first_category(message(("wrong-credentials", v)), java=False) == "credentials not checked"


def test_most_severe_finding_wins():
    invalid = next(v for _, v in FAILS if v.category is Category.INVALID_ACCEPTED)
    server = next(v for _, v in FAILS if v.category is Category.SERVER_ERROR)
    schema = next(v for _, v in FAILS if v.category is Category.SCHEMA_MISMATCH)
    both = message(("numbers-empty", schema), ("numbers-empty", invalid), ("body-empty", server))
    assert first_category(both, java=True) == first_category(both, java=False) == "server error"
    assert first_category(message(("x", schema), ("x", invalid)), java=True) == "invalid payload accepted"


def test_other_failures_fall_through_to_allures_defaults():
    assert first_category(f"{PREFIX}boom", java=False) is None
    assert first_category("AssertionError: assert 1 == 2", java=True) is None
    warn = Violation("response-detail", Verdict.WARN, Category.SPEC_GAP, "Error carries no `error` code")
    assert first_category(message(("x", warn)), java=False) is None


def test_safe_url_drops_credentials():
    assert (
        allure_context.safe_url("https://user:secret@api.example:8443/v3?token=abc#f") == "https://api.example:8443/v3"
    )
    assert allure_context.safe_url("http://127.0.0.1:9/v3") == "http://127.0.0.1:9/v3"
    assert allure_context.safe_url("http://[::1]:9/v3") == "http://[::1]:9/v3"


def parse_properties(text: str) -> dict[str, str]:
    """Enough of java.util.Properties.load for what `properties()` writes."""
    result = {}
    for line in text.splitlines():
        key, value, escaped, in_key = "", "", False, True
        chars = iter(line)
        for ch in chars:
            if escaped:
                if ch == "u":
                    ch = chr(int("".join(next(chars) for _ in range(4)), 16))
                else:
                    ch = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(ch, ch)
                escaped = False
            elif ch == "\\":
                escaped = True
                continue
            elif in_key and ch in "=:":
                in_key = False
                continue
            if in_key:
                key += ch
            else:
                value += ch
        result[key] = value.encode("utf-16", "surrogatepass").decode("utf-16")
    return result


def test_properties_escaping_round_trips():
    values = {"Base URL": "http://h:1/v3", "Spec": " Fax.Plus é 🦜", "a=b:c": "x\\y\nz=#!", "Seed": ""}
    text = allure_context.properties(values)
    text.encode("ascii")  # Java reads .properties as ISO-8859-1: everything else must be \u-escaped
    assert len(text.splitlines()) == len(values)
    assert parse_properties(text) == values


def test_write_without_ci(tmp_path):
    results = tmp_path / "allure-results"
    (results).mkdir()
    (results / "executor.json").write_text("{}")  # stale, from an earlier CI run
    written = allure_context.write(
        results,
        base_url="https://bob:hunter2@staging.example/v3?key=k",
        tier="nightly",
        seed=1234,
        spec_title="Fax.Plus REST API",
        spec_version="3.4.0",
        env={"CI": "true", "HOME": "/root"},
    )
    assert sorted(p.name for p in written) == ["categories.json", "environment.properties"]
    assert not (results / "executor.json").exists(), "plain CI=true is no executor"
    env = parse_properties((results / "environment.properties").read_text(encoding="latin-1"))
    assert env["Base URL"] == "https://staging.example/v3"
    assert "hunter2" not in str(env) and "key=k" not in str(env)
    assert env["Spec"] == "Fax.Plus REST API" and env["Spec version"] == "3.4.0"
    assert env["Suite version"] == conformance.__version__
    assert env["Tier"] == "nightly" and env["Seed"] == "1234"
    assert {"Python", "schemathesis", "hypothesis"} <= env.keys()
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", env["schemathesis"])
    assert json.loads((results / "categories.json").read_text()) == allure_context.categories()


GITHUB = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/faxplus-conformance",
    "GITHUB_RUN_ID": "987654321",
    "GITHUB_RUN_NUMBER": "42",
    "GITHUB_WORKFLOW": "conformance",
}
GITLAB = {
    "CI": "true",
    "GITLAB_CI": "true",
    "CI_PIPELINE_URL": "https://gitlab.example/acme/fax/-/pipelines/77",
    "CI_JOB_URL": "https://gitlab.example/acme/fax/-/jobs/501",
    "CI_PIPELINE_ID": "77",
    "CI_JOB_NAME": "conformance",
    "CI_PROJECT_NAME": "fax",
}


def test_executor_github_actions(tmp_path):
    allure_context.write(tmp_path, base_url="", tier="ci", seed=0, spec_title="T", spec_version="1", env=GITHUB)
    job = json.loads((tmp_path / "executor.json").read_text())
    assert job == {
        "name": "GitHub Actions",
        "type": "github",
        "url": "https://github.com/acme/faxplus-conformance",
        "buildOrder": 42,
        "buildName": "conformance #42",
        "buildUrl": "https://github.com/acme/faxplus-conformance/actions/runs/987654321",
    }


def test_executor_gitlab_ci():
    assert allure_context.executor(GITLAB) == {
        "name": "GitLab CI",
        "type": "gitlab",
        "url": "https://gitlab.example/acme/fax/-/pipelines/77",
        "buildOrder": 77,
        "buildName": "fax conformance #77",
        "buildUrl": "https://gitlab.example/acme/fax/-/jobs/501",
    }


def test_no_executor_outside_ci():
    assert allure_context.executor({}) is None
    assert allure_context.executor({"CI": "true", "CI_SERVER": "yes"}) is None
    assert allure_context.executor({"GITHUB_RUN_NUMBER": "3"}) is None  # no run to link to


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_allure3_reads_what_we_write(tmp_path):
    """Allure 3's own properties parser and category matcher, when the pinned package is installed."""
    ensure_allure()  # npm ci of the pinned package, as the first HTML build would
    dist = reports_dir() / "node_modules" / "@allurereport"
    allure_context.write(
        tmp_path, base_url="http://u:p@127.0.0.1:8/v3", tier="ci", seed=0, spec_title="Fax é", spec_version="3"
    )
    invalid = next(v for _, v in FAILS if v.category is Category.INVALID_ACCEPTED)
    (tmp_path / "message.txt").write_text(message(("numbers-empty", invalid)))
    script = f"""
        import fs from "fs";
        import {{ parseProperties }} from "{(dist / "reader/dist/properties.js").as_uri()}";
        import {{ normalizeCategoriesConfig, matchCategory }} from "{(dist / "core-api/dist/categories.js").as_uri()}";
        const dir = {json.dumps(str(tmp_path))};
        const env = parseProperties(fs.readFileSync(dir + "/environment.properties", "latin1"));
        const cats = normalizeCategoriesConfig(JSON.parse(fs.readFileSync(dir + "/categories.json", "utf8")));
        const msg = fs.readFileSync(dir + "/message.txt", "utf8");
        const hit = matchCategory(cats, {{ status: "failed", message: msg, labels: [] }});
        console.log(JSON.stringify({{ env, category: hit && hit.name }}));
    """
    proc = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["env"]["Base URL"] == "http://127.0.0.1:8/v3"
    assert got["env"]["Spec"] == "Fax é"
    assert got["category"] == "invalid payload accepted"


def test_unfinished_fixture_teardowns_are_dropped(tmp_path):
    finished = {"name": "probe::close", "status": "passed", "start": 1, "stop": 2}
    unfinished = {"name": "probe::<lambda>", "start": 3}
    container = tmp_path / "x-container.json"
    container.write_text(json.dumps({"uuid": "x", "afters": [finished, unfinished], "befores": [finished]}))
    assert allure_context.drop_unfinished_fixtures(tmp_path) == 1
    data = json.loads(container.read_text())
    assert data["afters"] == [finished] and data["befores"] == [finished]
