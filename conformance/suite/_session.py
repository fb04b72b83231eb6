"""Session: one run's shared state — the Target, the embedded mock, the Sender, the Ledger.

Owned by `conformance.plugin.Run` (one per pytest session, kept in `config.stash`); nothing here
is global, and nothing starts until the Run opens its Session for the first test.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import schemathesis

from conformance.contract import spec_path
from conformance.judge import Ledger
from conformance.judge.baseline import Baseline
from conformance.mock import MockServer
from conformance.send import Cleanup, Redactor, Sender, preflight
from conformance.target import Target
from conformance.tiers import TIERS, TierSettings

# Loaded once at import: schemathesis's pytest fixture loader does not work on pytest 9.2.
SCHEMA = schemathesis.openapi.from_path(spec_path())
OPERATION = SCHEMA["/hooks"]["POST"]

if TYPE_CHECKING:
    from ._reference import DiffSpec, Reference


@dataclass
class Session:
    target: Target
    seed: int | None  # None in the ci tier: derandomized, no seed involved
    ledger: Ledger = field(default_factory=Ledger)
    mock: MockServer | None = None
    started: float = field(default_factory=time.monotonic)
    cleanup: Cleanup | None = None
    baseline: Baseline = field(init=False)
    # Set by the CLI's SIGINT/SIGTERM handler. Some layer between the signal and pytest may
    # swallow one KeyboardInterrupt; the Probe raises it again before every send.
    interrupted: bool = False
    # Tests are over (shrinking, cleanup, summary): a signal must no longer raise, only cut short.
    finishing: bool = False
    run_domain: str = field(init=False)
    sender: Sender = field(init=False)
    redactor: Redactor = field(init=False)
    diff: DiffSpec | None = None  # a diff run: every case also goes to the reference(s)
    reference: Reference | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        # Every realistic target this run registers lives on its own subdomain of the reserved
        # domain, so cleanup can find webhooks whose id the run never learnt.
        self.run_domain = f"run-{secrets.token_hex(4)}.{self.target.target_domain}"
        # With --update-baseline the old file is being replaced: judge without it.
        self.baseline = Baseline() if self.target.update_baseline else Baseline.load(self.target.baseline)
        if self.target.embedded:
            # The embedded mock gets a fresh random token, so the wrong-token case means something.
            token = secrets.token_urlsafe(24)
            self.mock = MockServer(token=token).start()
            self.target = dataclasses.replace(self.target, base_url=self.mock.url, token=token)
        else:
            preflight(self.target)
        SCHEMA.config.update(base_url=self.target.base_url)
        self.sender = Sender(self.target)
        self.redactor = Redactor(self.target.secrets)
        if self.diff is not None:
            from ._reference import Reference

            try:
                self.reference = Reference(self.diff, self.target, self.sender.wire)
            except BaseException:
                self.close()  # the reference is unreachable: stop what already started
                raise
            self.redactor = Redactor({**self.target.secrets, **self.reference.secrets})

    @property
    def tier(self) -> TierSettings:
        return TIERS[self.target.tier]

    def close(self) -> None:
        self.sender.close()  # the reference's Senders share its Wire
        if self.mock is not None:
            self.mock.stop()
            self.mock = None
