"""Divergences: where a candidate and a reference both answer within the contract, but differently.

Every case of a diff run is sent to both targets. Each answer is reduced to a *signature* — status,
media type, body shape (keys and JSON types, never values), `Error.error` code (identifier-like
parts normalised), registered or not — and the two signatures are compared field by field. Fields
in which the reference disagrees with itself (a second reference, or a second pass to the same one)
are *noise*, learned over the whole run as Diffy does, and never count. Where either side breaks
the contract, the conformance checks already say so: only pairs where both conform are divergences.

Divergences are grouped by root cause exactly as findings are: the differing fields and the Kind of
request, never the example (`status 415 vs 400 (wrong-media-type)`), with a stable id (`diff#…`).

>>> signature_of(200, "application/json; charset=utf-8", b'{"id": "5f1c"}')["body $.id"]
'string'
>>> normalise_code("hook_5f1c2d3e4a5b6c7d8e9f0a1b_missing")
'hook_<id>_missing'
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._expectation import Kind
from ._ledger import Reproduction, group_id
from ._verdict import Verdict

ABSENT = "absent"
BODY = "body "  # prefix of the body-shape fields: `body $`, `body $.error`, `body $.numbers[]`
# Identifier-like runs inside an error code: UUIDs, long hex or digit runs. They differ per request.
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}|\d{6,}", re.IGNORECASE)
# The order in which differing fields are named in a cause.
_ORDER = ("status", "media-type", "registered", "Error.error")


def normalise_code(code: str) -> str:
    return _ID.sub("<id>", code)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _shape(value: Any, path: str, out: dict[str, str]) -> None:
    """Flatten keys and JSON types; array items share one path (`[]`), their types joined."""
    kind = _json_type(value)
    out[BODY + path] = "|".join(sorted(set(out.get(BODY + path, "").split("|")) - {""} | {kind}))
    if isinstance(value, dict):
        for key, item in value.items():
            _shape(item, f"{path}.{key}", out)
    elif isinstance(value, list):
        for item in value:
            _shape(item, f"{path}[]", out)


def signature_of(status: int | None, content_type: str, body: bytes, *, error: str | None = None) -> dict[str, str]:
    """What is compared of one answer: status, media type, body shape, `Error.error`, registered."""
    if error is not None:
        return {"status": f"no answer ({error})"}
    fields = {"status": str(status), "media-type": content_type.split(";")[0].strip().lower() or "(none)"}
    try:
        value = json.loads(body.decode("utf-8")) if body else None
        parsed = bool(body)
    except (UnicodeDecodeError, ValueError):
        value, parsed = None, False
    if parsed:
        _shape(value, "$", fields)
    else:
        fields[BODY + "$"] = "empty" if not body else "not JSON"
    if isinstance(value, dict) and status is not None and status >= 400 and isinstance(value.get("error"), str):
        fields["Error.error"] = normalise_code(value["error"])
    registered = status is not None and 200 <= status < 300 and isinstance(value, dict) and bool(value.get("id"))
    fields["registered"] = "yes" if registered else "no"
    return fields


def differences(a: Mapping[str, str], b: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    return {k: (a.get(k, ABSENT), b.get(k, ABSENT)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def describe(diff: Mapping[str, tuple[str, str]], candidate: Mapping[str, str], reference: Mapping[str, str]) -> str:
    """The cause in words, candidate first: `status 415 vs 400; body {error,description} vs {…}`."""
    parts = [f"{name} {diff[name][0]} vs {diff[name][1]}" for name in _ORDER if name in diff]
    if any(name.startswith(BODY) for name in diff):
        parts.append(f"body {_render(candidate)} vs {_render(reference)}")
    parts += [f"{name} {a} vs {b}" for name, (a, b) in diff.items() if name not in _ORDER and not name.startswith(BODY)]
    return "; ".join(parts)


def _render(sig: Mapping[str, str]) -> str:
    """A body shape as one short line: `{error:string,description:string}`."""
    paths = {k.removeprefix(BODY): v for k, v in sig.items() if k.startswith(BODY)}
    if paths.get("$") in (None, "empty", "not JSON"):
        return paths.get("$", ABSENT)

    def render(path: str) -> str:
        kind = paths[path]
        if kind == "object":
            keys = [p[len(path) + 1 :] for p in paths if p.startswith(path + ".")]
            keys = [k for k in keys if "." not in k and not k.endswith("[]")]
            return "{" + ",".join(f"{k}:{render(f'{path}.{k}')}" for k in keys) + "}"
        if kind == "array":
            return f"[{render(path + '[]')}]" if path + "[]" in paths else "[]"
        return kind

    return render("$")


@dataclass(frozen=True)
class Pair:
    """One case as both targets answered it, both answers within the contract."""

    test: str
    family: str
    kind: Kind
    diff: dict[str, tuple[str, str]]
    candidate_signature: dict[str, str]
    reference_signature: dict[str, str]
    candidate: Reproduction
    reference: Reproduction


@dataclass(frozen=True)
class DivergenceGroup:
    """One root cause of divergence: the same differing fields for the same Kind of request."""

    cause: str
    kind: Kind
    pairs: tuple[Pair, ...]
    accepted: bool = False  # in the baseline: reported, not counted

    @property
    def root(self) -> str:
        return f"diff: {self.cause} ({self.kind})"

    @property
    def id(self) -> str:
        return group_id(self.root, Verdict.FAIL)

    @property
    def families(self) -> list[str]:
        return sorted({p.family for p in self.pairs})

    @property
    def example(self) -> Pair:
        """The smallest request among the group's pairs: the easiest to replay."""
        return min(self.pairs, key=lambda p: (len(p.candidate.request_body or ""), p.family))

    def as_dict(self) -> dict[str, Any]:
        example = self.example
        return {
            "id": self.id,
            "cause": self.cause,
            "kind": str(self.kind),
            "accepted": self.accepted,
            "families": self.families,
            "occurrences": len(self.pairs),
            "fields": {name: {"candidate": a, "reference": b} for name, (a, b) in example.diff.items()},
            "example": example.family,
            "candidate": example.candidate.as_dict(),
            "reference": example.reference.as_dict(),
        }


