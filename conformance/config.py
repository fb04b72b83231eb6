"""Config file: the options of every command, kept in the repository instead of every CI job's command line.

Where it is read from (the first that exists): `--config FILE`; `faxplus-conformance.toml` in the
working directory; the `[tool.faxplus-conformance]` table of `pyproject.toml` there. Its keys are the
long option names without dashes (`base-url`, `tier`, `timeout`, `output-dir`); a top-level key holds
for every command that has that option, a table named after a command (`[tool.faxplus-conformance.sdk]`)
for that command only, and wins. Flags on the command line win over both.

It is driven by the parsers themselves (built from `conformance.options`): a key is valid exactly
where the command has that flag, and its value is converted by the flag's own type, so a new option
works in the file for free. The values become the parser's defaults. The pytest plugin reads it
without building the CLI (`run_defaults`): the keys of every command from the published
`config.schema.json`, the `run` values converted by the option table's rows.

Secrets never come from a file: `token = …` (any `*token` or `*client-id` key) is a usage error;
`token-env = "NAME"` names the environment variable that holds it (unset: `$FAXPLUS_TOKEN` as
usual). Relative paths are relative to
the config file, as in other tools' config files.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import tomllib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.options import RUN_OPTIONS, Option
from conformance.target import UsageError

FILE = "faxplus-conformance.toml"
TABLE = ("tool", "faxplus-conformance")
ENV_SUFFIX = "-env"
NOT_FROM_FILE = ("--config", "--help")
SCHEMA_PATH = Path(__file__).with_name("config.schema.json")  # published; conformance/option_docs.py writes it


def is_secret(key: str) -> bool:
    return key in ("token", "client-id") or key.endswith(("-token", "-client-id"))


@dataclass(frozen=True)
class Config:
    path: Path
    values: Mapping[str, Any]  # the table: top-level keys, and one sub-table per command

    @property
    def where(self) -> str:
        return f"{self.path} [{'.'.join(TABLE)}]" if self.path.name == "pyproject.toml" else str(self.path)


def find(argv: Sequence[str], cwd: Path | None = None) -> Config | None:
    """The config file this command line reads, or None."""
    explicit = _explicit(argv)
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"--config {explicit}: no such file")
        return _read(explicit, required=True)
    cwd = cwd or Path.cwd()
    for candidate in (cwd / FILE, cwd / "pyproject.toml"):
        if candidate.is_file():
            config = _read(candidate, required=candidate.name == FILE)
            if config is not None:
                return config
    return None


def _explicit(argv: Sequence[str]) -> Path | None:
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--config" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--config="):
            return Path(arg.removeprefix("--config="))
    return None


def _read(path: Path, *, required: bool) -> Config | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"config file {path} is not valid TOML: {error}") from None
    tool = data.get(TABLE[0], {}).get(TABLE[1])
    if tool is not None:
        return Config(path, tool)
    if path.name == "pyproject.toml" and not required:
        return None  # a project's pyproject.toml without our table: no config
    if path.name == "pyproject.toml":
        raise UsageError(f"{path} has no [{'.'.join(TABLE)}] table")
    return Config(path, data)


# --- what each command takes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """How one key's value becomes the flag's: the dest it fills, and the flag's own type and choices."""

    dest: str
    switch: bool = False  # true or false, as the flag given or not
    many: bool = False  # a flag given more than once: a list in the file
    parse: Callable[[str], Any] | None = None
    choices: Collection[Any] | None = None
    path: bool = False  # relative to the config file

    @classmethod
    def of_action(cls, action: argparse.Action) -> Key:
        path = action.type is Path or getattr(action.type, "__name__", "") == Path.__name__
        parse = action.type if callable(action.type) else None
        many = isinstance(action, argparse._AppendAction)
        choices = tuple(action.choices) if action.choices is not None else None
        return cls(action.dest, action.nargs == 0, many, parse, choices, path)

    @classmethod
    def of_option(cls, option: Option) -> Key:
        return cls(option.dest, option.flag_only, option.many, option.parse, option.choices, option.type is Path)


def commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def keys(parser: argparse.ArgumentParser) -> dict[str, Key]:
    """A command's config keys: its long options without dashes (positionals are not keys)."""
    return {
        flag.removeprefix("--"): Key.of_action(action)
        for action in parser._actions
        for flag in action.option_strings
        if flag.startswith("--") and flag not in NOT_FROM_FILE
    }


def published_keys() -> dict[str, set[str]]:
    """Every command's keys, from the published schema (generated from the option table and the CLI by
    conformance/option_docs.py, a test keeps it current): what checks a file without building the CLI."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    found = {}
    for name, prop in schema["properties"].items():
        for section in (prop, *prop.get("anyOf", ())):  # `sdk`: a section, or sdk's own flag
            if section.get("type") == "object":
                found[name] = {_flag_key(key) for key in section["properties"]}
    return found


def _flag_key(key: str) -> str:
    base = key.removesuffix(ENV_SUFFIX)
    return base if key.endswith(ENV_SUFFIX) and is_secret(base) else key


# --- applying it -----------------------------------------------------------------------------------------


def apply(parser: argparse.ArgumentParser, argv: Sequence[str], cwd: Path | None = None) -> Config | None:
    """Check the whole config file, then make its values for the command in `argv` that command's defaults."""
    config = find(argv, cwd)
    if config is None:
        return None
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    found = defaults(config, parser, command)
    if command is not None and found:
        commands(parser)[command].set_defaults(**found)
    return config


