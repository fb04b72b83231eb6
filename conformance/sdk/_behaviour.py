"""How sensibly an SDK reacts to a broken server (a gate server fault): None, or one warn naming the first oddity.

One verdict per fault, first match wins (a crash outranks a wrong id, which outranks a missing status), so
this is one judgement rather than a set of independent registered checks.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.judge import MISSING, Category, Verdict, Violation, strict_json

from ._observed import Observed

WARN = Verdict.WARN


def describe(answer: dict[str, Any]) -> str:
    if "crash" in answer:
        return f"driver crashed: {answer['crash']}"
    if "unsupported" in answer:
        return f"unsupported: {answer['unsupported']}"
    if answer.get("ok"):
        return f"returned success with id={answer.get('id')!r}"
    fields = {k: answer.get(k) for k in ("status", "error", "description") if answer.get(k) is not None}
    exception = str(answer.get("exception") or "").split("\n", 1)[0][:160]
    return f"raised {exception or 'an error'} {json.dumps(fields)}".strip()


def fault_behaviour(obs: Observed, side: str) -> tuple[Violation | None, str]:
    """How sensible the SDK's reaction to a broken server is: None (sensible) or a warn."""
    a, reply = obs.answer, obs.reply
    behaviour = describe(a)

    def warn(message: str) -> tuple[Violation, str]:
        return Violation("sdk-behaviour", WARN, Category.SPEC_GAP, f"{message} (the SDK {behaviour})"), behaviour

    if "crash" in a:
        return warn("the driver crashed on a broken server reply")
    if "unsupported" in a:
        return None, behaviour
    status = reply.status if reply is not None and not reply.drop else None
    if side == "success":
        if a.get("ok"):
            parsed = strict_json(reply.body or b"") if reply is not None else MISSING
            sent = parsed.get("id") if isinstance(parsed, dict) else None
            got = a.get("id")
            if not isinstance(got, str) or not got:
                return warn(f"the server's {status} reply carried no usable id, yet the SDK reported success")
            if got != sent:
                return warn(f"the server sent id {sent!r}; the SDK surfaced {got!r} without complaint")
            return None, behaviour
        if a.get("status") is None:
            return warn("the SDK raised an error without an HTTP status")
        return None, behaviour
    if a.get("ok"):
        return warn(f"a {status} rejection was surfaced as success")
    if a.get("status") != status:
        return warn(f"the SDK's error carries status {a.get('status')!r}, the server answered {status}")
    return None, behaviour
