"""Request envelopes and credentials: how a valid Webhook goes on the wire.

Envelopes are what real HTTP clients wrap a request in (media-type parameters, Accept, Expect,
chunked bodies, connection handling, the header sets of the clients on the contract page); each
carries a valid Webhook and must be answered 200. Credentials are the ways a token can be
presented; all but the RFC 7235 variants must be refused.

>>> ENVELOPES["envelope-chunked"].chunked
True
>>> ENVELOPES["envelope-repeated-content-type"].is_path
False
>>> CREDENTIALS["auth-basic-scheme"].authorization("t0k3n")
'Basic t0k3n'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from conformance.credentials import PLACEHOLDER_CLIENT_ID, WRONG_TOKEN, token_case_changed, token_prefix
from conformance.registry import Registry

Headers = Mapping[str, str | None]  # None: the header is not sent at all


@dataclass(frozen=True)
class Envelope:
    name: str
    description: str
    headers: Headers = field(default_factory=dict)
    chunked: bool = False  # Transfer-Encoding: chunked, no Content-Length
    # Past a limit real stacks set (header sizes): a 4xx is the stack's right, only a 5xx or no answer fails.
    refusable: bool = False
    # The OAuth path: `x-fax-clientid` is the run's `--client-id`, or a placeholder when it has none.
    oauth: bool = False
    # Field lines sent besides the request's own of the same name (a second Content-Type, a second
    # Authorization): RFC 9110 §5.3 forbids repeating a header that is not a list, so a 4xx passes,
    # and accepting one is a warn (which line a recipient reads is left to it), never a 5xx.
    repeated: Headers = field(default_factory=dict)

    @property
    def is_path(self) -> bool:
        """A path real clients take, judged like the default one: every rule's member travels it
        too. Not the envelopes past a stack's limits, nor those that repeat a header."""
        return not self.refusable and not self.repeated

    def headers_for(self, client_id: str | None) -> dict[str, str | None]:
        """The headers as sent for a run with (or without) an OAuth client id."""
        headers = dict(self.headers)
        if self.oauth:
            # With a real client id the Target sends it on every request already: the placeholder must not replace it.
            headers.pop("x-fax-clientid", None)
            if not client_id:
                headers["x-fax-clientid"] = PLACEHOLDER_CLIENT_ID
        return headers


ENVELOPES: Registry[Envelope] = Registry("envelope")
for _envelope in (
    Envelope(
        "envelope-charset-utf8",
        "Content-Type: application/json; charset=utf-8",
        {"Content-Type": "application/json; charset=utf-8"},
    ),
    Envelope(
        "envelope-charset-upper",
        "Content-Type: application/json;charset=UTF-8",
        {"Content-Type": "application/json;charset=UTF-8"},
    ),
    Envelope("envelope-no-accept", "no Accept header", {"Accept": None}),
    Envelope("envelope-no-user-agent", "no User-Agent header (Node's core `http` sends none)", {"User-Agent": None}),
    Envelope("envelope-accept-json", "Accept: application/json", {"Accept": "application/json"}),
    Envelope("envelope-expect-continue", "Expect: 100-continue", {"Expect": "100-continue"}),
    Envelope("envelope-chunked", "a chunked request body without Content-Length", chunked=True),
    Envelope("envelope-connection-close", "Connection: close", {"Connection": "close"}),
    Envelope("client-oauth", "the OAuth path: an `x-fax-clientid` header beside the token", oauth=True),
    # The clients shown on the contract page: the headers its examples set, plus each client's own
    # defaults. (The page's Java example quotes its values, `'application/json'`: a documentation
    # slip no working client keeps, so the profile sends them unquoted.)
    Envelope(
        "client-axios",
        "Node axios 1.x defaults",
        {
            "Accept": "application/json, text/plain, */*",
            "Content-Type": "application/json",
            "User-Agent": "axios/1.7.9",
            "Accept-Encoding": "gzip, compress, deflate, br",
            "Connection": "keep-alive",
        },
    ),
    Envelope(
        "client-python-sdk",
        "the Python SDK (urllib3) defaults",
        {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "OpenAPI-Generator/3.0.5/python",
            "Accept-Encoding": "identity",
        },
    ),
    Envelope(
        "client-java-httpclient",
        "Java Apache HttpClient 4.5 Fluent, as on the contract page",
        {
            "Accept": "application/json",
            "Content-Type": "application/json; charset=UTF-8",
            "Connection": "keep-alive",
            "User-Agent": "Apache-HttpClient/4.5.14 (Java/17.0.15)",
            "Accept-Encoding": "gzip,deflate",
        },
    ),
    Envelope(
        "client-go-net-http",
        "Go net/http, as on the contract page",
        {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "Go-http-client/1.1",
            "Accept-Encoding": "gzip",
            "Connection": None,
        },
    ),
    # Past the header limits real stacks set: Node 16 KB in all, nginx and Apache 8 KB a line, Python's
    # http.server 100 fields. Each may be refused with a 4xx (431), never with a 5xx or silence.
    Envelope(
        "envelope-large-header",
        "one 16 KB header (Node's default limit for all headers together)",
        {"X-Request-Context": "a" * 16_384},
        refusable=True,
    ),
    Envelope(
        "envelope-huge-header",
        "one 48 KB header (six times nginx's and Apache's default line limit)",
        {"X-Request-Context": "a" * 49_152},
        refusable=True,
    ),
    Envelope(
        "envelope-many-headers",
        "120 extra headers (Python's http.server refuses more than 100)",
        {f"X-Trace-{i:03d}": str(i) for i in range(120)},
        refusable=True,
    ),
    # Headers that may appear once, sent twice (CATS's duplicate-header fuzzers): a parser that joins
    # the lines (`application/json, application/json`) or reads them as a list can crash on them.
    Envelope(
        "envelope-repeated-content-type",
        "`Content-Type: application/json` sent twice",
        repeated={"Content-Type": "application/json"},
    ),
    Envelope(
        "envelope-conflicting-content-type",
        "`Content-Type: application/json`, then `Content-Type: text/plain`",
        repeated={"Content-Type": "text/plain"},
    ),
    Envelope(
        "envelope-repeated-authorization",
        "the right bearer token, then a second `Authorization` with a token no server issued",
        repeated={"Authorization": f"Bearer {WRONG_TOKEN}"},
    ),
):
    ENVELOPES.register(_envelope)


