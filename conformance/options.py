"""Run options, declared once: the one table that builds the CLI's `run` options, the pytest
plugin's options and the `Target` they fill.

Adding an option is one `Option(...)` row. `tests/test_options.py` proves that the CLI and the
plugin offer the same options, so the two ways of running the suite cannot drift apart.

What a value may be is part of its row (`valid`: a `Range`, a writable folder, a readable text file):
it is checked as the value is parsed, on the command line, in the config file and in the plugin,
so a bad value is one line and exit 2 before anything is sent (`tests/test_bad_input.py` walks them).

>>> OPTIONS["--timeout"].dest
'faxplus_timeout'
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import conformance.defaults as defaults
from conformance.target import PRODUCTION_HOST, TIER_NAMES, Target, UsageError

MAX_CONCURRENCY = 256  # sending threads: more only starve the judging thread, and 100000 cannot even start

# --- what a value may be ---------------------------------------------------------------------------
# A validator returns what is wrong with a value, as the end of "--flag VALUE: ...", or None.
Valid = Callable[[Any], str | None]


@dataclass(frozen=True)
class Range:
    """A finite number from `low` to `high` (`low` itself excluded when `above`), in `unit`.

    >>> Range(0, 3600, "seconds", above=True)(float("nan"))
    'must be a number of seconds above 0 and at most 3600'
    >>> Range(1, 256, "requests in flight")(100000)
    'must be a number of requests in flight from 1 to 256'
    """

    low: float
    high: float
    unit: str
    above: bool = False

    @property
    def shown(self) -> str:
        """The range as the help shows it: `[0..10000]`, `(0..3600]` when `low` is excluded."""
        return f"{'(' if self.above else '['}{_num(self.low)}..{_num(self.high)}]"

    def __call__(self, value: Any) -> str | None:
        ok = math.isfinite(value) and self.low <= value <= self.high and not (self.above and value == self.low)
        if ok:
            return None
        of = f" of {self.unit}" if self.unit else ""
        if self.above:
            return f"must be a number{of} above {_num(self.low)} and at most {_num(self.high)}"
        return f"must be a number{of} from {_num(self.low)} to {_num(self.high)}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def shown_value(value: Any) -> str:
    """A default as help and README show it: `5`, not `5.0`."""
    return _num(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def writable_folder(value: Path) -> str | None:
    """A folder the run can create or write into (checked without creating anything)."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        return "is not a folder: name a folder the run may write into"
    existing = next(p for p in (path, *path.parents) if p.exists() or p == p.parent)
    if not existing.is_dir():
        return f"cannot be created: {existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"is not writable ({existing} does not let this user write): pick another folder"
    return None


def writable_file(value: Path) -> str | None:
    """A file the run can write (a history file): a file or nothing there, in a writable folder."""
    path = Path(value)
    if path.is_dir():
        return "is a folder, not a file"
    if path.exists() and not os.access(path, os.W_OK):
        return "is not writable by this user"
    folder = writable_folder(path.parent)
    return f"cannot be written: its folder {path.parent} {folder}" if folder else None


def readable_file(value: Path) -> str | None:
    path = Path(value)
    if not path.exists():
        return "does not exist"
    if not path.is_file():
        return "is not a file"
    if not os.access(path, os.R_OK):
        return "is not readable by this user"
    return None


def text_file(value: Path) -> str | None:
    """A readable UTF-8 text file (a contract is YAML or JSON, never binary)."""
    problem = readable_file(value)
    if problem is not None:
        return problem
    try:
        data = Path(value).read_bytes()
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "is not a text file (not UTF-8): give the OpenAPI document as YAML or JSON"
    return (
        "is not a text file (it holds NUL bytes): give the OpenAPI document as YAML or JSON" if b"\0" in data else None
    )


def file_if_there(value: Path) -> str | None:
    """A file that may not exist yet (a baseline `--update-baseline` writes), but never a folder."""
    path = Path(value)
    if path.exists() and not path.is_file():
        return "is not a file"
    if path.exists() and not os.access(path, os.R_OK):
        return "is not readable by this user"
    return None


