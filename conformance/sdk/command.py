"""`faxplus-conformance sdk`: the SDK release gate's command line."""

from __future__ import annotations

import argparse
import random
import shlex
import sys
from pathlib import Path

from conformance.options import add_output_options
from conformance.target import TIERS, UsageError

SDKS = ("python",)
DEFAULT_OUTPUT = Path("reports/sdk")


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--sdk", choices=SDKS, default="python", help="SDK under test (default: python)")
    parser.add_argument(
        "--sdk-spec",
        metavar="REQUIREMENT",
        help="pip requirement or local path of the SDK, e.g. faxplus-api==3.0.5 or ./dist/rc.whl "
        "(default: the published faxplus-api)",
    )
    parser.add_argument(
        "--sdk-driver",
        metavar="CMD",
        help="command of any driver speaking the gate's JSON-lines protocol (replaces --sdk/--sdk-spec)",
    )
    parser.add_argument("--tier", choices=TIERS, default="ci", help="ci: deterministic (default); nightly: deeper")
    parser.add_argument("--seed", type=int, help="nightly seed to replay")
    parser.add_argument("--refresh", action="store_true", help="reinstall the SDK even when it is cached")
    add_output_options(parser, baseline=True)  # the same output options as `run`, from the one table
    return parser


def output_dir(args: argparse.Namespace) -> Path:
    return args.faxplus_output_dir or DEFAULT_OUTPUT


def cmd_sdk(args: argparse.Namespace) -> int:
    from conformance.judge.baseline import Baseline

    from .gate import Gate, GateRun, iter_corpus
    from .install import install
    from .protocol import Driver, DriverError, python_driver
    from .report import console, write

    def say(line: str) -> None:
        print(line, flush=True)

    spec = None
    if args.sdk_driver and args.sdk_spec:
        raise UsageError("--sdk-driver runs its own SDK: give either --sdk-driver or --sdk-spec, not both")
    if args.sdk_driver:
        command, env = shlex.split(args.sdk_driver), None
        if not command:
            raise UsageError("--sdk-driver is empty: give the command that starts your driver")
        replay = args.sdk_driver
    else:
        spec = args.sdk_spec
        site = install(spec, refresh=args.refresh, say=say)
        command, env = python_driver(site, sys.executable)
        replay = f"PYTHONPATH={shlex.quote(str(site))} {shlex.join(command)}"
    seed = None
    if args.tier == "nightly":
        seed = args.seed if args.seed is not None else random.randrange(2**32)
    driver = Driver(command, env=env)
    with driver:
        try:
            hello = driver.hello()
        except DriverError as error:
            raise UsageError(str(error)) from error
        sdk = {
            "name": hello.get("sdk") or (args.sdk_driver and "custom driver") or args.sdk,
            "version": hello.get("version"),
            "language": hello.get("language"),
            "spec": spec or ("faxplus-api" if not args.sdk_driver else None),
            "driver": replay,
            "driver_option": args.sdk_driver,
        }
        say(
            f"SDK release gate · {sdk['name']} {sdk['version'] or ''} · reference mock · tier: {args.tier}".replace(
                "  ", " "
            )
        )
        if seed is not None:
            say(f"seed: {seed}  (replay with: --tier nightly --seed {seed})")
        run = GateRun(
            driver=driver,
            driver_replay=replay,
            sdk=sdk,
            tier=args.tier,
            seed=seed,
            output_dir=output_dir(args),
            spec=spec,
        )
        Gate(run).run_all(list(iter_corpus(args.tier, seed)))
    if args.faxplus_baseline is not None:
        Baseline.load(args.faxplus_baseline).relabel(run.ledger)
    data = write(run)
    say("")
    say(console(data))
    out = output_dir(args)
    say(f"reports: {out}/summary.json, {out}/summary.md, {out}/allure-results/")
    return int(data["exit_code"])
