"""Ledger: every judged case of a run, folded into per-family counts and stable Findings.

A Finding is identified by (family, check): the same broken rule hit by a thousand random
examples is one finding, reproduced by the first example that hit it (or, after shrinking, by the
smallest). Findings that share a check and a root cause across families form one Group: one line
per root cause in every report, the per-family detail kept beside it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from conformance.rules import Rule

from ._expectation import Kind
from ._verdict import Category, Verdict, Violation


@dataclass(frozen=True)
class ContractNote:
    """Something the contract leaves open or contradicts (spec lint): `check` names the lint.

    >>> ContractNote("writable-id", "`id` is writable").as_dict()
    {'check': 'writable-id', 'message': '`id` is writable'}
    """

    check: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "message": self.message}


@dataclass(frozen=True)
class Reproduction:
    """All that is needed to replay one exchange, secrets already replaced by placeholders."""

    curl: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    error: str | None = None
    # The body as sent (secrets masked), base64, when it is not UTF-8: `request_body` then cannot replay it.
    request_body_base64: str | None = None
    # The request sent just before on the same keep-alive connection, where the case was judged after
    # it (`Probe.in_order`): what the server made of that one shapes this answer, so replay sends it first.
    preceded_by: Reproduction | None = None

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        if self.preceded_by is None:
            del data["preceded_by"]
        else:
            data["preceded_by"] = self.preceded_by.as_dict()
        return data


@dataclass(frozen=True)
class Later:
    """A reproduction made when first asked for, and what every case's evidence reads before that.

    Most cases pass and no report shows them; masking the secrets of one and quoting its curl line
    is a fifth of what judging it costs.

    >>> later = Later("POST", 400, lambda: Reproduction("curl …", "POST", "u", {}, None, 400, {}, ""))
    >>> CaseResult("t", "f", Kind.INVALID, (), later).reproduction.curl
    'curl …'
    """

    method: str
    status: int | None
    make: Callable[[], Reproduction] = field(repr=False)


@dataclass(frozen=True)
class CaseResult:
    test: str
    family: str
    kind: Kind
    violations: tuple[Violation, ...]
    replay: Reproduction | Later = field(compare=False)  # `reproduction`, made when first read
    # How the case was sent (payload and envelope, unredacted): kept in memory for shrinking, never written.
    sent: Any = field(default=None, repr=False, compare=False)

    @property
    def verdict(self) -> Verdict:
        return max((v.verdict for v in self.violations), default=Verdict.PASS)

    @cached_property
    def reproduction(self) -> Reproduction:
        return self.replay.make() if isinstance(self.replay, Later) else self.replay

    @property
    def status(self) -> int | None:
        """The answer's status (None: no answer)."""
        return self.replay.status

    @property
    def exchanged(self) -> bool:
        """A request went out (a spec-lint note has none)."""
        return bool(self.replay.method)


@dataclass
class Finding:
    family: str
    check: str
    verdict: Verdict
    category: Category
    message: str
    kind: Kind
    reproduction: Reproduction
    test: str
    count: int = 1  # hits of this finding's own verdict (a warn of the same rule is not counted in a fail)
    root: str = ""  # the root cause (`Violation.root`): findings with one root are one Group
    sent: Any = field(default=None, repr=False)  # how the reproduction was sent, for shrinking
    distinction: str | None = None  # what sets the (shrunk) reproduction apart, e.g. "target has a query string"
    shrunk: bool = False
    # The cases (their place in the Ledger) counted in `count`: a group counts each exchange once, however
    # many of its findings one exchange hit (schemathesis's second opinion joins the suite's own).
    cases: set[int] = field(default_factory=set, repr=False)
    rule: Rule | None = None  # the rule of the contract its root cause concerns (`Violation.rule`)

    @property
    def key(self) -> str:
        return f"{self.family}::{self.check}"

    @property
    def severity(self) -> str:
        return Violation(self.check, self.verdict, self.category, self.message).severity

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "family": self.family,
            "check": self.check,
            "verdict": str(self.verdict),
            "category": str(self.category),
            "severity": self.severity,
            "message": self.message,
            "kind": str(self.kind),
            "occurrences": self.count,
            "group": group_id(self.root, self.verdict),
            "rule": None if self.rule is None else self.rule.id,
            "distinction": self.distinction,
            "shrunk": self.shrunk,
            "test": self.test,
            "reproduction": self.reproduction.as_dict(),
        }


