"""Mechanisms: one server behaviour behind several root causes, named once.

A server that validates nothing breaks every rule of the contract, and a parser that coerces types
breaks the `type` rule of every property: listed group by group, one behaviour reads like a dozen
bugs. A Mechanism is one registry entry: which groups it claims, and when the claimed groups are
evidence enough that it is at work. Reports show one line per mechanism with its groups under it;
a group no mechanism claims stands on its own line.

Evidence comes from every judged case, not only from the findings: "validates nothing" needs that
the server refused no invalid Webhook at all, and a lenient-parsing warn stands only where the same
server refused plainly broken JSON (RFC 8259 §9 permits extensions to a parser that parses).

>>> [m.name for m in MECHANISMS][:3]
['validates-nothing', 'ignores-media-type', 'ignores-credentials']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from conformance.rules import Rule
from conformance.strategies import ENVELOPES, path_of

from ._expectation import Kind
from ._ledger import CaseResult, Group, group_id
from ._verdict import Category, Verdict

__all__ = ["MECHANISMS", "Diagnosis", "Evidence", "Mechanism", "diagnose"]


def broken_rule(group: Group) -> Rule | None:
    """The schema rule a group of invalid Webhooks accepted leaves unchecked (`numbers/*:type` of
    "accepted a Webhook that breaks numbers/*:type"); None for any other group, a wire rule's too."""
    rule = group.rule
    if rule is None or rule.wire or group.category is not Category.INVALID_ACCEPTED:
        return None
    return rule


@dataclass(frozen=True)
class Evidence:
    """What the run's answers show about the server as a whole (by Kind: refused / sent)."""

    refused: dict[Kind, int]
    sent: dict[Kind, int]

    @classmethod
    def of(cls, results: Iterable[CaseResult]) -> Evidence:
        refused: dict[Kind, int] = {}
        sent: dict[Kind, int] = {}
        for result in results:
            status = result.status
            if status is None or not result.exchanged:
                continue  # no answer (or no exchange: spec lint) shows nothing about validation
            sent[result.kind] = sent.get(result.kind, 0) + 1
            if 400 <= status < 500:
                refused[result.kind] = refused.get(result.kind, 0) + 1
        return cls(refused, sent)

    def refuses(self, kind: Kind) -> bool:
        return self.refused.get(kind, 0) > 0

    def accepts_every(self, kind: Kind, at_least: int = 3) -> bool:
        return self.sent.get(kind, 0) >= at_least and not self.refuses(kind)


@dataclass(frozen=True)
class Mechanism:
    name: str
    title: str  # what the server does, in words a server author recognises
    claims: Callable[[Group, Evidence], bool]  # the groups this behaviour explains
    holds: Callable[[list[Group], Evidence], bool]  # the claimed groups are evidence enough
    detail: Callable[[list[Group]], str] = lambda groups: ""  # e.g. "across 5 properties"
    # Splits what it claims into one Diagnosis per part (None: one Diagnosis), e.g. per set of paths.
    part: Callable[[Group], str] | None = None


def _invalid_accepted(group: Group, evidence: Evidence) -> bool:
    return group.category in (Category.INVALID_ACCEPTED, Category.LENIENT_PARSING)


def _keyword(*keywords: str) -> Callable[[Group, Evidence], bool]:
    def claims(group: Group, evidence: Evidence) -> bool:
        rule = broken_rule(group)
        return rule is not None and rule.keyword in keywords

    return claims


def _properties(groups: list[Group]) -> set[str]:
    return {rule.path.split("/", 1)[0] or "body" for g in groups if (rule := broken_rule(g)) is not None}


def _lenient_without_parsing(group: Group, evidence: Evidence) -> bool:
    """A lenient-parsing warn where the server refused no plainly broken JSON: nothing shows it parses."""
    return group.category is Category.LENIENT_PARSING and not evidence.refuses(Kind.NOT_JSON)


# The envelopes that are paths real clients take (not the header sizes past a stack's limits).
_PATHS = frozenset(envelope.name for envelope in ENVELOPES if envelope.is_path)


def _path(family: str) -> str | None:
    """The envelope a finding's case travelled on: its valid Webhooks, or a rule's member sent there."""
    return family if family in _PATHS else path_of(family)


def _off_default_path(group: Group, evidence: Evidence) -> bool:
    """Every finding of the group was on some other path than the default one, and shows the server
    there (not the OAuth path left unjudged because the placeholder client id was refused)."""
    return group.check != "oauth-path" and all(_path(f.family) is not None for f in group.findings)


# What a body under a media type of its own (text, form data, XML) or JSON declared as text/plain is sent as.
_OTHER_MEDIA_TYPES = frozenset({"body-foreign-media-type", "wrong-media-type"})


def _other_media_type_accepted(group: Group, evidence: Evidence) -> bool:
    return all(f.family in _OTHER_MEDIA_TYPES and 200 <= (f.reproduction.status or 0) < 300 for f in group.findings)