_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def keyword_expression(value: str) -> str | None:
    """A pytest `-k` expression (`numbers or event`, `not schemathesis`), checked by pytest's own parser.

    >>> keyword_expression("numbers or event") is None
    True
    >>> keyword_expression("numbers and (").startswith("is not a pytest -k expression (expected not OR")
    True
    """
    if not value.strip():  # pytest takes "" as no selection: a run that says it is partial and is not
        return "is empty: give an expression such as 'numbers or event', or leave out -k to run every test"
    try:  # pytest has no public parser of `-k`: without this one, pytest refuses a bad one as the cases start
        from _pytest.mark.expression import Expression
    except ImportError:  # pragma: no cover - a pytest that moved it
        return None
    try:
        Expression.compile(value)
    except SyntaxError as error:
        return f"is not a pytest -k expression ({error.msg}): e.g. 'numbers or event'"
    return None


def domain(value: str) -> str | None:
    """A DNS name (RFC 1123), such as the reserved `example.com`."""
    labels = value.lower().rstrip(".").split(".")
    if len(value) <= 253 and len(labels) >= 2 and all(_LABEL.fullmatch(label) for label in labels):
        return None
    return "is not a domain name: give one such as example.com (RFC 2606 reserves it)"


@functools.cache  # one function per row: every parser built from the table holds the same `type`
def _parsing(option: Option) -> Callable[[str], Any]:
    """The argparse `type` of a row: its type, then its `valid` check; a bad value is one clear line
    (argparse prints it as `argument --flag: VALUE must be ...`)."""
    base = option.type or str

    def parse(text: str) -> Any:
        try:
            value = base(text)
        except (TypeError, ValueError):
            what = _WHAT.get(base, "a valid value")
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        return _checked(option, value, text)

    parse.__name__ = getattr(base, "__name__", "value")
    return parse


_WHAT: dict[Any, str] = {int: "a whole number", float: "a number"}


def _checked(option: Option, value: Any, text: str | None = None) -> Any:
    problem = option.valid(value) if option.valid is not None else None
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{text if text is not None else value} {problem}")
    return value


def check_value(option: Option, value: Any) -> Any:
    """`value` as the row parses it (a string from the environment, or a value already parsed); a bad
    one is a UsageError naming the flag."""
    if value is None:
        return None
    try:
        return _parsing(option)(value) if isinstance(value, str) else _checked(option, value)
    except argparse.ArgumentTypeError as error:
        raise UsageError(f"{option.flag}: {error}") from None


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    field: str | None = None  # the Target field it sets; None: used by the run, not the Target
    type: Callable[[str], Any] | None = str
    default: Any = None
    flag_only: bool = False  # a switch (store_true)
    choices: tuple[str, ...] | None = None
    env: str | None = None  # where the value comes from when the flag is not given
    negate: bool = False  # the switch sets `field` to False (`--no-cleanup` → cleanup=False)
    cli_only: str | None = None  # why the pytest plugin does not take it (reports pytest does not build)
    # The dest another pytest plugin uses for the same flag (pytest-base-url owns `--base-url`).
    shared_dest: str | None = None
    aliases: tuple[str, ...] = ()  # older names the plugin still accepts
    many: bool = False  # may be given more than once (a list)
    short: str | None = None  # a one-letter form on the CLI (`-v`)
    valid: Valid | None = None  # what the value may be (see Range, writable_folder, ...): checked as it is parsed
    # The default when it is no value of the row's own: computed, or another source (`$ENV` says itself).
    default_text: str | None = None

    @property
    def parse(self) -> Callable[[str], Any]:
        """The argparse `type`: `type`, then `valid`."""
        return _parsing(self)

    @property
    def dest(self) -> str:
        return self.shared_dest or "faxplus_" + self.flag.removeprefix("--").replace("-", "_")

    @property
    def metavar(self) -> str | None:
        """What the help shows for the value: a plain noun (`SECONDS`, `N`, `FILE`, `URL`), never an
        environment variable's name; None for a switch or a choice (argparse shows the choices)."""
        if self.flag_only or self.choices:
            return None
        return METAVARS.get(self.flag) or _METAVAR_OF_TYPE.get(self.type, "VALUE")

    @property
    def shown_default(self) -> str | None:
        """The default as help and README say it: the row's value, its `default_text`, its variable,
        or the Target field's own default (which holds when the option is not given); None for a switch."""
        if self.flag_only:
            return None
        if self.default is not None:
            return shown_value(self.default)
        if self.default_text is not None:
            return self.default_text
        if self.env is not None:
            return f"${self.env}"
        own = _TARGET_DEFAULTS.get(self.field or "")
        return None if own is None else shown_value(own)

    @property
    def suffix(self) -> str:
        """What the help adds to `help` from the row itself: the range, then the default
        (` [0..10000]; default: 10`), so neither is ever written twice."""
        shown = f" {self.valid.shown}" if isinstance(self.valid, Range) else ""
        if self.shown_default is not None and not self.choices:
            shown += f"; default: {self.shown_default}"
        return shown

    def kwargs(self) -> dict[str, Any]:
        if self.flag_only:
            return {"action": "store_true", "default": False, "help": self.help}
        out: dict[str, Any] = {
            "type": self.parse,
            "default": self.default,
            "help": self.help + self.suffix,
            "metavar": self.metavar,
        }
        if self.many:
            out["action"] = "append"
        if self.choices:
            out["choices"] = self.choices
        return out


