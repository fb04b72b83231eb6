"""`faxplus-conformance replay summary.json [FINDING-ID ...]`: is this finding gone, without a full run?

Each chosen finding's reproduction (method, path, headers, body, as `summary.json` keeps them with
secrets as placeholders) is sent again, to the summary's target or another `--base-url`, with the
credentials of this invocation put back where the placeholders stand. The answer is judged by the
same checks (`conformance.judge.run_checks`) under the finding's `kind` and the run's contract (the
`--spec` file the summary names, else the vendored one), and one line says
`still failing` (naming the checks that object) or `fixed`. A finding the run judged after
another request on the same keep-alive connection (`reproduction.preceded_by`: a refusal whose body
the server left unread, the right token before a wrong one) is replayed the same way, that request
first and on the same connection. Whatever a replay registers is deleted afterwards, as a run does.

Exit codes: 0 every chosen finding fixed, 1 any still failing, 2 usage or infrastructure error
(including a finding that cannot be replayed: no exchange behind it, or a credential it needs was
redacted and never kept).
"""

from __future__ import annotations

import argparse
import base64
import difflib
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from conformance.options import OPTIONS, add_options, build_target
from conformance.send import Exchange, RateLimited, Sender, TargetHanging, cleanup
from conformance.target import Target, UsageError, redact_url

if TYPE_CHECKING:
    from conformance.contract import Contract
    from conformance.judge import Kind, Verdict

# Judging, the contract and the mock are imported where they are used: the CLI imports this module
# to build its parser, and a command that replays nothing need not load jsonschema, YAML or the mock.

# The run options a replay needs, the same rows as `run` takes (flag, type, default, env).
REPLAY_OPTIONS = ("--base-url", "--token", "--client-id", "--timeout", "--max-response-bytes", "--allow-production")
# Headers the wire computes itself: re-sent as recorded they would contradict the replayed body.
_FRAMING = {"host", "content-length", "transfer-encoding"}
# What httpx adds by default: when the recorded request did not carry one, the case removed it on purpose.
_CLIENT_DEFAULTS = ("accept", "accept-encoding", "connection", "user-agent")
REDACTED = "[redacted]"


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("summary", type=Path, help="a summary.json written by `run`")
    parser.add_argument(
        "ids",
        nargs="*",
        metavar="FINDING-ID",
        help="finding ids (family::check) or group ids (check#hash); default: every fail",
    )
    add_options(parser, (OPTIONS[flag] for flag in REPLAY_OPTIONS))
    return parser


class NotReplayable(Exception):
    """The summary does not hold what it takes to send this finding again."""