@dataclass
class Divergences:
    """The diff run's ledger: pairs that differ, and the noise the reference showed about itself."""

    compared: int = 0  # cases answered by both sides
    contested: int = 0  # cases where a side broke the contract: the checks judge those, not the diff
    noise: set[str] = field(default_factory=set)
    pairs: list[Pair] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)  # baselined group ids
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def learn_noise(self, reference: Mapping[str, str], twin: Mapping[str, str]) -> None:
        """Fields in which two answers of the reference to one request differ never count."""
        with self._lock:
            self.noise |= set(differences(reference, twin))

    def compare(
        self,
        test: str,
        family: str,
        kind: Kind,
        candidate: tuple[dict[str, str], Reproduction, Verdict],
        reference: tuple[dict[str, str], Reproduction, Verdict],
    ) -> None:
        (c_sig, c_rep, c_verdict), (r_sig, r_rep, r_verdict) = candidate, reference
        with self._lock:
            self.compared += 1
            if Verdict.FAIL in (c_verdict, r_verdict):
                self.contested += 1
                return
            diff = differences(c_sig, r_sig)
            if diff:
                self.pairs.append(Pair(test, family, kind, diff, c_sig, r_sig, c_rep, r_rep))

    def groups(self) -> list[DivergenceGroup]:
        """Pairs folded by cause once noise is taken out, the most widespread first."""
        folded: dict[tuple[str, Kind], list[Pair]] = defaultdict(list)
        for pair in self.pairs:
            diff = {k: v for k, v in pair.diff.items() if k not in self.noise}
            if diff:
                cause = describe(
                    diff, _quiet(pair.candidate_signature, self.noise), _quiet(pair.reference_signature, self.noise)
                )
                folded[(cause, pair.kind)].append(dataclasses.replace(pair, diff=diff))
        groups = [DivergenceGroup(cause, kind, tuple(pairs)) for (cause, kind), pairs in folded.items()]
        groups = [DivergenceGroup(g.cause, g.kind, g.pairs, accepted=g.id in self.accepted) for g in groups]
        return sorted(groups, key=lambda g: (g.accepted, -len(g.families), -len(g.pairs), g.cause))

    def remaining(self) -> list[DivergenceGroup]:
        return [g for g in self.groups() if not g.accepted]

    def as_dict(self) -> dict[str, Any]:
        groups = self.groups()
        return {
            "compared": self.compared,
            "contested": self.contested,
            "noise": sorted(self.noise),
            "remaining": sum(1 for g in groups if not g.accepted),
            "accepted": sum(1 for g in groups if g.accepted),
            "groups": [g.as_dict() for g in groups],
        }


def _quiet(sig: Mapping[str, str], noise: Iterable[str]) -> dict[str, str]:
    skip = set(noise)
    return {k: v for k, v in sig.items() if k not in skip}
