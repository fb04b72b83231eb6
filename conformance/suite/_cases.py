"""The deterministic tier's cases, kept between runs, and sent ahead of the tests that judge them.

The `ci` tier is derandomized: every run draws the same cases, so a run records them (per test, in
the order the Probe sent them) and the next run with the same contract, suite code and library
versions replays them instead of drawing them again. Knowing every case before the tests run also
lets them go on the wire ahead of their test (`Prefetch`), up to `--concurrency` at a time, so no
test waits for the network at its end.

A recorded case holds no secret and no run label: the run's reserved domain is stored as a
placeholder, and a test whose cases hold a credential (the auth probes) or a value that does not
survive JSON (NaN) is simply not cached. Such tests draw and send as usual.

>>> record = Record.of(Sent({"target": "http://x.run-1a2b3c4d.example.com/", "event": "fax_sent"}),
...                     "valid-webhook", Kind.VALID, None)
>>> record.encode("run-1a2b3c4d.example.com", ())["sent"]["payload"]["target"]
'http://x.{run-domain}/'
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import tempfile
from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from schemathesis.core import NOT_SET

from conformance.judge import Kind
from conformance.send import Exchange, Sender
from conformance.strategies import RawBody

from ._operation import Operation
from ._sent import Sent

FORMAT = 2  # of the cache file; part of the key (2: tests named by `cache_name`)
DOMAIN, LABEL = "{run-domain}", "{run-label}"
_PACKAGES = ("conformance",)


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "faxplus-conformance"


def cache_name(nodeid: str) -> str:
    """A test's name in the cache: its node id from the module on, the same whatever pytest's rootdir
    (`conformance/suite/test_post_hooks.py::t[p]`, `x/conformance/suite/...` and `test_post_hooks.py::t[p]`
    are one test).

    >>> cache_name("conformance/suite/test_post_hooks.py::test_x[a/b]")
    'test_post_hooks.py::test_x[a/b]'
    """
    path, sep, rest = nodeid.partition("::")
    return path.rsplit("/", 1)[-1] + sep + rest


def cache_key(spec: bytes, tier: str, target_domain: str) -> str:
    """Everything the drawn cases depend on: the contract, every line of the suite's code, the
    libraries that draw them, and the reserved domain (its length shapes the longest targets)."""
    import hypothesis
    import schemathesis

    digest = hashlib.sha256()
    for part in (str(FORMAT), tier, target_domain, hypothesis.__version__, sys.version):
        digest.update(part.encode() + b"\0")
    digest.update(getattr(schemathesis, "__version__", "").encode() + b"\0")
    digest.update(spec)
    for root in (Path(sys.modules[name].__file__ or "").parent for name in _PACKAGES):
        for path in sorted(root.rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


# --- one recorded case ---------------------------------------------------------------------------
def _forms(secret: str) -> tuple[str, ...]:
    """A secret as it may stand in a recorded request: as is, JSON-escaped, percent- or base64-encoded."""
    escaped = json.dumps(secret, ensure_ascii=True)[1:-1]
    return (secret, escaped, quote(secret, safe=""), base64.b64encode(secret.encode()).decode())


def _encode_value(value: Any) -> Any:
    if value is NOT_SET:
        return {"$unset": True}
    if isinstance(value, bytes):
        return {"$bytes": value.decode("latin-1")}
    if isinstance(value, RawBody):
        content = None if value.content is None else value.content.decode("latin-1")
        return {"$raw": content, "type": value.content_type}
    if isinstance(value, dict):
        if {"$raw", "$unset", "$bytes"} & value.keys():
            raise TypeError("a payload that looks like an encoded one")
        return {k: _encode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"not recordable: {type(value).__name__}")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("$unset") is True:
            return NOT_SET
        if "$bytes" in value:
            return value["$bytes"].encode("latin-1")
        if "$raw" in value:
            content = value["$raw"]
            return RawBody(None if content is None else content.encode("latin-1"), value["type"])
        return {k: _decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_value(v) for v in value]
    return value


def generated_parts(case: Any) -> dict[str, Any]:
    """What a schemathesis Case holds besides its body, as plain values."""
    return {
        "media_type": case.media_type,
        "headers": {str(k): v for k, v in (case.headers or {}).items()},
        "query": dict(case.query or {}),
        "cookies": dict(case.cookies or {}),
        "path_parameters": dict(case.path_parameters or {}),
    }


@dataclass(frozen=True)
class Record:
    """One Probe call: what was sent, under which family, judged as which Kind."""

    sent: Sent
    family: str
    kind: Kind
    segment: int | None  # the generated stretch of its test it belongs to; None: an edge case
    # A schemathesis-generated Case: its parts besides the body (which is `sent.payload`).
    generated: Mapping[str, Any] | None = None

    @classmethod
    def of(
        cls, sent: Sent, family: str, kind: Kind, segment: int | None, generated: Mapping[str, Any] | None = None
    ) -> Record:
        return cls(sent, family, kind, segment, generated)

    def request(self, operation: Operation) -> tuple[Any, dict[str, Any]]:
        """The schemathesis Case (of `operation`, the run's `POST /hooks`) and the Sender's keyword
        arguments that send it again."""
        if self.generated is None:
            return self.sent.case(operation)
        parts = dict(self.generated)
        if self.sent.payload is not NOT_SET:
            parts["body"] = self.sent.payload
        return operation.Case(**parts), {}

    def encode(self, run_domain: str, secrets: Iterable[str]) -> dict[str, Any]:
        """JSON-ready, the run's domain replaced by a placeholder; TypeError when it cannot be
        recorded faithfully (a secret in it, a value JSON does not carry, the label in another case)."""
        sent = self.sent
        data = {
            "family": self.family,
            "kind": self.kind.value,
            "segment": self.segment,
            "generated": _encode_value(dict(self.generated)) if self.generated is not None else None,
            "sent": {
                "payload": _encode_value(sent.payload),
                "headers": dict(sent.headers) if sent.headers is not None else None,
                "authenticate": sent.authenticate,
                "chunked": sent.chunked,
                "query": dict(sent.query) if sent.query is not None else None,
                "content_type": sent.content_type,
                "repeat": dict(sent.repeat) if sent.repeat is not None else None,
            },
        }
        text = json.dumps(data, ensure_ascii=True)
        if any(form in text for secret in secrets if secret for form in _forms(secret)):
            raise TypeError("holds a credential")
        label = run_domain.split(".", 1)[0]
        text = text.replace(run_domain, DOMAIN).replace(label, LABEL)
        if label.lower() in text.lower():
            raise TypeError("holds the run label in another letter case")
        if Record.decode(json.loads(text), run_domain) != self:
            raise TypeError("does not survive JSON")
        encoded: dict[str, Any] = json.loads(text)
        return encoded

    @classmethod
    def decode(cls, data: Mapping[str, Any], run_domain: str) -> Record:
        label = run_domain.split(".", 1)[0]
        text = json.dumps(data, ensure_ascii=True).replace(DOMAIN, run_domain).replace(LABEL, label)
        data = json.loads(text)
        raw = data["sent"]
        sent = Sent(
            _decode_value(raw["payload"]),
            headers=raw["headers"],
            authenticate=raw["authenticate"],
            chunked=raw["chunked"],
            query=raw["query"],
            content_type=raw["content_type"],
            repeat=raw.get("repeat"),
        )
        generated = data.get("generated")
        return cls(sent, data["family"], Kind(data["kind"]), data["segment"], generated)


# --- the file ------------------------------------------------------------------------------------
@dataclass
class CaseCache:
    """Recorded cases per test, for one cache key. Written whole and atomically: parallel runs
    (CI workers, xdist) each see a complete file or none."""

    path: Path | None  # None: caching is off
    run_domain: str
    secrets: tuple[str, ...]
    tests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    recorded: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Cases each test judged last time, cached or not (the auth probes are never cached): the
    # progress line's total. The same key means the same code, so the same count.
    judged: dict[str, int] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)
    _plans: dict[str, list[Record] | None] = field(default_factory=dict)

    @classmethod
    def open(cls, directory: Path | None, key: str, run_domain: str, secrets: Iterable[str]) -> CaseCache:
        path = directory / f"cases-{key}.json" if directory is not None else None
        cache = cls(path, run_domain, tuple(s for s in secrets if s))
        if path is not None:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                cache.tests = data["tests"]
                judged = data.get("judged") or {}
                cache.judged = {k: v for k, v in judged.items() if isinstance(v, int)}
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                cache.tests, cache.judged = {}, {}  # missing or unreadable: this run records it again
        return cache

    def expected(self) -> int | None:
        """How many cases the recorded tests will judge: as many as last time (None: nothing recorded).

        >>> cache = CaseCache(None, "d", (), tests={"t": [{}, {}]})
        >>> cache.expected(), CaseCache(None, "d", (), tests={"t": [{}]}, judged={"t": 5, "u": 3}).expected()
        (2, 8)
        """
        if not self.tests:
            return None
        if self.judged:
            return sum(self.judged.values())
        return sum(len(records) for records in self.tests.values())  # a cache from before the counts

    def plan(self, test: str) -> list[Record] | None:
        """The recorded cases of `test`, in order, or None when it was never recorded."""
        if test not in self._plans:
            try:
                records = self.tests.get(test)
                self._plans[test] = None if records is None else [Record.decode(r, self.run_domain) for r in records]
            except (KeyError, TypeError, ValueError, AttributeError):
                self._plans[test] = None  # a damaged entry: drawn again, and recorded anew
        return self._plans[test]

    def keep(self, test: str, records: list[Record]) -> None:
        try:
            self.recorded[test] = [r.encode(self.run_domain, self.secrets) for r in records]
        except TypeError:
            self.recorded.pop(test, None)  # not cacheable: it draws and sends as usual every run

    def count(self, test: str, judged: int) -> None:
        """A test that ran to its end judged this many cases (cached or drawn)."""
        self.counted[test] = judged

    def save(self) -> None:
        new = {k: v for k, v in self.recorded.items() if self.tests.get(k) != v}
        recount = {k: v for k, v in self.counted.items() if self.judged.get(k) != v}
        if self.path is None or not (new or recount):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Another run (an xdist worker, a parallel CI job) may have recorded other tests meanwhile.
            current = CaseCache.open(self.path.parent, self.path.stem.removeprefix("cases-"), self.run_domain, ())
            tests, judged = {**current.tests, **new}, {**current.judged, **recount}
            data = json.dumps({"format": FORMAT, "tests": tests, "judged": judged}, ensure_ascii=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".cases-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(data)
            os.replace(temporary, self.path)
        except OSError:
            pass  # a cache that cannot be written costs the next run its draws, nothing else


# --- sending ahead -------------------------------------------------------------------------------
@dataclass
class _Ahead:
    record: Record
    future: Future[Exchange]


class Prefetch:
    """Every recorded case of the tests about to run, put on the wire in test order before the
    tests reach them. A test takes its answers in order; what it does not take is settled by
    `release` (a 2xx may have registered something, which cleanup must know)."""

    def __init__(self, sender: Sender, operation: Operation) -> None:
        self._sender = sender
        self._operation = operation
        self._queues: dict[str, deque[_Ahead]] = {}

    def send(self, plans: Iterable[tuple[str, list[Record]]]) -> None:
        """Put the plans on the wire; an interrupt meanwhile leaves what was already sent in the queues."""
        sender = self._sender
        for test, records in plans:
            queue = self._queues.setdefault(test, deque())
            for record in records:
                case, how = record.request(self._operation)
                queue.append(_Ahead(record, sender.submit_case(case, ahead=True, **how)))

    def take(self, test: str, record: Record) -> Future[Exchange] | None:
        """The answer sent ahead for this case of `test`, if it is the next one recorded."""
        queue = self._queues.get(test)
        if not queue:
            return None
        if queue[0].record != record:
            return None  # the test sends something else than recorded: it sends live from here
        return queue.popleft().future

    def release(self, test: str | None = None) -> list[tuple[str, Record, Exchange]]:
        """Stop sending ahead (for `test`, or for all): cancel what has not left, wait for what is on
        the wire, and return the answers nobody took, with the test and case they were sent for."""
        tests = [test] if test is not None else list(self._queues)
        released = [(name, ahead) for name in tests for ahead in self._queues.pop(name, deque())]
        for _, ahead in released:  # all of them first: a worker must not pick up one we are about to drop
            ahead.future.cancel()
        answered: list[tuple[str, Record, Exchange]] = []
        for name, ahead in released:
            if ahead.future.cancelled():
                continue
            try:
                answered.append((name, ahead.record, ahead.future.result()))
            except (Exception, KeyboardInterrupt):  # noqa: BLE001, S112 - failed, or abandoned by a second signal
                continue
        return answered
