"""`faxplus-conformance`: run the suite, serve the reference mock, list faults, build reports.

Exit codes: 0 conformant (warns allowed), 1 contract violations, 2 usage or infrastructure error.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from conformance.config import FILE as CONFIG_FILE
from conformance.config import apply as apply_config
from conformance.options import MOCK_OPTIONS, OPTIONS, add_options, build_target, check_value, settle_args
from conformance.options import add_to_argparse as add_run_options
from conformance.replay import add_arguments as add_replay_arguments
from conformance.replay import cmd_replay
from conformance.sdk import add_arguments as add_sdk_arguments
from conformance.sdk import cmd_sdk as sdk_gate
from conformance.send import Redactor, courier_for
from conformance.send._redact import WEAK, weak
from conformance.send._tls import tls_warnings
from conformance.target import UsageError, env_or, redact_url

if TYPE_CHECKING:
    from conformance.suite._session import Session

PROG = "faxplus-conformance"
EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 2  # pytest.ExitCode.INTERRUPTED, without importing pytest to name it
# Commands that write reports: each takes the shared output options (conformance.options.OUTPUT_OPTIONS).
REPORTING = ("run", "diff", "sdk")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line that says what and what to do, not a usage dump.
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Does this server honour the Fax.Plus POST /hooks contract?")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run the conformance suite (default target: the embedded mock)")
    add_run_options(run)

    diff = sub.add_parser("diff", help="send every case to the candidate and a reference; report where they part ways")
    add_run_options(diff)  # the run's options, --reference-url required

    mock = sub.add_parser("mock", help="serve the reference mock on 127.0.0.1")
    add_options(mock, MOCK_OPTIONS)  # --port, --latency: their ranges are in the table
    mock.add_argument("--token", help="bearer token the mock accepts (default: $FAXPLUS_TOKEN or 'mock-token')")
    change = mock.add_mutually_exclusive_group()
    change.add_argument("--fault", help="break exactly one rule (see `faults`)")
    change.add_argument("--variant", help="differ only where the contract allows it (see `faults`)")

    faults = sub.add_parser("faults", help="list the mock's fault catalogue (or its conformant variants)")
    faults.add_argument("--variants", action="store_true", help="list the variants: servers the suite must pass")

    sdk = add_sdk_arguments(sub.add_parser("sdk", help="release gate: drive an official SDK through the contract"))
    for command in (mock, sdk):  # `run` has it among its run options
        add_options(command, (OPTIONS["--spec"],))

    add_replay_arguments(sub.add_parser("replay", help="re-send findings of a summary.json: still failing or fixed?"))

    report = sub.add_parser("report", help="build the Allure HTML report from allure-results")
    report.add_argument("results_dir", nargs="?", type=Path, default=Path("reports/allure-results"))
    report.add_argument("--output", type=Path, help="HTML folder (default: next to the results, html/)")
    add_options(report, (OPTIONS["--single-file"], OPTIONS["--history"]))  # the HTML options `run` and `sdk` take
    for command in sub.choices.values():
        command.add_argument(
            "--config",
            metavar="FILE",
            help=f"options from this TOML file (default: ./{CONFIG_FILE}, or ./pyproject.toml's "
            "[tool.faxplus-conformance])",
        )
    return parser


def _contract_note() -> str:
    """` · contract: FILE (title version)` under --spec; nothing for the vendored contract."""
    from conformance.contract import CONTRACT

    return f" · contract: {CONTRACT.source} ({CONTRACT.title} {CONTRACT.version})" if CONTRACT.source else ""


def _say(line: str) -> None:
    print(line, flush=True)


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    return EXIT_USAGE


def cmd_run(args: argparse.Namespace) -> int:
    from conformance.suite._embedded import EmbeddedMock

    target = build_target(lambda dest: getattr(args, dest))
    # Started first: the mock's process gets ready on another core while this one imports the suite.
    mock = EmbeddedMock(target.spec) if target.embedded else None
    courier = None
    try:
        courier = courier_for(target)  # the same: the process that sends, when the cases are recorded
        from conformance.suite._reference import build_diff
        from conformance.suite._session import open_session

        for line in tls_warnings(target):  # before anything is sent: they concern every request
            _say(line)
        # Opened before pytest is even imported: the recorded cases go on the wire meanwhile.
        run = open_session(target, build_diff(lambda dest: getattr(args, dest)), mock, courier)
    except BaseException:
        if courier is not None:
            courier.close()
        if mock is not None:
            mock.stop()
        raise
    where = f"embedded reference mock at {run.target.base_url}" if run.mock else redact_url(target.base_url or "")
    _say(f"POST /hooks conformance · target: {where} · tier: {target.tier}{_contract_note()}")
    if run.reference is not None:
        _say(f"diff against reference: {', '.join(redact_url(url) for url in run.reference.urls)}")
    if target.token and weak(target.token):
        _say(
            f"warning: the token is shorter than {WEAK} characters, so it is masked only where it stands "
            "alone (never inside a word); fine for a local mock, weak for anything else"
        )
    if target.tier == "nightly":
        _say(f"seed: {run.seed}  (replay with: --tier nightly --seed {run.seed})")
    out = target.output_dir
    out.mkdir(parents=True, exist_ok=True)

    # SIGTERM (CI cancelling a job) ends the run like Ctrl-C: what was measured is still written,
    # and what was registered is still deleted. The first signal stops sending: the request in
    # flight ends within its deadline, then cleanup runs within its budget. A second signal cancels
    # whatever is on the wire (cleanup included); the summary is still written.
    def interrupt(signum: int, frame: object) -> None:
        if run.interrupted:
            run.sender.cancel()
            if not run.finishing:
                raise KeyboardInterrupt
            return
        run.interrupt()
        if run.finishing or run.in_flight:
            return  # the Probe raises once the answer is recorded; shrinking stops on the flag
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    try:
        code = _run_suite(run, out)
        # Nothing left to do unless pytest was interrupted before its session began.
        run.finish(completed=code != EXIT_INTERRUPTED)
    finally:
        run.close()
    import pytest

    from conformance.report import console

    _say("")
    _say(console.summary(run))
    verdict_code = EXIT_VIOLATIONS if run.ledger.verdict.name == "FAIL" else EXIT_OK
    if run.reference is not None and run.reference.failing:
        verdict_code = EXIT_VIOLATIONS  # divergences remain after noise and baseline
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.INTERRUPTED):
        return _fail(
            f"the suite could not run (pytest exit {int(code)}): rerun with `pytest --pyargs conformance.suite`"
        )
    from conformance.report import allure_context  # environment, categories, CI executor for Allure

    allure_context.write(out / "allure-results", **allure_context.run_target_info(run))
    allure_context.drop_unfinished_fixtures(out / "allure-results")
    if run.reference is not None:
        from conformance.report import divergence

        divergence.write_allure(out / "allure-results", run)
    if not args.faxplus_no_html:
        _html(out / "allure-results", out / "html", single_file=args.faxplus_single_file, history=args.faxplus_history)
    _say(f"reports: {out}/summary.json, {out}/summary.md, {out}/junit.xml, {out}/allure-results/")
    if target.update_baseline:
        accepted = sum(1 for f in run.ledger.findings.values() if f.verdict.name == "FAIL")
        _say(f"baseline: {accepted} accepted finding(s) written to {target.baseline}")
        verdict_code = EXIT_OK
    if run.broken:
        first = run.broken[0]
        message = (
            f"the suite could not judge {len(run.broken)} test(s), first {first}: their remaining cases were "
            "not sent; rerun that test with `pytest --pyargs conformance.suite -k NAME` to see why"
        )
        if verdict_code == EXIT_OK:
            return _fail(message)
        print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    if run.reference is not None and run.reference.stopped:
        message = f"incomplete diff: {run.reference.stopped}; {run.reference.not_compared} case(s) not compared"
        if verdict_code == EXIT_OK:
            return _fail(message)
        print(f"{PROG}: {message}", file=sys.stderr, flush=True)  # its transport fails already decide the exit
    if run.ledger.stopped and verdict_code == EXIT_OK:
        return _fail(f"incomplete: {run.ledger.stopped}; the summary covers what was measured")
    if code == pytest.ExitCode.INTERRUPTED or run.interrupted:
        message = "interrupted: the summary covers what was measured until then"
        if verdict_code == EXIT_OK:
            return _fail(message)
        print(f"{PROG}: {message}", file=sys.stderr, flush=True)  # its violations still decide the exit
    return verdict_code


def _run_suite(run: Session, out: Path) -> int:
    """The suite, in pytest, on `run`; INTERRUPTED for a signal before pytest's session began."""
    try:
        run.send_ahead()  # every test runs: its recorded cases need not wait for pytest to start
        import pytest

        from conformance.plugin import Run

        # Everything imported so far lives as long as the process: a full collection (Hypothesis runs
        # one when schemathesis first draws, ~0.13 s) need not walk it again.
        gc.freeze()
        owner = Run(run.target, owned_by_cli=True, session=run)
        return pytest.main(
            [
                "--pyargs",
                "conformance.suite",
                "-q",
                "--tb=no",
                "-rN",
                "--no-header",
                # The suite judges with ContractViolation, not bare asserts: rewriting every plugin
                # module's asserts (conformance, hypothesis, schemathesis, ...) cost ~0.5 s per run.
                "--assert=plain",
                "-p",
                "no:cacheprovider",
                # Only the plugins a run needs: entry-point discovery of whatever else is installed
                # (xdist, anyio, schemathesis's, hypothesis's) cost ~0.1 s, and the unraisable-exception
                # plugin's closing gc.collect() passes ~0.1 s more.
                "--disable-plugin-autoload",
                "-p",
                "conformance.plugin",
                "-p",
                "allure_pytest.plugin",
                "-p",
                "no:unraisableexception",
                "-W",
                "ignore::DeprecationWarning",
                f"--alluredir={out / 'allure-results'}",
                "--clean-alluredir",
                f"--junitxml={out / 'junit.xml'}",
                "-o",
                "junit_suite_name=faxplus-conformance",
            ],
            plugins=[owner],
        )
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _html(results: Path, html: Path, *, single_file: bool, history: Path | None) -> bool:
    from conformance.report.allure_report import HtmlUnavailable, build_html

    try:
        index = build_html(results, html, single_file=single_file, history=history)
    except HtmlUnavailable as reason:
        _say(f"HTML report skipped: {reason}")
        return False
    _say(f"HTML report: {index}")
    return True


