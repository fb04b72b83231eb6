"""Judging: what the contract expects of a case, and the checks that hold a response to it."""

from conformance.json_body import MISSING, strict_json

from ._checks import CHECKS, check, run_checks
from ._divergence import Divergences, signature_of
from ._expectation import Kind, classify, lenient_readings
from ._ledger import CaseResult, ContractNote, Finding, Group, Later, Ledger, Reproduction, group_id
from ._mechanism import MECHANISMS, Diagnosis, Mechanism, diagnose
from ._policy import POLICY, judge_status
from ._realism import exotic, target_exotic
from ._verdict import SEVERITY, Category, Verdict, Violation

__all__ = [
    "MECHANISMS",
    "Diagnosis",
    "Mechanism",
    "diagnose",
    "CHECKS",
    "CaseResult",
    "ContractNote",
    "Divergences",
    "Finding",
    "Group",
    "Later",
    "Ledger",
    "Reproduction",
    "POLICY",
    "SEVERITY",
    "Category",
    "MISSING",
    "Kind",
    "Verdict",
    "Violation",
    "check",
    "classify",
    "exotic",
    "lenient_readings",
    "strict_json",
    "target_exotic",
    "judge_status",
    "run_checks",
    "group_id",
    "signature_of",
]