# What a Target is without the option: shown as the default of a row that has no value of its own.
_TARGET_DEFAULTS: Mapping[str, Any] = {
    f.name: f.default for f in dataclasses.fields(Target) if f.default is not dataclasses.MISSING
}


def _opt(*args: Any, **kwargs: Any) -> Option:
    return Option(*args, **kwargs)


RUN_OPTIONS: tuple[Option, ...] = (
    _opt(
        "--base-url",
        "prefix before /hooks, e.g. https://staging.example/v3",
        "base_url",
        default_text="the embedded mock",
        shared_dest="base_url",
    ),
    _opt("--token", "PAT or OAuth bearer token; required with --base-url", "token", env="FAXPLUS_TOKEN"),
    _opt(
        "--client-id",
        "OAuth client id, sent as x-fax-clientid",
        "client_id",
        env="FAXPLUS_CLIENT_ID",
    ),
    _opt(
        "--tier",
        "ci: derandomized, the same verdict every run (default); nightly: ~10x more examples, seeded",
        "tier",
        default=defaults.TIER,
        choices=TIER_NAMES,
    ),
    _opt(
        "--seed",
        "nightly seed to replay (printed by every nightly run)",
        "seed",
        default_text="drawn at random",
        type=int,
        valid=Range(0, 2**63 - 1, ""),
    ),
    _opt(
        "--timeout",
        "seconds each exchange may take, connect to the last response byte; missing it is a transport fail",
        "timeout",
        type=float,
        default=defaults.TIMEOUT,
        valid=Range(0, 3600, "seconds", above=True),
    ),
    _opt(
        "--max-response-bytes",
        "a longer response body is cut, and that is a transport fail",
        "max_response_bytes",
        type=int,
        default=defaults.MAX_RESPONSE_BYTES,
        valid=Range(1, 2**30, "bytes"),
    ),
    _opt(
        "--cleanup-timeout",
        "total seconds for deleting what the run registered (each request still under --timeout)",
        "cleanup_timeout",
        type=float,
        default=defaults.CLEANUP_TIMEOUT,
        valid=Range(0, 3600, "seconds"),
    ),
    _opt(
        "--output-dir",
        "where reports go",
        "output_dir",
        default_text=f"{defaults.OUTPUT_DIR}/ (sdk: {defaults.SDK_OUTPUT_DIR}/; the plugin writes none without it)",
        type=Path,
        aliases=("--conformance-output",),
        valid=writable_folder,
    ),
    _opt(
        "--target-base",
        "domain of the webhook targets the run registers (RFC 2606 reserves the default)",
        "target_domain",
        default=defaults.TARGET_DOMAIN,
        valid=domain,
    ),
    _opt("--allow-production", f"permit the production host, {PRODUCTION_HOST}", "allow_production", flag_only=True),
    _opt(
        "--rate",
        "at most this many requests per second",
        "rate",
        default_text="no cap",
        type=float,
        valid=Range(0, 10_000, "requests per second", above=True),
    ),
    _opt(
        "--concurrency",
        "requests in flight at once; findings do not depend on it",
        "concurrency",
        default_text=f"{defaults.CONCURRENCY}, {defaults.NIGHTLY_CONCURRENCY} in the nightly tier; "
        f"{defaults.EMBEDDED_CONCURRENCY} to the embedded mock, which answers at once",
        type=int,
        valid=Range(1, MAX_CONCURRENCY, "requests in flight"),
    ),
    _opt(
        "--cache-dir",
        "where the ci tier keeps the cases it drew, to replay them",
        "cache_dir",
        default_text="~/.cache/faxplus-conformance",
        type=Path,
        valid=writable_folder,
    ),
    _opt(
        "--no-case-cache",
        "draw the ci tier's cases afresh instead of replaying those an earlier run drew",
        "case_cache",
        flag_only=True,
        negate=True,
    ),
    _opt(
        "--max-wait",
        "total seconds to wait out 429s and 503s with Retry-After",
        "max_wait",
        type=float,
        default=defaults.MAX_WAIT,
        valid=Range(0, 86_400, "seconds"),
    ),
    _opt(
        "--no-cleanup",
        "keep the webhooks the run registered (without it, every one is deleted)",
        "cleanup",
        flag_only=True,
        negate=True,
    ),
    _opt(
        "--max-live",
        "the run's own webhooks registered at once, at most (0: no bound); it deletes before it "
        "registers more, and stops (exit 2) rather than exceed it",
        "max_live",
        type=int,
        default=defaults.MAX_LIVE,
        valid=Range(0, 10_000, "webhooks"),
    ),
    _opt(
        "--baseline",
        "accepted findings of this target: fail only on new ones",
        "baseline",
        type=Path,
        valid=file_if_there,
    ),
    _opt("--update-baseline", "write this run's fails to --baseline (exit 0)", "update_baseline", flag_only=True),
    _opt(
        "--contract-notes-warn",
        "count the contract's own gaps (spec lint) as warns in the verdict (without it: notes beside the verdict)",
        "contract_notes_warn",
        flag_only=True,
    ),
    _opt(
        "--select",
        "only the suite's tests whose names match, as pytest -k: e.g. 'numbers or credential'; a "
        "partial run, and every report says so",
        "select",
        default_text="every test",
        short="-k",
        valid=keyword_expression,
        cli_only="pytest has its own -k, which the plugin follows",
    ),
    _opt(
        "--shrink-budget",
        "requests spent shrinking fails to minimal examples (0: off)",
        "shrink_budget",
        type=int,
        default=defaults.SHRINK_BUDGET,
        valid=Range(0, 100_000, "requests"),
    ),
    _opt(
        "--ca-bundle",
        "PEM file of CAs to trust (an internal CA)",
        "ca_bundle",
        default_text="$SSL_CERT_FILE, else certifi's bundle",
        type=Path,
        valid=readable_file,
    ),
    _opt(
        "--client-cert",
        "PEM client certificate for mutual TLS (with its key, or see --client-key)",
        "client_cert",
        type=Path,
        valid=readable_file,
    ),
    _opt(
        "--client-key",
        "PEM private key of --client-cert, if not in the same file",
        "client_key",
        type=Path,
        valid=readable_file,
    ),
    _opt(
        "--insecure",
        "do not verify TLS certificates (last resort; warned on the console and in summary.json / summary.md)",
        "insecure",
        flag_only=True,
    ),
    _opt("--no-proxy", "ignore HTTP_PROXY / HTTPS_PROXY / ALL_PROXY (honoured by default)", "no_proxy", flag_only=True),
    _opt(
        "--spec",
        "the contract: another version of the OpenAPI file",
        "spec",
        default_text="$FAXPLUS_SPEC, else the vendored one",
        type=Path,
        env="FAXPLUS_SPEC",
        valid=text_file,
    ),
    # A diff run (`diff`, or any run given a reference): see conformance/suite/_reference.py.
    _opt("--reference-url", "also send every case here and report divergences (twice: learn noise)", many=True),
    _opt("--reference-token", "the reference's token", env="FAXPLUS_REFERENCE_TOKEN"),
    _opt(
        "--reference-client-id",
        "the reference's OAuth client id",
        env="FAXPLUS_REFERENCE_CLIENT_ID",
    ),
    _opt("--no-html", "skip the Allure HTML report", flag_only=True, cli_only="pytest builds no HTML report"),
    _opt(
        "--single-file",
        "HTML as one self-contained file that opens from disk (the default; kept for older scripts)",
        flag_only=True,
        cli_only="pytest builds no HTML report",
    ),
    _opt(
        "--multi-file",
        "HTML as a folder of files, smaller for big runs; it must be served over HTTP to open "
        "(python3 -m http.server -d reports/html)",
        flag_only=True,
        cli_only="pytest builds no HTML report",
    ),
    _opt(
        "--history",
        "Allure trend history file kept across runs",
        type=Path,
        cli_only="pytest builds no HTML report",
        valid=writable_file,
    ),
    _opt(
        "--verbose",
        "list every family in the summary, all-pass ones too",
        flag_only=True,
        short="-v",
        cli_only="pytest has its own -v, which the plugin follows",
    ),
)
OPTIONS: Mapping[str, Option] = {o.flag: o for o in RUN_OPTIONS}
# What every command that writes reports takes (`run`, `sdk`, `diff`): rows of the one table, not copies,
# added by `add_output_options`.
OUTPUT_FLAGS = ("--output-dir", "--no-html", "--single-file", "--multi-file", "--history")
OUTPUT_OPTIONS: tuple[Option, ...] = tuple(OPTIONS[flag] for flag in OUTPUT_FLAGS)
BASELINE_OPTION = OPTIONS["--baseline"]


