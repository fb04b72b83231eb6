"""Verdict and Violation: how a case ends, and why."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from conformance.rules import Rule


class Verdict(enum.IntEnum):
    """Ordered so that `max()` gives the verdict of a group of cases."""

    PASS = 0
    WARN = 1  # spec gap, or undocumented but reasonable behaviour
    FAIL = 2  # the contract is broken

    def __str__(self) -> str:
        return self.name.lower()


class Category(enum.StrEnum):
    """What kind of problem a Violation is; reports sort findings by it."""

    INVALID_ACCEPTED = "invalid payload accepted"
    VALID_REJECTED = "valid payload rejected"
    WRONG_STATUS = "wrong status"
    SCHEMA_MISMATCH = "response schema mismatch"
    SERVER_ERROR = "server error"
    TRANSPORT = "timeout or transport"
    AUTH = "credentials not checked"
    LENIENT_PARSING = "lenient parsing"  # accepted an extension form of JSON (RFC 8259 §9 permits it)
    SPEC_GAP = "spec gap"
    HYGIENE = "hygiene"  # legal by the contract, but a risk to clients or to the server's own data


# Allure severities by category (warns are always minor).
SEVERITY = {
    Category.SERVER_ERROR: "blocker",
    Category.TRANSPORT: "blocker",
    Category.AUTH: "blocker",
    Category.INVALID_ACCEPTED: "critical",
    Category.VALID_REJECTED: "critical",
    Category.WRONG_STATUS: "normal",
    Category.SCHEMA_MISMATCH: "normal",
    Category.LENIENT_PARSING: "minor",
    Category.SPEC_GAP: "minor",
    Category.HYGIENE: "minor",
}


@dataclass(frozen=True)
class Violation:
    """One check's objection to one exchange.

    `cause` names the root cause in words that do not depend on the example (no ids, no payload
    values): violations of one check with one cause are one finding group, whichever families hit it.
    `rule` is the rule of the contract the cause concerns, where it names one: an invalid Webhook
    accepted is caused by the rule it breaks (`numbers/*:pattern`); a wrong status, a crash or a
    valid Webhook refused concern no one rule (None).
    """

    check: str
    verdict: Verdict
    category: Category
    message: str
    cause: str = ""
    joins: str = ""  # the root of another check's violation this one only seconds (schemathesis)
    rule: Rule | None = None

    @property
    def root(self) -> str:
        """The group this violation belongs to: `check: cause` (the message when no cause is given)."""
        return self.joins or f"{self.check}: {self.cause or self.message}"

    @property
    def severity(self) -> str:
        return "minor" if self.verdict is Verdict.WARN else SEVERITY[self.category]
