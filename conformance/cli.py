"""`faxplus-conformance`: run the suite, serve the reference mock, list faults, build reports.

Exit codes: 0 conformant (warns allowed), 1 contract violations, 2 usage or infrastructure error.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import gc
import os
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from conformance.config import FILE as CONFIG_FILE
from conformance.config import apply as apply_config
from conformance.options import MOCK_OPTIONS, OPTIONS, add_options, build_target, check_value, settle_args
from conformance.options import add_to_argparse as add_run_options
from conformance.replay import add_arguments as add_replay_arguments
from conformance.replay import cmd_replay
from conformance.sdk import add_arguments as add_sdk_arguments
from conformance.sdk import cmd_sdk as sdk_gate
from conformance.send import WEAK, Redactor, courier_for, tls_warnings, weak
from conformance.target import UsageError, env_or, redact_url

if TYPE_CHECKING:
    from conformance.contract import Contract
    from conformance.engine import Event, Handler
    from conformance.report.allure_install import AllureInstall
    from conformance.suite import EmbeddedMock
    from conformance.target import Target

PROG = "faxplus-conformance"
EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2  # as conformance.engine decides them (not imported: startup)
# Commands that write reports: each takes the shared output options (conformance.options.OUTPUT_OPTIONS).
REPORTING = ("run", "diff", "sdk")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line that says what and what to do, not a usage dump.
        self.exit(EXIT_USAGE, f"{self.prog}: {message}{self._did_you_mean(message)} (see `{self.prog} --help`)\n")

    def _did_you_mean(self, message: str) -> str:
        """`; did you mean --timeout?` for a misspelt option (Python 3.11's argparse does not suggest)."""
        if not message.startswith("unrecognized arguments:"):
            return ""
        known = sorted(_option_strings(self))
        guesses = []
        for word in message.split(":", 1)[1].split():
            flag = word.split("=", 1)[0]
            if flag.startswith("--"):
                guesses += difflib.get_close_matches(flag, known, n=1, cutoff=0.75)
        return f"; did you mean {' or '.join(dict.fromkeys(guesses))}?" if guesses else ""


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every long option of `parser` and of its subcommands."""
    found: set[str] = set()
    for action in parser._actions:
        found |= {o for o in action.option_strings if o.startswith("--")}
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _option_strings(sub)
    return found


@dataclass(frozen=True)
class Command:
    """One subcommand's help: a line for the command list, what it does, and an example."""

    help: str
    description: str
    example: str


HELP: dict[str, Command] = {
    "run": Command(
        "run the conformance suite (default target: the embedded mock)",
        "Sends valid and invalid Webhooks to POST /hooks and judges every answer against the contract. "
        "Without --base-url it starts the reference mock on 127.0.0.1. Exit 0: conformant (warns allowed); "
        "1: contract violations; 2: usage, infrastructure, or an incomplete run.",
        "FAXPLUS_TOKEN=... faxplus-conformance run --base-url https://staging.example/v3 --tier nightly",
    ),
    "diff": Command(
        "send every case to the candidate and a reference; report where they part ways",
        "A run against --base-url that also sends each case to --reference-url, and reports where two "
        "conformant servers answer differently (give --reference-url twice to learn the reference's noise).",
        "faxplus-conformance diff --base-url http://127.0.0.1:8080 --reference-url https://staging.example/v3",
    ),
    "mock": Command(
        "serve the reference mock on 127.0.0.1",
        "The reference mock: a real HTTP server that follows the contract exactly, or breaks one rule "
        "(--fault) or differs only where the contract allows (--variant).",
        "faxplus-conformance mock --port 8080 --fault numbers-min-items-ignored",
    ),
    "faults": Command(
        "list the mock's fault catalogue (or its conformant variants)",
        "Every fault the mock can inject, the rule it breaks and the verdict the suite must reach; "
        "with --variants, the servers the suite must pass.",
        "faxplus-conformance faults --variants",
    ),
    "sdk": Command(
        "release gate: drive an official SDK through the contract",
        "Registers webhooks through an SDK (the published Python one, a Node typescript-axios build, or a "
        "client generated from the contract) against the mock, and judges what reached the wire.",
        "faxplus-conformance sdk --sdk node:./dist/faxplus-api-3.1.0.tgz",
    ),
    "replay": Command(
        "re-send findings of a summary.json: still failing or fixed?",
        "Sends each finding's reproduction again (to the run's target or another --base-url) and says, "
        "per finding, fixed or still failing. Exit 0: all fixed; 1: any still failing.",
        "faxplus-conformance replay reports/summary.json numbers-empty::status --base-url http://127.0.0.1:8080",
    ),
    "cleanup": Command(
        "delete the webhooks earlier runs left behind (a killed run's), and only those",
        "Lists GET /hooks and deletes every webhook whose target carries a run label of this suite "
        "on --target-base (e.g. https://hooks.run-tbk2q0-1a2b.example.com/...), and nothing else.",
        "faxplus-conformance cleanup --base-url https://staging.example/v3 --older-than 1h --dry-run",
    ),
    "report": Command(
        "build the Allure HTML report from allure-results",
        "Builds the Allure 3 HTML report of a run's allure-results (offline, no analytics).",
        "faxplus-conformance report reports/allure-results --multi-file",
    ),
}


def _command(sub: Any, name: str) -> argparse.ArgumentParser:
    command = HELP[name]
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=command.help,
        description=textwrap.fill(command.description, 88),
        epilog=f"example:\n  {command.example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Does this server honour the Fax.Plus POST /hooks contract?",
        epilog=f"example:\n  {HELP['run'].example}\n\n`{PROG} COMMAND --help` tells each command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_versions())
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    add_run_options(_command(sub, "run"), reference=False)  # diff's --reference-* are diff's alone
    add_run_options(_command(sub, "diff"))  # the run's options, --reference-url required

    mock = _command(sub, "mock")
    add_options(mock, MOCK_OPTIONS)  # --port, --latency: their ranges are in the table
    mock.add_argument(
        "--token", metavar="TOKEN", help="bearer token the mock accepts (default: $FAXPLUS_TOKEN or 'mock-token')"
    )
    change = mock.add_mutually_exclusive_group()
    change.add_argument("--fault", metavar="NAME", help="break exactly one rule (see `faults`)")
    change.add_argument("--variant", metavar="NAME", help="differ only where the contract allows it (see `faults`)")

    faults = _command(sub, "faults")
    faults.add_argument("--variants", action="store_true", help="list the variants: servers the suite must pass")

    sdk = add_sdk_arguments(_command(sub, "sdk"))
    for command in (mock, sdk):  # `run` has it among its run options
        add_options(command, (OPTIONS["--spec"],))

    add_replay_arguments(_command(sub, "replay"))

    leftovers = _command(sub, "cleanup")
    add_options(leftovers, tuple(OPTIONS[flag] for flag in CLEANUP_FLAGS))
    leftovers.add_argument(
        "--older-than",
        metavar="AGE",
        type=_age,
        help="only webhooks of runs that started at least AGE ago (e.g. 90s, 30m, 2h, 1d); default: all",
    )
    leftovers.add_argument("--dry-run", action="store_true", help="list what would be deleted; delete nothing")

    report = _command(sub, "report")
    report.add_argument(
        "results_dir",
        nargs="?",
        type=Path,
        default=Path("reports/allure-results"),
        metavar="RESULTS_DIR",
        help="the run's allure-results folder (default: reports/allure-results)",
    )
    report.add_argument("--output", type=Path, metavar="DIR", help="HTML folder (default: next to the results, html/)")
    add_options(
        report, tuple(OPTIONS[flag] for flag in ("--single-file", "--multi-file", "--history"))
    )  # the HTML options `run` and `sdk` take
    for command in sub.choices.values():
        command.add_argument(
            "--config",
            metavar="FILE",
            help=f"options from this TOML file (default: ./{CONFIG_FILE}, or ./pyproject.toml's "
            "[tool.faxplus-conformance])",
        )
    return parser


def _versions() -> str:
    """The suite's version and those of the engines it stands on (`--version`)."""
    from importlib.metadata import PackageNotFoundError, version

    def of(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return f"{PROG} {of(PROG)} (schemathesis {of('schemathesis')}, hypothesis {of('hypothesis')})"


def _unknown(kind: str, name: str, known: Sequence[str]) -> str:
    """`unknown fault 'x'`, with the closest names when there are some, and where the list is."""
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown {kind} {name!r}{hint} (`{PROG} faults{' --variants' if kind == 'variant' else ''}` lists them)"


def _contract_note(contract: Contract) -> str:
    """` · contract: FILE (title version)` under --spec; nothing for the vendored contract."""
    return f" · contract: {contract.source} ({contract.title} {contract.version})" if contract.source else ""


def _contract(args: argparse.Namespace) -> Contract:
    """The contract `--spec` (or $FAXPLUS_SPEC) names for this command, the vendored one without it."""
    from conformance.contract import for_spec  # YAML and jsonschema: loaded by the commands that need a contract

    return for_spec(getattr(args, "faxplus_spec", None))


def _say(line: str) -> None:
    print(line, flush=True)


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    return EXIT_USAGE


def cmd_run(args: argparse.Namespace) -> int:
    target = build_target(lambda dest: getattr(args, dest, None))
    # Started first: the mock's process gets ready on another core while this one imports the suite.
    mock = _embedded_mock(target) if target.embedded else None
    allure = _allure_ahead(args)
    try:
        return _run(args, target, mock, allure)
    finally:
        if allure is not None:  # an install no HTML build waited for (an error, an interrupt) is stopped
            allure.close()


def _allure_ahead(args: argparse.Namespace) -> AllureInstall | None:
    """The pinned Allure CLI's install when the command will build HTML, started now if it is needed:
    a first run's `npm ci` then overlaps its cases instead of following its verdict."""
    if args.faxplus_no_html:
        return None
    from conformance.report.allure_install import AllureInstall

    return AllureInstall.start()


def _stop_on_interrupt(allure: AllureInstall | None) -> list[Handler]:
    """An engine handler that kills the install on the run's first signal: the run winds down, and a
    network install is not what the user waits for then (an interrupted run's HTML is skipped)."""
    if allure is None:
        return []
    from conformance.engine import Interrupted

    def stop(event: Event) -> None:
        if isinstance(event, Interrupted):
            allure.cancel()

    return [stop]


def _run(args: argparse.Namespace, target: Target, mock: EmbeddedMock | None, allure: AllureInstall | None) -> int:
    courier = None
    try:
        courier = courier_for(target)  # the same: the process that sends, when the cases are recorded
        from conformance.engine import Engine
        from conformance.report import console, outputs
        from conformance.report.progress import Progress
        from conformance.suite import build_diff

        for line in tls_warnings(target):  # before anything is sent: they concern every request
            _say(line)
        out = target.output_dir
        out.mkdir(parents=True, exist_ok=True)
        live = sys.stderr.isatty()  # a live progress line; elsewhere (CI) a plain line every 10 s or 10 %
        engine = Engine(
            target,
            diff=build_diff(lambda dest: getattr(args, dest, None)),
            # Live on a terminal (stderr); a plain line in the log otherwise, stderr kept for errors.
            handlers=[Progress(sys.stderr if live else sys.stdout, live=live), *_stop_on_interrupt(allure)],
            reporters=outputs.reporters(),
            pytest_output=False,  # the Progress handler reports instead
            mock=mock,
            courier=courier,
        )
        # Opened before pytest is even imported: the recorded cases go on the wire meanwhile.
        run = engine.open()
    except BaseException:
        if courier is not None:
            courier.close()
        if mock is not None:
            mock.stop()
        raise
    where = f"embedded reference mock at {run.target.base_url}" if run.mock else redact_url(target.base_url or "")
    config = f" · config: {args.config_used}" if getattr(args, "config_used", None) else ""
    _say(f"POST /hooks conformance · target: {where} · tier: {target.tier}{_contract_note(engine.contract)}{config}")
    if run.reference is not None:
        _say(f"diff against reference: {', '.join(redact_url(url) for url in run.reference.urls)}")
    if target.token and weak(target.token):
        _say(
            f"warning: the token is shorter than {WEAK} characters, so it is masked only where it stands "
            "alone (never inside a word); fine for a local mock, weak for anything else"
        )
    if target.tier == "nightly":
        _say(f"seed: {run.seed}  (replay with: --tier nightly --seed {run.seed})")
    # Everything imported so far lives as long as the process: a full collection (Hypothesis runs
    # one when schemathesis first draws, ~0.13 s) need not walk it again. The CLI's choice, not the
    # engine's: an in-process caller keeps its own heap collectable.
    gc.freeze()
    result = engine.run()
    _say("")
    _say(console.summary(result, verbose=args.faxplus_verbose, closing=False))
    if not args.faxplus_no_html:
        _html_of(args, out, allure)
    _say(f"reports: {out}/summary.json, {out}/summary.md, {out}/junit.xml, {out}/allure-results/")
    if target.update_baseline:
        accepted = sum(1 for f in result.findings if f.verdict.name == "FAIL")
        _say(f"baseline: {accepted} accepted finding(s) written to {target.baseline}")
    for gap in result.document["incomplete"]:  # masked, as every artifact
        print(f"{PROG}: {gap}", file=sys.stderr, flush=True)
    _say(console.closing_line(result))
    return result.exit_code


def _embedded_mock(target: Target) -> EmbeddedMock:
    from conformance.suite import EmbeddedMock

    return EmbeddedMock(target.spec)


def _html_of(args: argparse.Namespace, out: Path, allure: AllureInstall | None) -> bool:
    """The HTML report of the allure-results a run or the SDK gate wrote into `out`, as the output options say."""
    return _html(
        out / "allure-results",
        out / "html",
        single_file=not args.faxplus_multi_file,
        history=args.faxplus_history,
        allure=allure,
    )


def _html(
    results: Path, html: Path, *, single_file: bool, history: Path | None, allure: AllureInstall | None = None
) -> bool:
    from conformance.report.allure_report import HtmlUnavailable, build_html

    try:
        index = build_html(results, html, single_file=single_file, history=history, say=_say, allure=allure)
    except HtmlUnavailable as reason:
        _say(f"HTML report skipped: {reason}")
        return False
    if single_file:
        _say(f"HTML report: {index}  (one file: open it from disk)")
    else:  # its data is fetched, which a browser refuses from file://: it must be served
        _say(f"HTML report: {index}  (a folder: serve it, python3 -m http.server -d {index.parent}, and open the URL)")
    return True


def cmd_diff(args: argparse.Namespace) -> int:
    if not args.faxplus_reference_url:
        return _fail("diff needs --reference-url REFERENCE (the server to compare the candidate with)")
    return cmd_run(args)


def cmd_mock(args: argparse.Namespace) -> int:
    from conformance.mock import DEFAULT_TOKEN, FAULTS, VARIANTS, MockServer

    fault = FAULTS.get(args.fault) if args.fault else None
    if args.fault and fault is None:
        return _fail(_unknown("fault", args.fault, [f.name for f in FAULTS]))
    variant = VARIANTS.get(args.variant) if args.variant else None
    if args.variant and variant is None:
        return _fail(_unknown("variant", args.variant, [v.name for v in VARIANTS]))
    token = env_or(args.token, "FAXPLUS_TOKEN") or DEFAULT_TOKEN
    contract = _contract(args)
    try:
        server = MockServer(
            port=args.port, token=token, fault=fault, variant=variant, latency=args.latency, contract=contract
        )
    except OSError as error:
        return _fail(f"cannot listen on 127.0.0.1:{args.port} ({error.strerror}): pick another --port")
    note = "the default token 'mock-token'" if token == DEFAULT_TOKEN else "the token you gave"
    what = f"fault: {fault.name}" if fault else f"variant: {variant.name}" if variant else "faithful"
    with contextlib.suppress(KeyboardInterrupt):  # a Ctrl-C once it said so is a stop, exit 0
        _say(f"reference mock on {server.url} ({what}{_contract_note(contract)}); it accepts {note}. Ctrl-C stops it.")
        server.serve_forever()
    return EXIT_OK


# What `cleanup` needs of the run options: where, with which credentials, how long, over which TLS.
CLEANUP_FLAGS = (
    "--base-url",
    "--token",
    "--client-id",
    "--target-base",
    "--timeout",
    "--cleanup-timeout",
    "--allow-production",
    "--ca-bundle",
    "--client-cert",
    "--client-key",
    "--insecure",
    "--no-proxy",
)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _age(text: str) -> float:
    """`90s`, `30m`, `2h`, `1d` (a bare number is seconds) as seconds."""
    number, unit = (text[:-1], text[-1]) if text[-1:].lower() in _UNITS else (text, "s")
    try:
        seconds = float(number) * _UNITS[unit.lower()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is no age: write e.g. 90s, 30m, 2h or 1d") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is no age: write e.g. 90s, 30m, 2h or 1d")
    return seconds


def cmd_cleanup(args: argparse.Namespace) -> int:
    """Delete what earlier runs left behind; exit 0 when none is left, 2 when some could not be deleted."""
    from conformance.send import remove_leftovers

    if not args.base_url:
        return _fail("cleanup needs --base-url URL (the server the runs registered their webhooks on)")
    target = build_target(lambda dest: getattr(args, dest, None))
    found = remove_leftovers(target, older_than=args.older_than, dry_run=args.dry_run)
    if not found.listed:
        return _fail(f"GET {redact_url(target.hooks_url)} did not list webhooks: nothing was deleted")
    what = "would delete" if args.dry_run else "found"
    _say(f"{what} {len(found.found)} webhook(s) of earlier runs on {redact_url(target.hooks_url)}")
    for hook_id, label in found.found.items():
        state = (
            "would delete"
            if args.dry_run
            else "deleted"
            if hook_id in found.deleted
            else f"NOT deleted: {found.failed.get(hook_id) or found.unaddressable.get(hook_id)}"
        )
        _say(f"  {hook_id}  ({label})  {state}")  # ids are shown escaped already
    if found.younger:
        _say(f"left {found.younger} webhook(s) of runs younger than --older-than")
    if args.dry_run:
        return EXIT_OK
    left = len(found.failed) + len(found.unaddressable)
    _say(
        f"deleted {len(found.deleted)}, not deleted {left}"
        + (f"; still listed afterwards: {found.remaining}" if found.remaining is not None else "")
    )
    return EXIT_USAGE if left or found.remaining else EXIT_OK


def cmd_faults(args: argparse.Namespace) -> int:
    from conformance.mock import FAULTS, VARIANTS

    entries = list(VARIANTS) if args.variants else list(FAULTS)
    width = max((len(entry.name) for entry in entries), default=10)
    for entry in entries:
        _say(f"{entry.name:<{width}}  {entry.description}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    if not args.results_dir.is_dir():
        return _fail(f"no allure results at {args.results_dir}: run `{PROG} run` first or name the folder")
    html = args.output or args.results_dir.parent / "html"
    built = _html(args.results_dir, html, single_file=not args.faxplus_multi_file, history=args.faxplus_history)
    return EXIT_OK if built else EXIT_USAGE


def cmd_sdk(args: argparse.Namespace) -> int:
    """The SDK gate, then the HTML report from its allure-results, as `run` builds it."""
    from conformance.sdk.command import output_dir

    allure = _allure_ahead(args)  # overlaps the gate, as a run's cases
    try:
        code = sdk_gate(args)
        out = output_dir(args)
        if not args.faxplus_no_html:
            _html_of(args, out, allure)
    finally:
        if allure is not None:
            allure.close()
    return code


COMMANDS = {
    "run": cmd_run,
    "diff": cmd_diff,
    "mock": cmd_mock,
    "faults": cmd_faults,
    "report": cmd_report,
    "sdk": cmd_sdk,
    "replay": cmd_replay,
    "cleanup": cmd_cleanup,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        config = apply_config(parser, argv)  # the config file's values become defaults: flags still win
    except UsageError as error:
        return _fail(str(error))
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # a bad option (one line, exit 2) or --help: as a code, also when called in-process
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    args.config_used = config.where if config is not None else None  # said in the run's first line
    try:
        settle_args(args)  # what one option needs of another (a --baseline file that exists, ...)
        spec = getattr(args, "faxplus_spec", None) or check_value(OPTIONS["--spec"], os.environ.get("FAXPLUS_SPEC"))
        if spec:  # the command's contract; a bad file is one line, exit 2, before anything starts
            args.faxplus_spec = spec
            _contract(args)
        return COMMANDS[args.command](args)
    except UsageError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        return _fail("interrupted")
    except BrokenPipeError:  # `faxplus-conformance faults | head`: the reader left, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # noqa: BLE001 - the last resort: one redacted line, not a traceback
        redactor = Redactor(_secrets(args))
        if os.environ.get("FAXPLUS_DEBUG"):  # more detail, the same exit code
            import traceback

            print(redactor.text("".join(traceback.format_exception(error))), file=sys.stderr, end="", flush=True)
        return _fail(
            redactor.text(
                f"internal error ({type(error).__name__}: {error}); "
                "rerun with FAXPLUS_DEBUG=1 for the traceback and report it"
            )
        )


def _secrets(args: argparse.Namespace) -> dict[str, str]:
    token = env_or(getattr(args, "faxplus_token", None) or getattr(args, "token", None), "FAXPLUS_TOKEN")
    client_id = env_or(getattr(args, "faxplus_client_id", None), "FAXPLUS_CLIENT_ID")
    reference = env_or(getattr(args, "faxplus_reference_token", None), "FAXPLUS_REFERENCE_TOKEN")
    pairs = ((token, "$FAXPLUS_TOKEN"), (client_id, "$FAXPLUS_CLIENT_ID"), (reference, "$FAXPLUS_REFERENCE_TOKEN"))
    return {s: p for s, p in pairs if s}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
