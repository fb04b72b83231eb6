"""summary.json is versioned and published as a JSON Schema: real summaries conform, broken ones do not.

(tests/conftest.py also validates every summary.json any test writes, at the end of the session.)
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import SharedRuns, run_cli, schema_errors, summaries_under

from conformance.report.summary import SCHEMA_PATH, SCHEMA_VERSION, schema

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def summary(shared_runs: SharedRuns) -> dict[str, Any]:
    result = shared_runs("embedded", lambda out: run_cli("run", "--no-html", "--output-dir", out))
    return result.summary()


def errors(data: dict[str, Any]) -> list[str]:
    return [e.message for e in jsonschema.Draft202012Validator(schema()).iter_errors(data)]


def test_the_schema_is_a_valid_2020_12_schema_shipped_as_package_data() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'conformance = \[[^\]]*"report/\*\.json"', pyproject), "schema not in package-data"
    assert SCHEMA_PATH.parent == ROOT / "conformance" / "report"


def test_a_real_summary_carries_the_version_and_conforms(summary: dict[str, Any]) -> None:
    assert summary["schema_version"] == SCHEMA_VERSION == "1.5"
    assert errors(summary) == []


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(lambda d: d.pop("schema_version"), id="no-version"),
        pytest.param(lambda d: d.update(schema_version="2.0"), id="other-major"),
        pytest.param(lambda d: d.update(verdict="maybe"), id="unknown-verdict"),
        pytest.param(lambda d: d.update(surprise=1), id="undeclared-key"),
        pytest.param(lambda d: d["findings"].append({"id": "x"}), id="finding-without-fields"),
        pytest.param(lambda d: d["counts"].pop("fail"), id="counts-without-fail"),
    ],
)
def test_a_changed_shape_does_not_conform(summary: dict[str, Any], break_it: Any) -> None:
    broken = copy.deepcopy(summary)
    break_it(broken)
    assert errors(broken)


def test_the_session_hook_finds_summaries_but_not_allures_own(tmp_path: Path, summary: dict[str, Any]) -> None:
    (tmp_path / "a" / "html").mkdir(parents=True)
    (tmp_path / "a" / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (tmp_path / "a" / "html" / "summary.json").write_text('{"stats": {}}', encoding="utf-8")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "summary.json").write_text('{"verdict": "pass"}', encoding="utf-8")
    found = summaries_under(tmp_path)
    assert found == [tmp_path / "a" / "summary.json", tmp_path / "b" / "summary.json"]
    assert schema_errors(found[0]) == []
    assert any("schema_version" in e for e in schema_errors(found[1]))
    (tmp_path / "b" / "summary.json").unlink()  # or the session hook would (rightly) fail the session


def test_readme_links_the_schema_and_changelog_notes_the_version() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(conformance/report/summary.schema.json)" in readme
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"summary.json schema {SCHEMA_VERSION}" in changelog
