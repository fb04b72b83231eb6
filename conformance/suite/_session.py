"""Session: one run's shared state — the Target, its contract, the embedded mock, the Sender, the Ledger.

Owned by the engine (`conformance.engine.Engine`), which opens it in its preflight phase and ends
it; nothing here is global.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.contract import Contract
from conformance.judge import Ledger
from conformance.judge.baseline import Baseline
from conformance.send import (
    Cleanup,
    Courier,
    Exchange,
    LiveBound,
    Redactor,
    Sender,
    Sweeper,
    cleanup,
    courier_for,
    new_label,
    preflight,
)
from conformance.target import Target
from conformance.tiers import TIERS, TierSettings

from ._cases import CaseCache, Prefetch, cache_key, default_dir
from ._embedded import EmbeddedMock
from ._operation import Operation, operation_of, schema_of

__all__ = ["Session", "open_session"]

SWITCH_INTERVAL = 0.0005  # seconds, while a Session is open (see Session.__post_init__)

if TYPE_CHECKING:
    from ._reference import DiffSpec, Reference


@dataclass
class Session:
    target: Target
    seed: int | None  # None in the ci tier: derandomized, no seed involved
    contract: Contract  # the run's contract (`--spec`, else the vendored one): what is drawn, sent and judged
    ledger: Ledger = field(default_factory=Ledger)
    mock: EmbeddedMock | None = None  # the embedded mock (started here unless the CLI started it already)
    courier: Courier | None = None  # started early by the CLI (`courier_for`), until send_ahead hands it over
    started: float = field(default_factory=time.monotonic)
    cleanup: Cleanup | None = None
    baseline: Baseline = field(init=False)
    # Set by the CLI's SIGINT/SIGTERM handler. Some layer between the signal and pytest may
    # swallow one KeyboardInterrupt; the Probe raises it again before every send.
    interrupted: bool = False
    # Tests are over (shrinking, cleanup, summary): a signal must no longer raise, only cut short.
    finishing: bool = False
    # Tests that raised something other than a contract violation: their remaining cases were not sent.
    broken: list[str] = field(default_factory=list)
    # Families skipped because this contract does not have the rule they break: name → one-line reason.
    skipped: dict[str, str] = field(default_factory=dict)
    # Under --select (pytest's -k), or plain pytest narrowed by -m, --deselect or node ids: (tests
    # selected, tests of the suite or None), once pytest has collected them; and how, if not by -k.
    selected: tuple[int, int | None] | None = None
    narrowed_by: str | None = None
    run_domain: str = field(init=False)
    sender: Sender = field(init=False)
    sweeper: Sweeper | None = field(init=False, default=None)  # deletes what a 2xx registered, as it comes
    live: LiveBound | None = field(init=False, default=None)  # --max-live: what the run holds at once
    redactor: Redactor = field(init=False)
    cases: CaseCache | None = None  # the ci tier's recorded cases (None: not kept)
    prefetch: Prefetch | None = None  # recorded cases already on their way
    diff: DiffSpec | None = None  # a diff run: every case also goes to the reference(s)
    reference: Reference | None = field(init=False, default=None)
    _switch_interval: float = field(init=False, default=0.005)  # the interpreter's, restored on close

    def __post_init__(self) -> None:
        # Every realistic target this run registers lives on its own subdomain of the reserved
        # domain, so cleanup can find webhooks whose id the run never learnt.
        self.run_domain = f"{new_label()}.{self.target.target_domain}"
        # With --update-baseline the old file is being replaced: judge without it.
        self.baseline = Baseline() if self.target.update_baseline else Baseline.load(self.target.baseline)
        asked = self.target  # as the options gave it: a diff's reference cleans up and proxies as asked
        if self.target.embedded:
            # The embedded mock gets a fresh random token, so the wrong-token case means something.
            if self.mock is None:
                self.mock = EmbeddedMock(self.contract.source)  # its process is given the file
            # It listens on loopback: a proxy from the environment could only get in the way. Its
            # concurrency is fixed now (1 unless given), before base_url makes it look remote. What it
            # registered ends with it: nothing to clean up.
            self.target = dataclasses.replace(
                self.target,
                base_url=self.mock.url,
                token=self.mock.token,
                no_proxy=True,
                concurrency=self.target.in_flight,
                cleanup=False,
            )
        else:
            preflight(self.target)
        schema_of(self.contract).config.update(base_url=self.target.base_url)
        # The sending threads wait on the wire while the main thread draws and judges, CPU-bound: a
        # short GIL switch interval hands each answer over in 0.5 ms, not 5 ms (the nightly tier
        # against a server 100 ms away: 62 s -> 52 s; docs/benchmarks.md). Restored on close.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.sender = Sender(self.target)
        if self.target.cleanup:
            self.sweeper = Sweeper(self.target, self.sender.wire, self.sender.pace, self.sender.background)
            if self.target.max_live:
                self.live = LiveBound(
                    self.target.max_live, patience=self.target.cleanup_timeout, drain=self.sweeper.drain
                )
                self.sweeper.live = self.live
                self.sender.bound_live(self.live, self.sweeper.delete)
        self.redactor = Redactor(self.target.secrets)
        if self.diff is not None:
            from ._reference import Reference

            try:
                like = dataclasses.replace(self.target, cleanup=asked.cleanup, no_proxy=asked.no_proxy)
                self.reference = Reference(self.diff, like, self.sender.wire, self.contract)
            except BaseException:
                self.close()  # the reference is unreachable: stop what already started
                raise
            self.redactor = Redactor({**self.target.secrets, **self.reference.secrets})
        if self.tier.derandomize and self.target.case_cache:
            key = cache_key(Path(self.contract.path).read_bytes(), self.target.tier, self.target.target_domain)
            directory = self.target.cache_dir or default_dir()
            self.cases = CaseCache.open(directory, key, self.run_domain, self.target.secrets)

    def send_ahead(self, tests: list[str] | None = None) -> None:
        """Put every recorded case of `tests` (in the order they will run) on the wire now. None: every
        recorded test, in the order it was recorded (the CLI runs them all, before pytest has collected)."""
        if tests is None and self.cases is not None:
            tests = list(self.cases.tests)
        # A diff sends nothing ahead: each case goes to the reference when it goes to the candidate.
        if self.cases is None or self.prefetch is not None or not tests or self.reference is not None:
            return
        plans = [(test, plan) for test in tests if (plan := self.cases.plan(test)) is not None]
        if plans:
            courier = self.courier or courier_for(self.target)
            if courier is not None:
                self.sender.hand_over_to(courier)  # the Sender owns it from now on, and closes it
                self.courier = None
            # Kept first: an interrupt while sending still finds it.
            self.prefetch = Prefetch(self.sender, self.operation)
            self.prefetch.send(plans)

    def expected_cases(self) -> int | None:
        """How many cases the tests will judge, when the ci tier replays recorded ones (else None)."""
        if self.cases is None or self.target.select is not None:
            return None  # under --select only pytest knows which tests run: no total
        return self.cases.expected()

    def interrupt(self) -> None:
        """A first signal: nothing new is sent (to the target or a reference); what is on the wire ends."""
        self.interrupted = True
        for sender in (self.sender, *(side.sender for side in (self.reference.sides if self.reference else ()))):
            sender.stop()

    def clean_up(self) -> None:
        """Delete what the run registered (once), each request under the deadline, all within the budget."""
        # A request still on the wire (an interrupt cut its test short) ends first: what it registers is listed.
        self.sender.quiet(within=self.target.timeout)
        if self.cleanup is None and self.target.cleanup:
            self.cleanup = cleanup(
                self.target,
                self.ledger.registered,
                marker=self.run_domain,
                wire=self.sender.wire,
                pace=self.sender.pace,
                swept=self.sweeper,
            )

    def remember(self, exchange: Exchange) -> None:
        """Keep the id of whatever a 2xx registered, and delete it now (cleanup checks at the end)."""
        if exchange.registered_id is not None:
            self.ledger.registered.append(exchange.registered_id)
            if self.sweeper is not None and self.cleanup is None:
                self.sweeper.delete(exchange.registered_id)

    @property
    def in_flight(self) -> bool:
        """A request of this run is on the wire (to the target, or to a diff's reference)."""
        return self.sender.in_flight or (self.reference is not None and self.reference.in_flight)

    @property
    def operation(self) -> Operation:
        """The contract's `POST /hooks` as schemathesis loaded it: what builds every Case."""
        return operation_of(self.contract)

    @property
    def tier(self) -> TierSettings:
        return TIERS[self.target.tier]

    def close(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        self.sender.close()
        if self.courier is not None:  # started by the CLI, never used: nothing was sent ahead
            self.courier.close()
            self.courier = None
        if self.reference is not None:
            self.reference.close()  # after the candidate's: its Wire, which they share, is closed by now
        if self.mock is not None:
            self.mock.stop()
            self.mock = None


def open_session(
    target: Target,
    contract: Contract,
    diff: DiffSpec | None = None,
    mock: EmbeddedMock | None = None,
    courier: Courier | None = None,
) -> Session:
    """The run's Session under `contract`: starts the embedded mock (unless `mock` was started already)
    or sends the preflight; a nightly run draws from the Target's seed, a ci run is derandomized."""
    seed = target.effective_seed() if target.tier == "nightly" else None
    return Session(target, seed, contract, diff=diff, mock=mock, courier=courier)
