"""Shrink: replace each fail's reproduction by the smallest example that still fails the same way.

A targeted search, not Hypothesis: a fail is kept only while re-sending a simpler variant of its
payload (same envelope) still breaks the same root cause. Variants come in a fixed order and the
budget counts requests, so in the derandomized tier the same reproduction comes every run.

Once minimal, a valid Webhook that was rejected is probed for what sets it apart: each feature it
still has (a query string, a port, 6 numbers, ...) is taken away alone, and a feature whose removal
makes the server accept it is named in the finding, e.g. "rejected: target has a query string".
That distinction also separates root causes: a server that caps `numbers` and refuses query
strings shows two groups, not one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.judge import Category, Finding, Verdict, classify, run_checks
from conformance.send import RateLimited, TargetHanging
from conformance.strategies import RawBody, ip_path_marker

from ._reproduce import reproduce
from ._session import Session

Webhook = dict[str, Any]
Variant = Callable[[Webhook], Webhook | None]  # None: not applicable to this webhook


def _size(payload: Any) -> int:
    return len(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass"))


def _url(target: Any) -> Any:
    if not isinstance(target, str):
        return None
    try:
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return None
    return parts if parts.scheme and parts.netloc else None


def _on_target(change: Callable[[Any], Any]) -> Variant:
    def variant(w: Webhook) -> Webhook | None:
        parts = _url(w.get("target"))
        changed = change(parts) if parts is not None else None
        return None if changed is None or urlunsplit(changed) == w["target"] else {**w, "target": urlunsplit(changed)}

    return variant


def _host(parts: Any, host: str) -> Any:
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=host + port)


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _without_port(p: Any) -> Any:
    host = p.hostname or ""
    return p._replace(netloc=f"[{host}]" if ":" in host else host)


def _numbers_feature(test: Callable[[list[Any]], bool], change: Callable[[list[Any]], list[Any]]) -> Variant:
    def variant(w: Webhook) -> Webhook | None:
        numbers = w.get("numbers")
        return {**w, "numbers": change(numbers)} if isinstance(numbers, list) and test(numbers) else None

    return variant


def _without(key: str) -> Variant:
    return lambda w: {k: v for k, v in w.items() if k != key} if key in w else None


# Features of a realistic Webhook, each with the variant that takes it away.
def features(domain: str) -> dict[str, Variant]:
    plain = f"hooks.{domain}"
    marker = ip_path_marker(domain)

    def short(p: Any) -> str:
        """A one-segment path; an IP literal host keeps the run's label, which cleanup looks for."""
        return f"/{marker}/fax" if marker and _is_ip(p.hostname or "") else "/fax"

    return {
        "target has a query string": _on_target(lambda p: p._replace(query="") if p.query else None),
        "target has a port": _on_target(lambda p: _without_port(p) if p.port else None),
        "target has a deep path": _on_target(
            lambda p: p._replace(path=short(p)) if p.path.count("/") > short(p).count("/") else None
        ),
        "target ends with a slash": _on_target(
            lambda p: p._replace(path=p.path.rstrip("/") or short(p)) if p.path.endswith("/") else None
        ),
        "target host is an IP literal": _on_target(lambda p: _host(p, plain) if _is_ip(p.hostname or "") else None),
        "target host is punycode": _on_target(lambda p: _host(p, plain) if "xn--" in (p.hostname or "") else None),
        "target scheme is not lower-case": _on_target(
            lambda p: p._replace(scheme=p.scheme.lower()) if p.scheme != p.scheme.lower() else None
        ),
        "target is long": _on_target(
            lambda p: p._replace(path=short(p), query="") if len(urlunsplit(p)) > 200 else None
        ),
        "numbers has duplicates": _numbers_feature(
            lambda n: len(set(map(str, n))) < len(n), lambda n: list(dict.fromkeys(map(str, n)))
        ),
        "numbers has many items": _numbers_feature(lambda n: len(n) > 1, lambda n: n[:1]),
        "the Webhook has an id": _without("id"),
        "the Webhook has numbers": _without("numbers"),
    }


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    """Sub-lists with a chunk removed, largest chunks first (a coarse delta debugging)."""
    size = len(items) // 2
    while size >= 1:
        for start in range(0, len(items), size):
            yield items[:start] + items[start + size :]
        size //= 2


def simpler(w: Webhook, domain: str) -> Iterator[Webhook]:
    """Smaller or plainer variants of `w`, most promising first."""
    for key in sorted(k for k in w if k not in ("target", "event")):
        yield {k: v for k, v in w.items() if k != key}
    numbers = w.get("numbers")
    if isinstance(numbers, list) and len(numbers) > 1:
        for rest in _chunks(numbers):
            if rest:
                yield {**w, "numbers": rest}
    parts = _url(w.get("target"))
    if parts is not None and "&" in parts.query:
        for rest in _chunks(parts.query.split("&")):
            if rest:
                yield {**w, "target": urlunsplit(parts._replace(query="&".join(rest)))}
    for variant in features(domain).values():
        changed = variant(w)
        if changed is not None:
            yield changed
    if isinstance(w.get("target"), str) and w["target"] != f"https://hooks.{domain}/fax":
        yield {**w, "target": f"https://hooks.{domain}/fax"}
    if w.get("event") not in (None, "fax_sent") and isinstance(w.get("event"), str):
        yield {**w, "event": "fax_sent"}