def defaults(config: Config, parser: argparse.ArgumentParser, command: str | None) -> dict[str, Any]:
    """Check the whole file; return `command`'s values from it as {argparse dest: value}."""
    parsers = commands(parser)
    known = {name: keys(p) for name, p in parsers.items()}
    return values(config, known, known.get(command or "", {}), command)


def run_defaults(config: Config) -> dict[str, Any]:
    """`defaults(config, <the CLI>, "run")` from the option table alone (the pytest plugin's reading)."""
    known = published_keys()
    rows = {o.flag.removeprefix("--"): o for o in RUN_OPTIONS}
    run = {key: Key.of_option(rows[key]) for key in known["run"] if key in rows}
    return values(config, known, run, "run")


def values(
    config: Config, known: Mapping[str, Collection[str]], taken: Mapping[str, Key], command: str | None
) -> dict[str, Any]:
    """Check every key of the file against `known` (command → its keys); return the values of `command`,
    whose keys are `taken`, as {dest: value}."""
    settings = dict(_validated(config, known))
    found: dict[str, Any] = {}
    if command is None or command not in known:
        return found
    for key, value in {**settings.get("", {}), **settings.get(command, {})}.items():
        taker = taken.get(key.removesuffix(ENV_SUFFIX))
        if taker is not None:
            converted = _value(config, key, value, taker)
            if converted is not None:
                found[taker.dest] = converted
    return found


def _validated(config: Config, known: Mapping[str, Collection[str]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """("" for the top level, or the command) → its keys; every key known, no secret."""
    anywhere = {key for keys in known.values() for key in keys}
    top = {}
    for key, value in config.values.items():
        if isinstance(value, dict):
            if key not in known:
                raise UsageError(f"{config.where}: unknown section [{key}]{_nearest(key, known)}")
            yield key, {k: v for k, v in value.items() if _known(config, k, set(known[key]), f"[{key}] ")}
        elif _known(config, key, anywhere, ""):
            top[key] = value
    yield "", top


def _known(config: Config, key: str, valid: set[str], section: str) -> bool:
    if is_secret(key):
        raise UsageError(
            f"{config.where}: {section}{key} must not be in a config file (secrets never are): "
            f'name the environment variable instead, {key}{ENV_SUFFIX} = "NAME"'
        )
    if _flag_key(key) not in valid:
        choices = valid | {f"{k}{ENV_SUFFIX}" for k in valid if is_secret(k)}
        raise UsageError(f"{config.where}: unknown key {section}{key}{_nearest(key, choices)}")
    return True


def _nearest(key: str, valid: Any) -> str:
    near = difflib.get_close_matches(key, sorted(valid), n=1, cutoff=0.5)
    return f": did you mean {near[0]!r}?" if near else ""


def _value(config: Config, key: str, value: Any, taker: Key) -> Any:
    """The value as the flag would give it (its type, its choices; a switch takes true/false)."""
    bad = f"{config.where}: {key} = {value!r}"
    if key.endswith(ENV_SUFFIX):
        if not isinstance(value, str) or not value:
            raise UsageError(f'{bad} must name an environment variable, e.g. {key} = "STAGING_TOKEN"')
        return os.environ.get(value) or None  # unset: the option's own fallback ($FAXPLUS_TOKEN) holds
    if taker.switch:
        if not isinstance(value, bool):
            raise UsageError(f"{bad} must be true or false")
        return value
    if isinstance(value, list) and not taker.many:
        raise UsageError(f"{bad} must be a single value, as after --{key}")
    items = value if isinstance(value, list) else [value]
    converted = [_convert(config, bad, item, taker, key) for item in items]
    return converted if taker.many else converted[0]


def _convert(config: Config, bad: str, item: Any, taker: Key, key: str) -> Any:
    if isinstance(item, dict | list | bool):
        raise UsageError(f"{bad} must be a single value, as after --{key}")
    text = str(item)
    if taker.path and not Path(text).is_absolute():
        text = str(config.path.parent / text)  # relative to the config file, not to wherever the job runs
    try:
        out = taker.parse(text) if taker.parse is not None else text
    except argparse.ArgumentTypeError as error:  # the option's own check (conformance.options), in its words
        raise UsageError(f"{bad}: {error}") from None
    except (TypeError, ValueError):
        raise UsageError(f"{bad} is not a valid value for --{key}") from None
    if taker.choices is not None and out not in taker.choices:
        raise UsageError(f"{bad} is not one of {', '.join(map(str, taker.choices))}")
    return out