@dataclass(frozen=True)
class Credential:
    name: str
    description: str
    authorization: Callable[[str], str | None]  # the Authorization header from the token; None: no header
    query: bool = False  # the token as `?access_token=` (RFC 6750 §2.3)
    refused: bool = True  # must be refused; False: the right token in a form RFC 7235 permits


CREDENTIALS: Registry[Credential] = Registry("credential")
for _credential in (
    # `Bearer ` with a trailing space is the same header on the wire: HTTP strips trailing whitespace.
    Credential("auth-empty-bearer", "`Authorization: Bearer` with no token", lambda token: "Bearer"),
    Credential("auth-empty-header", "an empty `Authorization` header", lambda token: ""),
    Credential("auth-basic-scheme", "the token under the Basic scheme", lambda token: f"Basic {token}"),
    Credential("auth-token-scheme", "the token under a `Token` scheme", lambda token: f"Token {token}"),
    Credential("auth-query-param", "the token only as an `access_token` query parameter", lambda token: None, True),
    Credential("auth-oversized-token", "an 8 KB bearer token", lambda token: "Bearer " + "A" * 8192),
    Credential(
        "auth-lowercase-scheme", "the token under `bearer` in lower case", lambda t: f"bearer {t}", refused=False
    ),
    # Near misses of the real token: what a server comparing prefixes, case-insensitively or after
    # stripping whitespace lets through. Every derived token is a secret (`derived_secrets`).
    Credential("auth-token-suffix", "the token with one more character after it", lambda t: f"Bearer {t}x"),
    Credential("auth-token-prefix", "the token without its last character", lambda t: bearer(token_prefix(t))),
    Credential("auth-token-case", "the token with its case changed", lambda t: bearer(token_case_changed(t))),
    # HTTP trims whitespace at the ends of a header value, and RFC 6750 allows several spaces after
    # `Bearer`: what stays a near miss on the wire is a tab where only spaces may stand.
    Credential("auth-token-tab-padded", "the token after `Bearer ` and a tab", lambda t: f"Bearer \t{t}"),
    Credential(
        "auth-token-tab-separated", "the token after `Bearer` and a tab instead of a space", lambda t: f"Bearer\t{t}"
    ),
):
    CREDENTIALS.register(_credential)


def bearer(token: str) -> str:
    """`Bearer <token>`; an empty token is the bare `Bearer` (HTTP trims the space anyway)."""
    return f"Bearer {token}" if token else "Bearer"