# What the help shows for a value, where the type alone does not say it.
METAVARS: Mapping[str, str] = {
    "--base-url": "URL",
    "--reference-url": "URL",
    "--token": "TOKEN",
    "--reference-token": "TOKEN",
    "--client-id": "ID",
    "--reference-client-id": "ID",
    "--seed": "SEED",
    "--max-response-bytes": "BYTES",
    "--target-base": "DOMAIN",
    "--rate": "PER_SECOND",
    "--shrink-budget": "REQUESTS",
    "--select": "EXPR",
    "--output-dir": "DIR",
    "--cache-dir": "DIR",
    "--port": "PORT",
}
_METAVAR_OF_TYPE: Mapping[Any, str] = {Path: "FILE", float: "SECONDS", int: "N"}

# The sections of every command's help, in order: (title, the flags under it). An option of the table
# that is in none goes under "options" (a test keeps every row of RUN_OPTIONS in one).
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("target", ("--base-url", "--spec", "--target-base", "--allow-production", "--port", "--latency")),
    ("credentials (read from the environment unless given)", ("--token", "--client-id")),
    ("generation", ("--tier", "--seed", "--select", "--cache-dir", "--no-case-cache", "--shrink-budget")),
    (
        "sending",
        (
            "--timeout",
            "--max-response-bytes",
            "--rate",
            "--concurrency",
            "--max-wait",
            "--ca-bundle",
            "--client-cert",
            "--client-key",
            "--insecure",
            "--no-proxy",
        ),
    ),
    ("safety (staging is real state)", ("--cleanup-timeout", "--no-cleanup", "--max-live")),
    ("verdict", ("--baseline", "--update-baseline", "--contract-notes-warn")),
    ("output", ("--output-dir", "--no-html", "--single-file", "--multi-file", "--history", "--verbose")),
    ("reference (diff)", ("--reference-url", "--reference-token", "--reference-client-id")),
)
GROUP_OF: Mapping[str, str] = {flag: title for title, flags in GROUPS for flag in flags}
REFERENCE_GROUP = GROUPS[-1][0]