def cmd_diff(args: argparse.Namespace) -> int:
    if not args.faxplus_reference_url:
        return _fail("diff needs --reference-url REFERENCE (the server to compare the candidate with)")
    return cmd_run(args)


def cmd_mock(args: argparse.Namespace) -> int:
    from conformance.mock import DEFAULT_TOKEN, FAULTS, VARIANTS, MockServer

    fault = FAULTS.get(args.fault) if args.fault else None
    if args.fault and fault is None:
        return _fail(f"unknown fault {args.fault!r}: `{PROG} faults` lists them")
    variant = VARIANTS.get(args.variant) if args.variant else None
    if args.variant and variant is None:
        return _fail(f"unknown variant {args.variant!r}: `{PROG} faults` lists them")
    token = env_or(args.token, "FAXPLUS_TOKEN") or DEFAULT_TOKEN
    try:
        server = MockServer(port=args.port, token=token, fault=fault, variant=variant, latency=args.latency)
    except OSError as error:
        return _fail(f"cannot listen on 127.0.0.1:{args.port} ({error.strerror}): pick another --port")
    note = "the default token 'mock-token'" if token == DEFAULT_TOKEN else "the token you gave"
    what = f"fault: {fault.name}" if fault else f"variant: {variant.name}" if variant else "faithful"
    with contextlib.suppress(KeyboardInterrupt):  # a Ctrl-C once it said so is a stop, exit 0
        _say(f"reference mock on {server.url} ({what}{_contract_note()}); it accepts {note}. Ctrl-C stops it.")
        server.serve_forever()
    return EXIT_OK


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
    built = _html(args.results_dir, html, single_file=args.faxplus_single_file, history=args.faxplus_history)
    return EXIT_OK if built else EXIT_USAGE


def cmd_sdk(args: argparse.Namespace) -> int:
    """The SDK gate, then the HTML report from its allure-results, as `run` builds it."""
    from conformance.sdk.command import output_dir

    code = sdk_gate(args)
    out = output_dir(args)
    if not args.faxplus_no_html:
        _html(out / "allure-results", out / "html", single_file=args.faxplus_single_file, history=args.faxplus_history)
    return code


COMMANDS = {
    "run": cmd_run,
    "diff": cmd_diff,
    "mock": cmd_mock,
    "faults": cmd_faults,
    "report": cmd_report,
    "sdk": cmd_sdk,
    "replay": cmd_replay,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        apply_config(parser, argv)  # the config file's values become defaults: flags still win
    except UsageError as error:
        return _fail(str(error))
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # a bad option (one line, exit 2) or --help: as a code, also when called in-process
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    try:
        settle_args(args)  # what one option needs of another (a --baseline file that exists, ...)
        spec = getattr(args, "faxplus_spec", None) or check_value(OPTIONS["--spec"], os.environ.get("FAXPLUS_SPEC"))
        if spec:
            from conformance.contract import use_spec

            use_spec(spec)  # before anything reads the contract; a bad file is one line, exit 2
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