@dataclass
class Ledger:
    results: list[CaseResult] = field(default_factory=list)
    findings: dict[str, Finding] = field(default_factory=dict)
    # What the contract itself leaves open (spec lint): beside the verdict, never in it.
    contract_notes: list[ContractNote] = field(default_factory=list)
    not_sent: Counter[str] = field(default_factory=Counter)
    registered: list[str] = field(default_factory=list)  # webhook ids the run created
    stopped: str | None = None  # why the run stopped sending (target hanging, rate limit exhausted)
    # Told of every case as it is recorded, with the Findings it opened (the engine's events).
    listeners: list[Callable[[CaseResult, list[Finding]], None]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, result: CaseResult) -> list[Finding]:
        """Record a case; return the Findings it opened (first occurrences)."""
        opened = self._add(result)
        for listener in self.listeners:
            listener(result, opened)
        return opened

    def _add(self, result: CaseResult) -> list[Finding]:
        opened = []
        with self._lock:
            serial = len(self.results)
            self.results.append(result)
            for violation in result.violations:
                key = f"{result.family}::{violation.check}"
                known = self.findings.get(key)
                if known is None:
                    known = self.findings[key] = Finding(
                        result.family,
                        violation.check,
                        violation.verdict,
                        violation.category,
                        violation.message,
                        result.kind,
                        result.reproduction,
                        result.test,
                        count=0,
                        root=violation.root,
                        sent=result.sent,
                        rule=violation.rule,
                    )
                    opened.append(known)
                elif violation.verdict > known.verdict:
                    # A fail outranks a warn of the same rule: show the fail's reproduction, count only fails.
                    known.verdict, known.category, known.message = (
                        violation.verdict,
                        violation.category,
                        violation.message,
                    )
                    known.reproduction, known.kind, known.test = result.reproduction, result.kind, result.test
                    known.root, known.sent, known.count = violation.root, result.sent, 0
                    known.rule = violation.rule
                    known.cases = set()
                if violation.verdict == known.verdict:
                    known.count += 1
                    known.cases.add(serial)
        return opened

    def note(self, family: str, message: str, check: str, verdict: Verdict, category: Category) -> Finding:
        """A finding with no exchange behind it: a contract note counted as a warn
        (`--contract-notes-warn`)."""
        reproduction = Reproduction("", "", "", {}, None, None, {}, "")
        result = CaseResult(
            "spec-lint", family, Kind.VALID, (Violation(check, verdict, category, message),), reproduction
        )
        self.add(result)
        return self.findings[f"{family}::{check}"]

    def contract_note(self, check: str, message: str) -> ContractNote:
        """A gap of the contract itself, for its authors: it says nothing about the server."""
        note = ContractNote(check, message)
        with self._lock:
            self.contract_notes.append(note)
        return note

    @property
    def verdict(self) -> Verdict:
        return max((f.verdict for f in self.findings.values()), default=Verdict.PASS)

    def counts(self) -> dict[str, int]:
        """Cases in all, and how many ended pass, warn and fail."""
        counts = {"cases": len(self.results), **{str(v): 0 for v in Verdict}}
        for result in self.results:
            counts[str(result.verdict)] += 1
        return counts

    def ranked(self) -> list[Finding]:
        """Findings, fails first, then by family and check."""
        return sorted(self.findings.values(), key=lambda f: (-f.verdict, f.family, f.check))

    def families(self) -> dict[str, dict[str, int]]:
        """Per family: cases, pass, warn, fail."""
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for result in self.results:
            row = table[result.family]
            row["cases"] += 1
            row[str(result.verdict)] += 1
        return {name: {k: row[k] for k in ("cases", "pass", "warn", "fail")} for name, row in table.items()}

    def checks(self) -> dict[str, dict[str, int]]:
        """Per check: how many cases it passed, warned and failed."""
        from ._checks import CHECKS

        table: dict[str, Counter[str]] = {name: Counter() for name in CHECKS}
        for result in self.results:
            worst: dict[str, Verdict] = {}
            for v in result.violations:
                worst[v.check] = max(worst.get(v.check, Verdict.PASS), v.verdict)
            for name in set(table) | set(worst):
                table.setdefault(name, Counter())[str(worst.get(name, Verdict.PASS))] += 1
        return {name: {k: row[k] for k in ("pass", "warn", "fail")} for name, row in table.items()}

    def groups(self) -> list[Group]:
        """Findings folded by root cause, fails first, the most widespread first."""
        folded: dict[tuple[Verdict, str], list[Finding]] = defaultdict(list)
        for finding in self.findings.values():
            folded[(finding.verdict, finding.root or f"{finding.check}: {finding.message}")].append(finding)
        groups = [
            Group(root, verdict, tuple(sorted(fs, key=lambda f: f.key))) for (verdict, root), fs in folded.items()
        ]
        return sorted(groups, key=lambda g: (-g.verdict, -len(g.findings), g.root))


def group_id(root: str, verdict: Verdict) -> str:
    """A stable id for a root cause: `check#hash`, the same in every run that finds it."""
    check = root.split(":", 1)[0]
    return f"{check}#{hashlib.sha256(f'{verdict}|{root}'.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class Group:
    """One root cause: the findings of one check, across families, that share a cause."""

    root: str
    verdict: Verdict
    findings: tuple[Finding, ...]

    @property
    def id(self) -> str:
        return group_id(self.root, self.verdict)

    @property
    def check(self) -> str:
        return self.root.split(": ", 1)[0]

    @property
    def category(self) -> Category:
        return self.findings[0].category

    @property
    def cause(self) -> str:
        return self.root.split(": ", 1)[-1]

    @property
    def rule(self) -> Rule | None:
        """The rule of the contract this root cause concerns (`numbers/*:pattern`): the one its
        findings share, None where they name none (a wrong status, a crash, a valid Webhook refused)."""
        rules = {f.rule for f in self.findings} - {None}
        return rules.pop() if len(rules) == 1 else None

    @property
    def families(self) -> list[str]:
        return sorted({f.family for f in self.findings})

    @property
    def occurrences(self) -> int:
        """Exchanges behind the group: one exchange that hit two of its findings counts once."""
        return len(set().union(*(f.cases for f in self.findings))) or sum(f.count for f in self.findings)

    @property
    def example(self) -> Finding:
        """The smallest reproduction among the group's findings (shrunk ones first)."""
        return min(self.findings, key=lambda f: (not f.shrunk, len(f.reproduction.request_body or ""), f.key))

    @property
    def title(self) -> str:
        return self.cause  # a shrunk finding's root already names what sets it apart

    def as_dict(self) -> dict[str, Any]:
        example = self.example
        return {
            "id": self.id,
            "check": self.check,
            "verdict": str(self.verdict),
            "category": str(self.category),
            "severity": example.severity,
            "cause": self.cause,
            "rule": None if self.rule is None else self.rule.id,
            "title": self.title,
            "message": example.message,
            "families": self.families,
            "findings": [f.key for f in self.findings],
            "occurrences": self.occurrences,
            "example": example.key,
            "reproduction": example.reproduction.as_dict(),
        }