@dataclass
class Shrinker:
    session: Session
    budget: int  # requests this run may spend shrinking, in all
    spent: int = 0
    _seen: dict[str, bool] = field(default_factory=dict)

    def run(self) -> None:
        """Shrink one finding per root-cause group (its smallest), until every group has one.

        A rejected valid Webhook that turns out to have its own distinction leaves its group, so
        the rest of that group is tried again: two causes hiding in one group come apart.
        """
        tried: set[str] = set()
        while self.spent < self.budget and not self.session.interrupted:
            finding = self._next(tried)
            if finding is None:
                return
            tried.add(finding.key)
            self.shrink(finding)

    def _next(self, tried: set[str]) -> Finding | None:
        for group in self.session.ledger.groups():
            if group.verdict is not Verdict.FAIL or any(f.shrunk for f in group.findings):
                continue
            left = [f for f in group.findings if f.key not in tried and _shrinkable(f)]
            if left:
                return min(left, key=lambda f: (finding_size(f), f.key))
        return None

    def _fails(self, finding: Finding, payload: Webhook) -> tuple[bool, Any]:
        """Does `payload`, sent as the finding was, still fail with the finding's root cause?"""
        sent = finding.sent
        # The same payload may pass in one envelope and fail in another, or fail another root cause.
        key = json.dumps(
            [finding.root, payload, dict(sent.headers or {}), sent.chunked, str(sent.authenticate)], sort_keys=True
        )
        if key in self._seen and not self._seen[key]:
            return False, None
        if self.spent >= self.budget:
            return False, None
        self.spent += 1
        try:
            case, how = sent.with_payload(payload).case(self.session.operation)
            exchange = self.session.sender.send_case(case, **how)
        except (TargetHanging, RateLimited):
            self.spent = self.budget  # the target is gone or throttling: stop shrinking
            return False, None
        self.session.remember(exchange)  # whatever a 2xx registered
        contract = self.session.contract
        violations = run_checks(exchange, classify(payload, contract), contract)
        hit = next((v for v in violations if v.verdict is Verdict.FAIL and v.root == finding.root), None)
        self._seen[key] = hit is not None
        return hit is not None, (exchange, hit)

    def shrink(self, finding: Finding) -> None:
        domain = self.session.run_domain
        current, evidence = finding.sent.payload, None
        visited = {json.dumps(current, sort_keys=True)}
        improved = True
        while improved and self.spent < self.budget:
            improved = False
            for candidate in simpler(current, domain):
                key = json.dumps(candidate, sort_keys=True)
                if key in visited or (_size(candidate) >= _size(current) and not _plainer(candidate, current)):
                    continue
                visited.add(key)
                ok, found = self._fails(finding, candidate)
                if ok:
                    current, evidence, improved = candidate, found, True
                    break
        distinction = None
        if finding.category is Category.VALID_REJECTED:
            distinction = self._envelope(finding, current) or self._distinction(finding, current)
        if evidence is not None:
            exchange, violation = evidence
            finding.reproduction, finding.message = reproduce(exchange, self.session.redactor), violation.message
            finding.sent = finding.sent.with_payload(current)
        # Searched to the end: nothing smaller fails the same way (the budget did not cut it short).
        finding.shrunk = self.spent < self.budget or evidence is not None
        if distinction:
            finding.distinction = f"rejected: {distinction}"
            finding.root = f"{finding.root} — {distinction}"

    def _distinction(self, finding: Finding, webhook: Webhook) -> str | None:
        """The features whose removal alone makes the server accept the webhook."""
        named: list[str] = []
        for label, variant in features(self.session.run_domain).items():
            changed = variant(webhook)
            if changed is None or self.spent >= self.budget:
                continue
            if label.startswith("the Webhook has") and any(n.startswith(label.split()[-1]) for n in named):
                continue  # "numbers has 6 items" already says it
            still, _ = self._fails(finding, changed)
            if not still:
                named.append(_describe(label, webhook))
        return "; ".join(named) or None

    def _envelope(self, finding: Finding, webhook: Webhook) -> str | None:
        """For a case sent in a special envelope: is it the envelope that is rejected?"""
        sent = finding.sent
        if not (sent.headers or sent.chunked) or self.spent >= self.budget:
            return None
        plain = dataclasses.replace(sent, headers=None, chunked=False)
        if self._fails(dataclasses.replace(finding, sent=plain), webhook)[0]:
            return None
        parts = [f"{k}: {v}" if v is not None else f"no {k}" for k, v in (sent.headers or {}).items()]
        return "sent with " + ", ".join(parts + (["a chunked body"] if sent.chunked else []))


def _describe(label: str, webhook: Webhook) -> str:
    if label == "numbers has many items":
        return f"numbers has {len(webhook['numbers'])} items"
    if label == "target is long":
        return f"target is {len(webhook['target'])} characters long"
    return label


def _plainer(candidate: Webhook, current: Webhook) -> bool:
    """A variant of the same size that is plainer (lower-case scheme, plain host) is progress too."""
    return candidate.get("target") != current.get("target") and _size(candidate) <= _size(current)


def finding_size(finding: Finding) -> int:
    return len(finding.reproduction.request_body or "")


def _shrinkable(finding: Finding) -> bool:
    sent = finding.sent
    return (
        sent is not None
        and not isinstance(sent.payload, RawBody)
        and isinstance(sent.payload, dict)
        and sent.content_type is None
        and finding.check not in ("transport",)
    )