@dataclass(frozen=True)
class Replay:
    """One finding's request, ready to go on the wire (secrets restored, in memory only)."""

    finding: str
    check: str
    verdict: Verdict
    kind: Kind
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    chunked: bool
    removed: tuple[str, ...]
    # The request the run sent just before on the same connection (`reproduction.preceded_by`): sent
    # first, on the same connection, since what the server made of it shaped the finding's answer.
    before: Replay | None = None

    @classmethod
    def of(cls, finding: Mapping[str, Any], secrets: Mapping[str, str]) -> Replay:
        """`secrets`: placeholder → value (`$FAXPLUS_TOKEN` → the token of this invocation)."""
        from conformance.judge import Kind, Verdict

        rep = finding.get("reproduction") or {}
        before = None
        if rep.get("preceded_by"):
            before = cls.of({**finding, "reproduction": rep["preceded_by"]}, secrets)
        if not rep.get("method"):
            raise NotReplayable("no exchange behind it (a finding about the contract itself)")
        try:
            kind = Kind(str(finding.get("kind")))
        except ValueError:
            raise NotReplayable(f"unknown kind {finding.get('kind')!r}") from None
        path = rep.get("path") or _hooks_path(rep.get("url", ""))
        if path is None:
            raise NotReplayable(f"its URL {rep.get('url')!r} has no /hooks path")
        headers: dict[str, str] = {}
        recorded = {name.lower() for name in rep.get("request_headers", {})}
        for name, value in rep.get("request_headers", {}).items():
            if name.lower() in _FRAMING:
                continue
            if value == REDACTED:
                raise NotReplayable(f"its {name} header was a credential the summary never keeps; rerun the suite")
            headers[name] = _restore(value, secrets, name)
        body: bytes | None = None
        if rep.get("request_body_base64"):
            body = _restore_bytes(base64.b64decode(rep["request_body_base64"]), secrets)
        elif rep.get("request_body") is not None:
            body = _restore(rep["request_body"], secrets, "body").encode("utf-8")
        return cls(
            finding=str(finding["id"]),
            check=str(finding["check"]),
            verdict=Verdict[str(finding["verdict"]).upper()],
            kind=kind,
            method=str(rep["method"]),
            path=_restore(path, {p: quote(s, safe="") for p, s in secrets.items()}, "URL"),
            headers=headers,
            body=body,
            chunked="transfer-encoding" in recorded and "chunked" in str(rep["request_headers"]).lower(),
            removed=tuple(name for name in _CLIENT_DEFAULTS if name not in recorded),
            before=before,
        )

    def send(self, sender: Sender, base_url: str) -> tuple[Exchange, ...]:
        """The request on the wire, after the one that preceded it on the same connection, if any:
        every exchange, the finding's own last (it knows the one before it)."""
        exchanges: list[Exchange] = []
        for step, reuse in ((self.before, True), (self, False)):
            if step is None:
                continue
            exchange = sender.send(
                step.method,
                base_url.rstrip("/") + step.path,
                {**step.headers, **{name: None for name in step.removed}},
                step.body,
                chunked=step.chunked,
                reuse=reuse,
            )
            exchange.after = exchanges[-1] if exchanges else None
            exchanges.append(exchange)
        return tuple(exchanges)

    def failing(self, exchange: Exchange, contract: Contract) -> list[str]:
        """The checks that still object, judged as in the run (the finding's kind, every check, the
        run's contract), at the finding's verdict or worse. Empty: fixed. Not only the finding's own
        check: a request that now times out or gets a 500 has not been fixed, it fails another way."""
        from conformance.judge import run_checks

        return sorted({v.check for v in run_checks(exchange, self.kind, contract) if v.verdict >= self.verdict})

    def still_failing(self, exchange: Exchange, contract: Contract) -> bool:
        return bool(self.failing(exchange, contract))


def _hooks_path(url: str) -> str | None:
    at = url.find("/hooks")
    return url[at:] if at >= 0 else None


def _restore(value: str, secrets: Mapping[str, str], where: str) -> str:
    for placeholder, secret in secrets.items():
        value = value.replace(placeholder, secret)
    if "$FAXPLUS_" in value:
        needed = value[value.index("$FAXPLUS_") :].split()[0].strip("\"',;")
        flag = "--client-id" if "CLIENT_ID" in needed else "--token"
        raise NotReplayable(f"its {where} needs {needed}: pass {flag} or set {needed.lstrip('$')}")
    return value


def _restore_bytes(value: bytes, secrets: Mapping[str, str]) -> bytes:
    for placeholder, secret in secrets.items():
        value = value.replace(placeholder.encode(), secret.encode())
    return value


# --- the summary -----------------------------------------------------------------------------------


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        why = type(error).__name__
        raise UsageError(f"cannot read {path} as a summary.json ({why}): name the one a `run` wrote") from None
    if not isinstance(data, dict) or "findings" not in data:
        raise UsageError(f"{path} is not a summary.json: name the one a `run` wrote")
    from conformance.report.summary import SCHEMA_VERSION

    version = str(data.get("schema_version", "0"))
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise UsageError(
            f"{path} has summary schema {version}, this version reads {SCHEMA_VERSION.split('.')[0]}.x: "
            "replay it with the faxplus-conformance that wrote it"
        )
    if "sdk" in data:
        raise UsageError(f"{path} is an SDK gate summary: replay its findings with their `sdk_call`")
    return data


