"""Judging: what the contract expects of a case, and the checks that hold a response to it."""

from ._checks import CHECKS, check, run_checks
from ._expectation import Kind, classify
from ._ledger import CaseResult, Finding, Ledger, Reproduction
from ._policy import POLICY, judge_status
from ._verdict import SEVERITY, Category, Verdict, Violation

__all__ = [
    "CHECKS",
    "CaseResult",
    "Finding",
    "Ledger",
    "Reproduction",
    "POLICY",
    "SEVERITY",
    "Category",
    "Kind",
    "Verdict",
    "Violation",
    "check",
    "classify",
    "judge_status",
    "run_checks",
]