def add_to_argparse(parser: argparse.ArgumentParser, *, reference: bool = True) -> None:
    """The run's options; `reference`: with diff's (`--reference-*`)."""
    add_options(parser, (o for o in RUN_OPTIONS if reference or GROUP_OF.get(o.flag) != REFERENCE_GROUP))


def add_options(parser: argparse.ArgumentParser, options: Iterable[Option]) -> None:
    """Rows of the table as argparse options (same flag, dest, type and default wherever used),
    each under its section of the help (`GROUPS`)."""
    options = tuple(options)
    for title, _ in GROUPS:  # the sections in GROUPS order, whatever the order of the rows
        if any(GROUP_OF.get(o.flag) == title for o in options):
            _section(parser, title)
    for option in options:
        flags = (option.short, option.flag) if option.short else (option.flag,)
        _section(parser, GROUP_OF.get(option.flag)).add_argument(*flags, dest=option.dest, **option.kwargs())


def _section(parser: argparse.ArgumentParser, title: str | None) -> Any:
    """The parser's argument group `title`, made on first use (None: the parser's own options)."""
    if title is None:
        return parser
    for group in parser._action_groups:  # noqa: SLF001 - argparse keeps its groups only here
        if group.title == title:
            return group
    return parser.add_argument_group(title)