def _reads_nothing_under_other_media_types(groups: list[Group], evidence: Evidence) -> bool:
    """Text, form data or XML accepted: then JSON accepted as text/plain shows no lenient reading either."""
    return any(f.family == "body-foreign-media-type" for g in groups for f in g.findings)


def _paths_of(group: Group) -> str:
    return ", ".join(sorted({_path(f.family) or "" for f in group.findings}))


def _path_detail(groups: list[Group]) -> str:
    """Where, and what differs there: rules left unchecked, valid Webhooks refused, other answers."""
    paths = sorted({path for g in groups for f in g.findings if (path := _path(f.family)) is not None})
    shown = "; ".join(ENVELOPES[p].description for p in paths[:3]) + (
        f" (+{len(paths) - 3} more)" if len(paths) > 3 else ""
    )
    rules = {rule for g in groups if (rule := broken_rule(g)) is not None}
    parts = [f"{len(rules)} rule(s) the default path enforces go unchecked there"] if rules else []
    if any(g.category is Category.VALID_REJECTED for g in groups):
        parts.append("valid Webhooks are refused there")
    parts += [g.cause for g in groups if broken_rule(g) is None and g.category is not Category.VALID_REJECTED][:2]
    return f"on {shown}: " + "; ".join(parts)


# In order: the first mechanism that holds claims its groups; later ones see only what is left.
MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(
        "validates-nothing",
        "validates nothing: every invalid request accepted",
        claims=_invalid_accepted,
        holds=lambda groups, ev: ev.accepts_every(Kind.INVALID),
    ),
    Mechanism(
        "ignores-media-type",
        "registers what any other media type carries without reading it: text, form data or XML accepted",
        claims=_other_media_type_accepted,
        holds=_reads_nothing_under_other_media_types,
    ),
    Mechanism(
        "ignores-credentials",
        "ignores credentials: requests without them, or with ones it never issued, accepted",
        claims=lambda group, ev: group.category is Category.AUTH,
        holds=lambda groups, ev: len(groups) >= 2,
    ),
    Mechanism(
        "off-default-path",
        "behaves differently off the default path",
        claims=_off_default_path,
        holds=lambda groups, ev: len(groups) >= 1,
        detail=_path_detail,
        part=_paths_of,  # one line per set of paths that share the behaviour
    ),
    Mechanism(
        "coerces-types",
        "coerces types: wrong-typed values accepted (an Ajv `coerceTypes`-style parser)",
        claims=_keyword("type"),
        holds=lambda groups, ev: len(_properties(groups)) >= 2,
        detail=lambda groups: f"across {len(_properties(groups))} properties",
    ),
    Mechanism(
        "drops-unknown-properties",
        "drops unknown properties instead of refusing them",
        claims=_keyword("additionalProperties"),
        holds=lambda groups, ev: len(groups) >= 1,
    ),
    Mechanism(
        "parses-nothing",
        "accepts bodies it never parsed: no plainly broken JSON was refused, so the lenient forms show nothing",
        claims=_lenient_without_parsing,
        holds=lambda groups, ev: len(groups) >= 1,
    ),
)


@dataclass(frozen=True)
class Diagnosis:
    """A mechanism at work, and the groups it explains (fails first)."""

    mechanism: Mechanism
    groups: tuple[Group, ...]
    part: str = ""  # which part of what the mechanism claims (`Mechanism.part`), e.g. the paths

    @property
    def verdict(self) -> Verdict:
        return max(g.verdict for g in self.groups)

    @property
    def id(self) -> str:
        part = f" ({self.part})" if self.part else ""
        return group_id(f"mechanism: {self.mechanism.name}{part}", self.verdict)

    @property
    def title(self) -> str:
        detail = self.mechanism.detail(list(self.groups))
        return f"{self.mechanism.title}, {detail}" if detail else self.mechanism.title

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mechanism": self.mechanism.name,
            "title": self.title,
            "verdict": str(self.verdict),
            "groups": [g.id for g in self.groups],
        }


def diagnose(groups: Iterable[Group], results: Iterable[CaseResult]) -> list[Diagnosis]:
    """The mechanisms at work among `groups`, each with the groups it claims (each group at most once)."""
    evidence = Evidence.of(results)
    left = [g for g in groups if g.verdict is not Verdict.PASS]
    found = []
    for mechanism in MECHANISMS:
        claimed = [g for g in left if mechanism.claims(g, evidence)]
        parts: dict[str, list[Group]] = {}
        for group in claimed:
            parts.setdefault(mechanism.part(group) if mechanism.part else "", []).append(group)
        for part, members in sorted(parts.items()):
            if mechanism.holds(members, evidence):
                found.append(Diagnosis(mechanism, tuple(sorted(members, key=lambda g: (-g.verdict, g.root))), part))
                left = [g for g in left if g not in members]
    return sorted(found, key=lambda d: -d.verdict)