def choose(data: Mapping[str, Any], ids: Iterable[str]) -> list[dict[str, Any]]:
    """The findings named by id (a group id stands for its findings); none named: every fail."""
    findings = {f["id"]: f for f in data["findings"]}
    groups = {g["id"]: g["findings"] for g in data.get("groups") or []}
    wanted = list(ids)
    if not wanted:
        return [f for f in data["findings"] if f["verdict"] == "fail"]
    chosen: dict[str, dict[str, Any]] = {}
    for name in wanted:
        if name in findings:
            chosen[name] = findings[name]
        elif name in groups:
            chosen.update({key: findings[key] for key in groups[name] if key in findings})
        else:
            near = difflib.get_close_matches(name, [*findings, *groups], n=1)
            hint = f"did you mean {near[0]!r}?" if near else "the summary's findings list their ids"
            raise UsageError(f"no finding {name!r} in the summary: {hint}")
    return list(chosen.values())


# --- the command -----------------------------------------------------------------------------------


def _say(line: str) -> None:
    print(line, flush=True)


def contract_of(data: Mapping[str, Any]) -> Contract:
    """The contract the summary's run was judged by: its `--spec` file, else the vendored one."""
    from conformance.contract import for_spec

    return for_spec((data.get("contract") or {}).get("spec"))


def cmd_replay(args: argparse.Namespace, say: Callable[[str], None] = _say) -> int:
    from conformance.mock import MockServer

    data = load(args.summary)
    contract = contract_of(data)  # a --spec file that is gone or broken: one line, exit 2
    findings = choose(data, args.ids)
    if not findings:
        say(f"{args.summary}: no failing finding to replay (name finding ids to replay warns)")
        return 0
    mock = None
    get = lambda dest: getattr(args, dest, None)  # noqa: E731 - replay takes a few of the run's options
    if args.base_url is None and data["target"].get("embedded"):
        token = secrets.token_urlsafe(24)  # as a run does: a fresh embedded mock with a fresh token
        mock = MockServer(port=0, token=token, contract=contract).start()
        target = build_target(get, base_url=mock.url, token=token)
        where = f"embedded reference mock at {mock.url}"
    else:
        target = build_target(get, **({} if args.base_url else {"base_url": data["target"]["base_url"]}))
        where = redact_url(target.base_url or "")
    try:
        say(f"replaying {len(findings)} finding(s) from {args.summary} against {where}")
        return _replay_all(target, contract, findings, say)
    finally:
        if mock is not None:
            mock.stop()


def _replay_all(target: Target, contract: Contract, findings: list[dict[str, Any]], say: Callable[[str], None]) -> int:
    placeholders = {p: s for s, p in target.secrets.items()}
    sender = Sender(target)
    registered: list[str] = []
    outcome = {"fixed": 0, "still failing": 0, "not replayable": 0}
    width = max(len(f["id"]) for f in findings)
    try:
        for finding in findings:
            try:
                replay = Replay.of(finding, placeholders)
            except NotReplayable as why:
                outcome["not replayable"] += 1
                say(f"{finding['id']:<{width}}  not replayable: {why}")
                continue
            try:
                *_, exchange = sent = replay.send(sender, target.base_url or "")
            except (TargetHanging, RateLimited) as stop:
                outcome["not replayable"] += len(findings) - sum(outcome.values())
                say(f"stopped sending: {stop}")
                break
            registered += [e.registered_id for e in sent if e.registered_id is not None]
            failing = replay.failing(exchange, contract)
            outcome["still failing" if failing else "fixed"] += 1
            answer = f"answered {exchange.status}" if exchange.error is None else f"no answer: {exchange.error}"
            verdict = f"still failing: {', '.join(failing)}" if failing else "fixed"
            say(f"{finding['id']:<{width}}  {verdict} ({answer})")
    finally:
        sender.close()
        if registered:
            cleanup(target, registered)
    say(", ".join(f"{n} {what}" for what, n in outcome.items() if n))
    if outcome["still failing"]:
        return 1
    return 2 if outcome["not replayable"] else 0
