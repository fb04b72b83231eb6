"""Target: where the suite sends requests, with which credentials, how hard it explores."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import conformance.defaults as defaults
from conformance.credentials import derived_secrets

Tier = Literal["ci", "nightly"]
TIER_NAMES: tuple[Tier, ...] = ("ci", "nightly")
PRODUCTION_HOST = "restapi.fax.plus"


class UsageError(Exception):
    """A bad option or environment: one readable line, exit code 2."""


@dataclass(frozen=True)
class Target:
    """Everything a run needs to know about the server under test.

    `base_url` is the prefix before `/hooks` (e.g. `https://restapi.fax.plus/v3`); `None` means the
    embedded reference mock. Secrets live only here and in request headers, never in output.
    """

    base_url: str | None = None
    token: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    timeout: float = defaults.TIMEOUT
    tier: Tier = defaults.TIER
    seed: int | None = None
    output_dir: Path = defaults.OUTPUT_DIR
    target_domain: str = defaults.TARGET_DOMAIN
    allow_production: bool = False
    rate: float | None = None  # requests per second at most (None: as fast as answers come)
    max_wait: float = defaults.MAX_WAIT  # total seconds a run may spend waiting out 429 Retry-After
    cleanup: bool = True  # delete every webhook the run registered
    baseline: Path | None = None  # accepted findings of this target (known deviations)
    update_baseline: bool = False
    contract_notes_warn: bool = False  # count the contract's own gaps (spec lint) as warns in the verdict
    shrink_budget: int = (
        defaults.SHRINK_BUDGET
    )  # requests spent shrinking fails to their smallest reproduction (0: off)
    max_response_bytes: int = defaults.MAX_RESPONSE_BYTES  # a longer answer is cut, and the cut is a fail
    max_live: int = defaults.MAX_LIVE  # the run's own webhooks registered at once, at most (0: no bound)
    cleanup_timeout: float = (
        defaults.CLEANUP_TIMEOUT
    )  # total seconds the cleanup may take, each request still under `timeout`
    # Requests in flight at once (1: one at a time); None: 8 across a network (16 in the nightly tier,
    # whose ~5,000 cases and ~1,200 cleanup deletes need ~76 s on the wire at 8 and 100 ms each), and
    # 1 to the embedded mock, which answers in well under a millisecond: there the run is bound by its own
    # CPU, and more sending threads only contend with it for the GIL.
    concurrency: int | None = None
    case_cache: bool = True  # the ci tier replays the cases an earlier run drew (same code, same contract)
    cache_dir: Path | None = None  # where; None: $XDG_CACHE_HOME/faxplus-conformance
    # TLS and proxies (conformance/send/_tls.py makes every decision from these).
    ca_bundle: Path | None = None  # PEM CAs to trust instead of the default bundle
    client_cert: Path | None = None  # PEM client certificate for mutual TLS (key included, or --client-key)
    client_key: Path | None = None
    insecure: bool = False  # no certificate verification: warned about on the console and in the report
    no_proxy: bool = False  # ignore HTTP(S)_PROXY / ALL_PROXY
    spec: Path | None = None  # the contract file (--spec); None: the vendored one
    # Only the suite's tests whose names match this pytest `-k` expression (`numbers or event`): a
    # partial run by choice, which every artifact says; None: every test.
    select: str | None = None

    @property
    def in_flight(self) -> int:
        """The concurrency in effect (see `concurrency`)."""
        if self.concurrency is not None:
            return self.concurrency
        if self.embedded:
            return defaults.EMBEDDED_CONCURRENCY
        return defaults.NIGHTLY_CONCURRENCY if self.tier == "nightly" else defaults.CONCURRENCY

    def __post_init__(self) -> None:
        if self.tier not in TIER_NAMES:
            raise UsageError(f"unknown tier {self.tier!r}: use --tier ci or --tier nightly")
        if self.rate is not None and self.rate <= 0:
            raise UsageError(f"--rate must be a positive number of requests per second, not {self.rate}")
        if self.max_wait < 0:
            raise UsageError(f"--max-wait must be zero or more seconds, not {self.max_wait}")
        if self.shrink_budget < 0:
            raise UsageError(f"--shrink-budget must be zero or more requests, not {self.shrink_budget}")
        if self.timeout <= 0:
            raise UsageError(f"--timeout must be a positive number of seconds, not {self.timeout}")
        if self.max_response_bytes <= 0:
            raise UsageError(f"--max-response-bytes must be a positive number of bytes, not {self.max_response_bytes}")
        if self.concurrency is not None and self.concurrency < 1:
            raise UsageError(f"--concurrency must be 1 or more requests in flight, not {self.concurrency}")
        if self.cleanup_timeout < 0:
            raise UsageError(f"--cleanup-timeout must be zero or more seconds, not {self.cleanup_timeout}")
        self._check_tls_files()
        if self.base_url is not None:
            parts = urlsplit(self.base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise UsageError(
                    f"--base-url {redact_url(self.base_url)!r} is not an http(s) URL: "
                    "give the prefix before /hooks, e.g. https://restapi.fax.plus/v3"
                )
            if parts.username or parts.password:
                raise UsageError("--base-url must not carry credentials: use --token / FAXPLUS_TOKEN")
            if parts.hostname == PRODUCTION_HOST and not self.allow_production:
                raise UsageError(
                    f"{PRODUCTION_HOST} is production: point --base-url at staging or a mock, "
                    "or pass --allow-production if you really mean it"
                )
            if not self.token:
                raise UsageError("--base-url needs credentials: pass --token or set FAXPLUS_TOKEN")

    def _check_tls_files(self) -> None:
        if self.client_key is not None and self.client_cert is None:
            raise UsageError("--client-key needs --client-cert FILE: the certificate it belongs to")
        files = (
            ("--ca-bundle", self.ca_bundle),
            ("--client-cert", self.client_cert),
            ("--client-key", self.client_key),
        )
        for flag, path in files:
            if path is not None and not Path(path).is_file():
                raise UsageError(f"{flag} {path}: no such file")

    @property
    def embedded(self) -> bool:
        return self.base_url is None

    @property
    def secrets(self) -> dict[str, str]:
        """Secret value → the placeholder that stands for it in every output."""
        found = {}
        if self.token:
            found.update(derived_secrets(self.token))  # the near-miss tokens the credential probes send
            found[self.token] = "$FAXPLUS_TOKEN"
        if self.client_id:
            found[self.client_id] = "$FAXPLUS_CLIENT_ID"
        return found

    def auth_headers(self) -> dict[str, str]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.client_id:
            headers["x-fax-clientid"] = self.client_id
        return headers

    @property
    def hooks_url(self) -> str:
        assert self.base_url is not None
        return self.base_url.rstrip("/") + "/hooks"

    def effective_seed(self) -> int:
        """The nightly tier's seed: given, or drawn once and printed so the run can be replayed."""
        return self.seed if self.seed is not None else secrets.randbelow(2**32)


def redact_url(url: str) -> str:
    """A URL without user info, safe to print."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def env_or(value: str | None, name: str) -> str | None:
    return value if value else (os.environ.get(name) or None)
