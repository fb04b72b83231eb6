"""Verdict and Violation: how a case ends, and why."""

from __future__ import annotations

import enum
from dataclasses import dataclass


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
    SPEC_GAP = "spec gap"


# Allure severities by category (warns are always minor).
SEVERITY = {
    Category.SERVER_ERROR: "blocker",
    Category.TRANSPORT: "blocker",
    Category.AUTH: "blocker",
    Category.INVALID_ACCEPTED: "critical",
    Category.VALID_REJECTED: "critical",
    Category.WRONG_STATUS: "normal",
    Category.SCHEMA_MISMATCH: "normal",
    Category.SPEC_GAP: "minor",
}


@dataclass(frozen=True)
class Violation:
    """One check's objection to one exchange."""

    check: str
    verdict: Verdict
    category: Category
    message: str

    @property
    def severity(self) -> str:
        return "minor" if self.verdict is Verdict.WARN else SEVERITY[self.category]