def add_output_options(parser: argparse.ArgumentParser, *, baseline: bool = False) -> None:
    """The output options every reporting command shares (and `--baseline` where the run has no other)."""
    add_options(parser, (*OUTPUT_OPTIONS, BASELINE_OPTION) if baseline else OUTPUT_OPTIONS)


def values(get: Callable[[str], Any]) -> Iterator[tuple[Option, Any]]:
    """(option, value) of every option that fills the Target."""
    for option in RUN_OPTIONS:
        if option.field is not None:
            yield option, get(option.dest)


def build_target(get: Callable[[str], Any], **overrides: Any) -> Target:
    """The Target from option values (`get(dest)`: argparse's getattr or pytest's getoption)."""
    fields: dict[str, Any] = {}
    for option, value in values(get):
        if option.env and not value:
            value = os.environ.get(option.env) or None  # as the flag would give it, checked alike
        value = check_value(option, value)
        if option.negate:
            value = not value
        if value is not None:
            fields[option.field] = value  # type: ignore[index]
    fields.update(overrides)
    settle(lambda dest: fields.get(OPTION_BY_DEST[dest].field or "") if dest in OPTION_BY_DEST else None)
    return Target(**fields)


# --- what one option needs of another -------------------------------------------------------------
Get = Callable[[str], Any]  # an option's value by dest (None when the command does not have it)


def _baseline_exists(get: Get) -> str | None:
    baseline = get(OPTIONS["--baseline"].dest)
    if get(OPTIONS["--update-baseline"].dest):
        return None if baseline is not None else "--update-baseline needs --baseline FILE to write to"
    if baseline is not None and not Path(baseline).exists():
        return (
            f"--baseline {baseline}: no such file: give the file `--update-baseline` wrote, "
            "or add --update-baseline to write it now"
        )
    return None


def _one_html_layout(get: Get) -> str | None:
    if get(OPTIONS["--single-file"].dest) and get(OPTIONS["--multi-file"].dest):
        return "--single-file and --multi-file: pick one (single file is the default)"
    return None


# Checks that read more than one option; each names what to do. Run for every command, before anything.
RULES: tuple[Callable[[Get], str | None], ...] = (_baseline_exists, _one_html_layout)
OPTION_BY_DEST: Mapping[str, Option] = {o.dest: o for o in RUN_OPTIONS}


def settle(get: Get) -> None:
    """Apply RULES to one command's values; the first broken one is a UsageError."""
    for rule in RULES:
        problem = rule(get)
        if problem is not None:
            raise UsageError(problem)


def settle_args(args: argparse.Namespace) -> None:
    settle(lambda dest: getattr(args, dest, None))


# --- the mock's own options --------------------------------------------------------------------------
MOCK_OPTIONS: tuple[Option, ...] = (
    _opt(
        "--port",
        "port (0 picks a free one)",
        type=int,
        default=8080,
        shared_dest="port",
        valid=Range(0, 65535, ""),
    ),
    _opt(
        "--latency",
        "seconds added to every answer, like a server far away",
        type=float,
        default=0.0,
        shared_dest="latency",
        valid=Range(0, 3600, "seconds"),
    ),
)
