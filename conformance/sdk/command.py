"""`faxplus-conformance sdk`: the SDK release gate's command line."""

from __future__ import annotations

import argparse
import random
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import conformance.defaults as defaults
from conformance.options import add_output_options
from conformance.target import TIER_NAMES, UsageError

from ._say import Say
from .candidate import Candidate, node_candidate, parse_sdk, python_candidate
from .generate import candidate as generated

if TYPE_CHECKING:
    from conformance.contract import Contract

DEFAULT_OUTPUT = defaults.SDK_OUTPUT_DIR


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--sdk",
        metavar="LANG[:SPEC]",
        default="python",
        help="SDK under test: python (faxplus-api, or --sdk-spec), python:REQUIREMENT, or node:PATH_OR_SPEC "
        "(a folder, a tarball or an npm spec of a typescript-axios SDK); default: python",
    )
    from .generate import GENERATORS

    parser.add_argument(
        "--generate",
        metavar="GENERATOR",
        choices=sorted(GENERATORS),
        help=f"generate a client from the contract (or --spec FILE) and gate it: {', '.join(sorted(GENERATORS))}",
    )
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
    parser.add_argument(
        "--tier", choices=TIER_NAMES, default=defaults.TIER, help="ci: deterministic (default); nightly: deeper"
    )
    parser.add_argument("--seed", type=int, help="nightly seed to replay")
    parser.add_argument("--refresh", action="store_true", help="reinstall the SDK even when it is cached")
    add_output_options(parser, baseline=True)  # the same output options as `run`, from the one table
    return parser


def output_dir(args: argparse.Namespace) -> Path:
    return args.faxplus_output_dir or DEFAULT_OUTPUT


def cmd_sdk(args: argparse.Namespace) -> int:
    from conformance.contract import for_spec
    from conformance.judge.baseline import Baseline

    from .gate import Gate, GateRun, iter_corpus
    from .protocol import Driver, DriverError
    from .report import console, write

    def say(line: str) -> None:
        print(line, flush=True)

    contract = for_spec(getattr(args, "faxplus_spec", None))  # what the mocks serve and the checks judge by
    candidate = from_args(args, say, contract)
    command, env, replay, spec = candidate.command, candidate.env, candidate.replay, candidate.spec
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
            "language": hello.get("language") or candidate.language,
            "generator": candidate.generator,
            "spec": spec,
            "driver": replay,
            "gate_option": candidate.option,
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
            contract=contract,
        )
        Gate(run).run_all(list(iter_corpus(contract, args.tier, seed)))
    if args.faxplus_baseline is not None:
        Baseline.load(args.faxplus_baseline).relabel(run.ledger)
    data = write(run)
    say("")
    say(console(data))
    out = output_dir(args)
    say(f"reports: {out}/summary.json, {out}/summary.md, {out}/allure-results/")
    return int(data["exit_code"])


def from_args(args: argparse.Namespace, say: Say, contract: Contract) -> Candidate:
    """The SDK under test; `--generate` generates it from `contract`'s file."""
    chosen = [name for name in ("sdk_driver", "generate") if getattr(args, name, None)]
    if args.sdk and args.sdk != "python":
        chosen.append("sdk")
    if args.sdk_spec:
        chosen.append("sdk_spec")
    if len(chosen) > 1:
        names = ", ".join("--" + name.replace("_", "-") for name in chosen)
        raise UsageError(f"{names} each choose the SDK under test: give one of them")
    if args.sdk_driver:
        command = shlex.split(args.sdk_driver)
        if not command:
            raise UsageError("--sdk-driver is empty: give the command that starts your driver")
        return Candidate(command, None, args.sdk_driver, f"--sdk-driver {shlex.quote(args.sdk_driver)}")
    if getattr(args, "generate", None):
        return generated(args.generate, contract, refresh=args.refresh, say=say)
    language, spec = parse_sdk(args.sdk or "python")
    if language == "node":
        return node_candidate(spec, refresh=args.refresh, say=say)
    return python_candidate(spec or args.sdk_spec, refresh=args.refresh, say=say)
