"""What is written from the option table (`conformance.options`), never by hand: README's table of
the run's options, and the config file's JSON Schema (`conformance/config.schema.json`).

Both are committed; `tests/test_option_docs.py` fails when either differs from what this module
generates. To regenerate them: `python -m conformance.option_docs --write`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance import config
from conformance.options import GROUP_OF, GROUPS, MOCK_OPTIONS, REFERENCE_GROUP, RUN_OPTIONS, Option, Range

ROOT = Path(__file__).resolve().parent.parent  # the checkout: README.md lives there, not in the package
README = ROOT / "README.md"
BEGIN, END = "<!-- options:begin -->", "<!-- options:end -->"
SCHEMA = config.SCHEMA_PATH
HOW = "python -m conformance.option_docs --write"

# --- README -----------------------------------------------------------------------------------------


def markdown_table(options: Iterable[Option] = RUN_OPTIONS) -> str:
    """The options as README's table (option, default, meaning), in the help's section order;
    diff's `--reference-*` are described with `diff`, not here."""
    rows = [o for o in options if GROUP_OF.get(o.flag) != REFERENCE_GROUP]
    order = {flag: i for i, flag in enumerate(flag for _, flags in GROUPS for flag in flags)}
    rows.sort(key=lambda o: order.get(o.flag, len(order)))
    lines = ["| option | default | meaning |", "|---|---|---|"]
    for option in rows:
        meaning = option.help + (f" {option.valid.shown}" if isinstance(option.valid, Range) else "")
        default = option.shown_default or ""
        if option.default_text is None and default:  # a value or a variable, not words
            default = f"`{default}`"
        cells = (_shown_flag(option), default, meaning)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _shown_flag(option: Option) -> str:
    value = "|".join(option.choices) if option.choices else option.metavar
    flag = f"`{option.flag}{f' {value}' if value else ''}`"
    return f"`{option.short}`, {flag}" if option.short else flag


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a pipe inside a cell, even in code, ends it in GitHub's tables


def readme_section(text: str) -> str:
    """What README holds between the markers."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"README.md has no {BEGIN} … {END} section")
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def with_table(text: str) -> str:
    """README's text with the generated table between the markers."""
    head, rest = text.split(BEGIN, 1)
    return f"{head}{BEGIN}\n{markdown_table()}{END}{rest.split(END, 1)[1]}"


# --- the config file's JSON Schema ------------------------------------------------------------------

_ROWS: Mapping[str, Option] = {o.dest: o for o in (*RUN_OPTIONS, *MOCK_OPTIONS)}
_JSON_TYPES: Mapping[Any, str] = {int: "integer", float: "number"}


def config_schema(commands: Mapping[str, Sequence[argparse.Action]] | None = None) -> dict[str, Any]:
    """The config file as a JSON Schema: a key per flag of any command at the top, a section per
    command with that command's keys. A flag that is a row of the table is described by the row
    (type, range, choices, help); the few a command declares itself, by its argparse action."""
    commands = commands if commands is not None else _cli_commands()
    sections: dict[str, Any] = {}
    anywhere: dict[str, Any] = {}
    for name in sorted(commands):
        keys: dict[str, Any] = {}
        for action in commands[name]:
            for key in _keys_of(action):
                keys[key] = _property(action, key)
                anywhere.setdefault(key, keys[key])
        sections[name] = {"type": "object", "properties": keys, "additionalProperties": False}
    # `sdk` is a command and sdk's flag: a table is its section, a value the flag (conformance.config).
    both = {name: {"anyOf": [sections.pop(name), anywhere.pop(name)]} for name in set(sections) & set(anywhere)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "faxplus-conformance config file",
        "description": (
            f"{config.FILE}, or the [{'.'.join(config.TABLE)}] table of pyproject.toml. A top-level key holds "
            "for every command that has that option; a section named after a command for that command only. "
            f"Secrets are never in the file: *{config.ENV_SUFFIX} keys name the environment variable that "
            f"holds them. Generated from conformance/options.py ({HOW})."
        ),
        "type": "object",
        "properties": dict(sorted({**anywhere, **sections, **both}.items())),
        "additionalProperties": False,
    }


def _cli_commands() -> dict[str, list[argparse.Action]]:
    from conformance.cli import _parser  # the commands and which flags each takes

    return {name: list(parser._actions) for name, parser in config.commands(_parser()).items()}


def _keys_of(action: argparse.Action) -> list[str]:
    """The file's keys for one flag: none for a positional or --config; `token-env` for a secret."""
    keys = []
    for flag in action.option_strings:
        if flag.startswith("--") and flag not in config.NOT_FROM_FILE:
            key = flag.removeprefix("--")
            keys.append(f"{key}{config.ENV_SUFFIX}" if config.is_secret(key) else key)
    return keys


def _property(action: argparse.Action, key: str) -> dict[str, Any]:
    row = _ROWS.get(action.dest)
    if key.endswith(config.ENV_SUFFIX) and config.is_secret(key.removesuffix(config.ENV_SUFFIX)):
        what = f"the environment variable that holds --{key.removesuffix(config.ENV_SUFFIX)}"
        return {"type": "string", "minLength": 1, "description": f"{what} ({action.help})"}
    if action.nargs == 0:
        return {"type": "boolean", "description": action.help or ""}
    item: dict[str, Any] = {"type": _JSON_TYPES.get(row.type if row else action.type, "string")}
    if action.choices is not None:
        item["enum"] = list(action.choices)
    if row is not None and isinstance(row.valid, Range):
        item["exclusiveMinimum" if row.valid.above else "minimum"] = _number(row.valid.low, item)
        item["maximum"] = _number(row.valid.high, item)
    out: dict[str, Any] = {"description": action.help or ""}
    if isinstance(action, argparse._AppendAction):  # given more than once: one value or a list of them
        out["anyOf"] = [item, {"type": "array", "items": item}]
    else:
        out.update(item)
    if action.default is not None and isinstance(action.default, str | int | float):
        out["default"] = action.default
    return out


def _number(value: float, item: Mapping[str, Any]) -> float | int:
    return int(value) if item["type"] == "integer" else value


def schema_text() -> str:
    return json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Without arguments: exit 1 if a committed file is stale; `--write`: regenerate both."""
    write = "--write" in (sys.argv[1:] if argv is None else argv)
    readme = README.read_text(encoding="utf-8")
    stale = []
    for path, now, wanted in ((README, readme, with_table(readme)), (SCHEMA, _read(SCHEMA), schema_text())):
        if now != wanted:
            stale.append(path)
            if write:
                path.write_text(wanted, encoding="utf-8")
    for path in stale:
        print(f"{'wrote' if write else 'stale'}: {path}")
    return 0 if write or not stale else 1


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


if __name__ == "__main__":
    raise SystemExit(main())
