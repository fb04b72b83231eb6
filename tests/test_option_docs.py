"""What is generated from the option table is committed as generated: README's options table and the
config file's JSON Schema; the schema takes what the config file takes and refuses what it refuses."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import jsonschema
import pytest
from helpers.readme import readme_example

from conformance import config, option_docs
from conformance.options import OPTIONS, RUN_OPTIONS

STALE = f"stale: regenerate with `{option_docs.HOW}`"


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(option_docs.SCHEMA.read_text(encoding="utf-8"))
    return loaded


def test_the_readme_table_is_the_generated_one() -> None:
    readme = option_docs.README.read_text(encoding="utf-8")
    assert option_docs.readme_section(readme) == option_docs.markdown_table(), STALE
    assert option_docs.with_table(readme) == readme, STALE


def test_the_table_is_the_rows() -> None:
    table = option_docs.markdown_table()
    assert "| `--timeout SECONDS` | `5` | seconds each exchange may take" in table
    assert "| `--tier ci\\|nightly` | `ci` |" in table and "| `-v`, `--verbose` |  |" in table
    assert "--reference-url" not in table  # diff's, described with diff
    assert table.count("\n") == 2 + sum(1 for o in RUN_OPTIONS if not o.flag.startswith("--reference-"))


def test_the_published_schema_is_the_generated_one() -> None:
    assert option_docs.SCHEMA.read_text(encoding="utf-8") == option_docs.schema_text(), STALE
    jsonschema.Draft202012Validator.check_schema(schema())


def test_the_schema_takes_the_rows_types_ranges_choices_and_help() -> None:
    properties = schema()["properties"]
    run = properties["run"]["properties"]
    timeout = OPTIONS["--timeout"]
    assert run["timeout"] == {
        "description": timeout.kwargs()["help"],
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": 3600,
        "default": 5.0,
    }
    assert run["max-live"]["minimum"] == 0 and run["max-live"]["type"] == "integer"
    assert run["tier"]["enum"] == ["ci", "nightly"] and run["no-cleanup"]["type"] == "boolean"
    assert "token" not in run and run["token-env"]["type"] == "string"  # secrets: never in the file
    assert "reference-url" not in run and "reference-url" in properties["diff"]["properties"]
    assert properties["mock"]["properties"]["port"]["maximum"] == 65535


def validate(document: dict[str, Any]) -> None:
    jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)


def test_the_readme_example_is_valid() -> None:
    validate(tomllib.loads(readme_example())["tool"]["faxplus-conformance"])
    validate({"sdk": "node:./dist", "timeout": 2})  # `sdk` at the top: sdk's flag, not its section


@pytest.mark.parametrize(
    "document",
    [
        {"timout": 3},
        {"timeout": 0},
        {"timeout": "soon"},
        {"tier": "weekly"},
        {"token": "s3cret"},
        {"run": {"client-id": "c"}},
        {"sdk": {"rate": 3}},  # a run option, not the SDK gate's
        {"run": {"reference-url": "http://127.0.0.1:1"}},  # diff's
        {"mock": {"port": 70000}},
        {"no-html": "yes"},
        {"sdkk": {}},
    ],
)
def test_a_bad_file_is_invalid(document: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_the_published_keys_are_what_the_cli_takes() -> None:
    from conformance import cli

    by_cli = {name: set(config.keys(parser)) for name, parser in config.commands(cli._parser()).items()}
    assert config.published_keys() == by_cli
