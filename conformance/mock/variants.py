"""The variant catalogue: servers that differ from the reference only where the contract is silent.

Each must pass the suite (exit 0, warns allowed). Together they pin down what the suite must not
object to: framing, compression, interim answers, HTTP/1.0 and connection handling (RFC 9112), the
shape of ids, pretty or escaped JSON, extra headers, latency, how credentials are refused, rate
limiting, lenient parsing.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

from ._behaviour import Context, Stage, check_auth
from ._framing import Framing
from ._lenient import json5_body
from ._reply import Reply, Request, error_reply, json_reply
from ._variant import VARIANTS, Variant

RATE_LIMIT_EVERY = 25  # every 25th POST /hooks is refused with 429 before any work
LATENCY = 0.030  # seconds: a server across a continent


def _uuid_register(request: Request, ctx: Context) -> Reply | None:
    hook_id = str(uuid.uuid4())
    ctx.store.add(ctx.body, hook_id=hook_id)
    return json_reply(200, {"id": hook_id})


def _pretty(reply: Reply) -> Reply:
    try:
        value = reply.json()
    except ValueError:
        return reply
    return reply.with_(body=json.dumps(value, indent=2, ensure_ascii=True).encode("ascii") + b"\n")


def _escaped_everywhere(reply: Reply) -> Reply:
    """Pretty-printed, and every character of every string escaped as `\\uXXXX` (still the same JSON)."""
    pretty = _pretty(reply)
    try:
        value = pretty.json()
    except ValueError:
        return pretty
    text = json.dumps(value, indent=2, ensure_ascii=True)
    return pretty.with_(body=_escape_strings(text).encode("ascii"))


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _escape_strings(text: str) -> str:
    """Every JSON string token re-written with each character as `\\uXXXX` (UTF-16 units)."""

    def escape(match: re.Match[str]) -> str:
        units = json.loads(match.group()).encode("utf-16-be", "surrogatepass")
        return '"' + "".join(f"\\u{int.from_bytes(units[i : i + 2]):04x}" for i in range(0, len(units), 2)) + '"'

    return _STRING.sub(escape, text)


def _extra_headers(request: Request, ctx: Context, reply: Reply) -> Reply:
    headers = {
        **reply.headers,
        "X-Request-Id": f"req-{ctx.serial:08d}",
        "X-RateLimit-Limit": "1000",
        "X-RateLimit-Remaining": str(max(0, 1000 - ctx.serial % 1000)),
        "X-RateLimit-Reset": "60",
        "Cache-Control": "no-store",
        "Strict-Transport-Security": "max-age=31536000",
    }
    return reply.with_(headers=headers)


def _every(n: int) -> Stage:
    """Refuse every n-th POST with 429 before any work (nothing registered); Retry-After 0, or 1
    every fourth time, so that waiting is exercised without slowing the run down."""

    def stage(request: Request, ctx: Context) -> Reply | None:
        if ctx.serial % n:
            return None
        wait = "1" if ctx.serial % (4 * n) == 0 else "0"
        reply = error_reply(429, "rate_limited", "Too many requests, slow down")
        return reply.with_(headers={"Retry-After": wait})

    return stage


def _refusal(fn: Callable[[Reply], Reply]) -> Stage:
    def stage(request: Request, ctx: Context) -> Reply | None:
        reply = check_auth(request, ctx)
        return fn(reply) if reply is not None else None

    return stage


def _problem_json(reply: Reply) -> Reply:
    problem = {
        "type": "https://example.com/problems/unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Missing or invalid access token",
    }
    body = json.dumps(problem).encode()
    return reply.with_(body=body, content_type="application/problem+json", headers={"WWW-Authenticate": "Bearer"})


def _all(fn: Callable[[Reply], Reply]) -> Callable[[Request, Context, Reply], Reply]:
    return lambda request, ctx, reply: fn(reply)


CREDENTIAL_KINDS = ("no-credentials", "wrong-credentials", "refused-credentials")
PROBLEM = "{type:string,title:string,status:number,detail:string}"
ERROR = "{error:string,description:string}"


def _on(cause: str, *kinds: str) -> tuple[str, ...]:
    """Expected divergences (variant vs reference mock): one cause for each Kind of request."""
    return tuple(f"{cause} ({kind})" for kind in kinds)


V = VARIANTS.register

V(
    Variant(
        "chunked-responses", "answers with Transfer-Encoding: chunked, never Content-Length", wire=Framing(chunked=True)
    )
)
V(
    Variant(
        "gzip-responses", "gzip-compresses answers when the client's Accept-Encoding allows it", wire=Framing(gzip=True)
    )
)
V(Variant("connection-close", "sends `Connection: close` on every answer and closes", wire=Framing(close=True)))
V(
    Variant(
        "idle-close",
        "closes the keep-alive connection after every answer without saying so (an idle timeout of 0)",
        wire=Framing(drop_idle=True),
    )
)
V(Variant("uuid-ids", "WebhookId.id is a UUID, not 24 hex characters", stages={"register": _uuid_register}))
V(
    Variant(
        "charset-content-type",
        "answers with `Content-Type: application/json; charset=utf-8`",
        reply=_all(lambda reply: reply.with_(content_type="application/json; charset=utf-8")),
    )
)
V(
    Variant(
        "pretty-escaped-json",
        "pretty-printed JSON answers, every string character escaped as \\uXXXX",
        reply=_all(_escaped_everywhere),
    )
)
V(Variant("extra-headers", "X-Request-Id, rate-limit and caching headers on every answer", reply=_extra_headers))
V(
    Variant(
        "latency-30ms",
        "every POST /hooks answered after 30 ms",
        reply=lambda request, ctx, reply: reply.with_(delay=LATENCY),
    )
)
V(
    Variant(
        "problem-json-401",
        "refuses credentials with 401 as application/problem+json (RFC 9457), not an Error",
        stages={"auth": _refusal(_problem_json)},
        diverges=_on(
            f"media-type application/problem+json vs application/json; Error.error absent vs unauthorized; "
            f"body {PROBLEM} vs {ERROR}",
            *CREDENTIAL_KINDS,
        ),
    )
)
V(
    Variant(
        "forbidden-403",
        "refuses credentials with 403 instead of 401",
        stages={"auth": _refusal(lambda r: r.with_(status=403))},
        diverges=_on("status 403 vs 401", *CREDENTIAL_KINDS),
    )
)
V(
    Variant(
        "rate-limited",
        f"every {RATE_LIMIT_EVERY}th POST /hooks gets 429 with Retry-After 0 (or 1) before any work",
        stages={"limit": _every(RATE_LIMIT_EVERY)},
    )
)
V(
    Variant(
        "lenient-json5",
        "parses bodies that are not JSON as JSON5 and registers their evident Webhook (warns only)",
        stages={"parse": json5_body},
        diverges=(
            *_on(
                "status 200 vs 400; registered yes vs no; Error.error absent vs invalid_body; "
                f"body {{id:string}} vs {ERROR}",
                "lenient",
            ),
            # JSON5 reads `NaN`, so a body the reference cannot parse is, here, a Webhook of the wrong type.
            *_on("Error.error invalid_webhook vs invalid_body", "not-json"),
        ),
    )
)
V(
    Variant(
        "compressed-br-first",
        "compresses answers with br, else zstd, else gzip: the best coding the request's Accept-Encoding ranks",
        wire=Framing(encodings=("br", "zstd", "gzip")),
    )
)
V(
    Variant(
        "compressed-zstd-first",
        "compresses answers with zstd, else br, else gzip: the best coding the request's Accept-Encoding ranks",
        wire=Framing(encodings=("zstd", "br", "gzip")),
    )
)
V(
    Variant(
        "interim-early-hints",
        "sends `103 Early Hints` (RFC 8297) before every final answer: a 1xx is interim (RFC 9110 §15.2)",
        wire=Framing(early_hints=True),
    )
)
V(
    Variant(
        "http10-close-delimited",
        "HTTP/1.0 answers with `Connection: close` and no Content-Length: the body ends at the close (RFC 9112 §6.3)",
        wire=Framing(http10=True),
    )
)
V(
    Variant(
        "repeated-header-first-line",
        "reads the first line of a header sent twice and goes on, as Node, Go and Starlette do "
        "(RFC 9110 §5.3 leaves it to the recipient)",
        stages={"envelope": lambda request, ctx: None},
        diverges=_on(
            "status 200 vs 400; registered yes vs no; Error.error absent vs invalid_request; "
            f"body {{id:string}} vs {ERROR}",
            "repeated-header",
        ),
    )
)
