"""Cleanup: delete every webhook the run registered, then list what is left of them.

A run deletes each webhook as soon as it learns its id (`Sweeper`, on the run's sending threads),
so the wire's idle moments do the work; at the end, `cleanup` waits for those deletes within the
budget, deletes again whatever they missed, and lists what is left.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance.target import Target

from ._errors import BudgetSpent, Cancelled, Overdue
from ._hook_address import UnaddressableId, hook_url, shown_id
from ._live import LiveBound
from ._politeness import Pace
from ._run_label import label_of, started
from ._tls import client_options
from ._wire import Answer, Wire


@dataclass
class Cleanup:
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # id → why the DELETE did not succeed
    leftovers: list[str] = field(default_factory=list)  # ids still listed by GET /hooks afterwards
    verified: bool = False  # GET /hooks answered, so `leftovers` is known
    # Ids the server issued that no request may address (`_hook_address`): never requested, shown escaped.
    unaddressable: dict[str, str] = field(default_factory=dict)  # shown id → why
    error: str | None = None  # cleanup itself broke off (the run's verdicts stand; what is left is listed)
    # Webhooks of earlier runs still listed (a killed run's): label → how many. `cleanup` removes them.
    earlier_runs: dict[str, int] = field(default_factory=dict)

    @property
    def undeleted(self) -> list[str]:
        """Ids that may still be registered: to be removed by hand."""
        return sorted(set(self.failed) | set(self.leftovers) | set(self.unaddressable))

    def as_dict(self) -> dict[str, object]:
        return {
            "deleted": len(self.deleted),
            "failed": dict(sorted(self.failed.items())),
            "leftovers": self.leftovers,
            "undeleted": self.undeleted,
            "unaddressable": dict(sorted(self.unaddressable.items())),
            "verified": self.verified,
            "error": self.error,
            "earlier_runs": dict(sorted(self.earlier_runs.items())),
        }


def _hooks_in(body: object) -> list[Any] | None:
    """The list of webhooks in a `GET /hooks` answer: a bare list, or the first list in an object
    (`{"data": [...]}` on the mock; the real API's envelope is not in the contract)."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        return next((value for value in body.values() if isinstance(value, list)), None)
    return None


def _marked(hook: object, marker: str | None) -> bool:
    """A webhook whose target is on this run's own subdomain of the reserved domain, or, for an IP
    literal host (which has no subdomain), whose path starts with the run's label (`/run-1a2b3c4d/`)."""
    if not marker or not isinstance(hook, dict) or not isinstance(hook.get("target"), str):
        return False
    try:
        parts = urlsplit(hook["target"])
        host = parts.hostname or ""
    except ValueError:
        return False
    label = marker.split(".", 1)[0]
    return host == marker or host.endswith("." + marker) or f"{parts.path}/".startswith(f"/{label}/")


class Sweeper:
    """Deletes each webhook the moment the run learns its id, on a thread `submit` provides (the run's
    sending threads, so `--concurrency` still bounds what is on the wire), each under the deadline."""

    def __init__(
        self, target: Target, wire: Wire, pace: Pace | None, submit: Callable[[Callable[[], object]], Future[object]]
    ) -> None:
        self.target, self.wire, self.pace, self._submit = target, wire, pace, submit
        self.deleted: set[str] = set()
        self.live: LiveBound | None = None  # told of each delete, so its place is free again
        self._pending: list[Future[object]] = []
        self._due: deque[str] = deque()  # asked for, not started: a job or `drain` takes each once
        self._asked: set[str] = set()
        self._lock = threading.Lock()

    def delete(self, hook_id: str) -> None:
        """Delete `hook_id` soon (once, however often it is asked: the Sender and the judge both ask)."""
        with self._lock:
            if hook_id in self._asked:
                return
            self._asked.add(hook_id)
            self._due.append(hook_id)
        self._pending.append(self._submit(self.drain))

    def drain(self) -> bool:
        """Run one due delete on this thread; False when none is due."""
        with self._lock:
            if not self._due:
                return False
            hook_id = self._due.popleft()
        self._delete(hook_id)
        return True

    def _delete(self, hook_id: str) -> None:
        try:
            url = hook_url(self.target.hooks_url, hook_id)
        except UnaddressableId:
            if self.live is not None:  # it can never be deleted: holding its place would stop the run
                self.live.gone(hook_id)
            return  # never requested: the cleanup at the end lists it
        if self.pace is not None:
            self.pace.wait()
        try:
            answer = self.wire.exchange("DELETE", url, self.target.auth_headers(), None, deadline=self.target.timeout)
        except Exception:  # any failure here: the cleanup at the end tries again, within its budget
            return
        if answer.status < 300 or answer.status == 404:
            with self._lock:
                self.deleted.add(hook_id)
            if self.live is not None:
                self.live.gone(hook_id)

    def settle(self, within: float) -> None:
        """Wait (at most `within` s) for the deletes under way; those not started are left to the end."""
        for future in self._pending:
            future.cancel()  # not picked up yet: the end deletes it, within the budget
        wait_for(self._pending, timeout=max(0.0, within))


def cleanup(
    target: Target,
    ids: list[str],
    marker: str | None = None,
    *,
    wire: Wire | None = None,
    pace: Pace | None = None,
    swept: Sweeper | None = None,
) -> Cleanup:
    """Delete `ids`, then every listed webhook whose target is on the run's `marker` domain: those
    a server registered without telling us their id (an interrupted request, a wrong response).

    Each request runs under the run's deadline, and all of them within `target.cleanup_timeout`:
    whatever the server does, cleanup ends, and what it could not delete is listed in `failed`.
    `wire`: the run's own (so a second signal cancels the cleanup too); None opens one.
    `pace`: the run's own, so cleanup keeps to `--rate` too.
    `swept`: the run's Sweeper, whose deletes (done or under way) count; the rest are deleted here.
    """
    report = Cleanup()
    if target.base_url is None or (not ids and not marker):
        return report
    own = wire is None
    wire = wire or Wire(target.max_response_bytes, client_options(target))
    try:
        budgeted = _Budgeted(wire, target, pace)
        if swept is not None:
            swept.settle(within=budgeted.ends - time.monotonic())
            report.deleted.extend(i for i in dict.fromkeys(ids) if i in swept.deleted)
            ids = [i for i in ids if i not in swept.deleted]
        _clean(report, budgeted, ids, marker, known=report.deleted)
    except Exception as error:  # no failure of cleanup may lose the run's verdicts
        report.error = f"cleanup broke off: {type(error).__name__}"
        done = set(report.deleted) | set(report.failed)
        report.failed.update({shown_id(i): report.error for i in ids if i not in done})
    finally:
        if own:
            wire.close()
    return report


class _Budgeted:
    """Requests under the run's deadline, cut short when the cleanup budget runs out."""

    def __init__(self, wire: Wire, target: Target, pace: Pace | None) -> None:
        self.wire, self.target, self.pace = wire, target, pace
        self.ends = time.monotonic() + target.cleanup_timeout

    def __call__(self, method: str, url: str) -> Answer:
        if self.pace is not None:
            self.pace.wait()
        left = self.ends - time.monotonic()
        if left <= 0:
            raise BudgetSpent(f"cleanup budget of {self.target.cleanup_timeout} s spent")
        headers = self.target.auth_headers()
        try:
            return self.wire.exchange(method, url, headers, None, deadline=min(self.target.timeout, left))
        except Overdue:
            if left < self.target.timeout:  # cut by what was left of the budget, not by the deadline
                raise BudgetSpent(f"cleanup budget of {self.target.cleanup_timeout} s spent") from None
            raise


def _why(error: Exception) -> str:
    return str(error) if isinstance(error, BudgetSpent | Overdue | Cancelled) else type(error).__name__


def _clean(report: Cleanup, send: _Budgeted, ids: list[str], marker: str | None, known: list[str]) -> None:
    """`known`: ids already deleted (by the Sweeper): still checked against the listing."""
    hooks_url = send.target.hooks_url

    def delete(hook_id: str) -> None:
        try:
            url = hook_url(hooks_url, hook_id)
        except UnaddressableId as why:
            report.unaddressable[shown_id(hook_id)] = f"the server issued an id that cannot be addressed safely: {why}"
            return
        try:
            answer = send("DELETE", url)
        except (httpx.HTTPError, BudgetSpent, Overdue, Cancelled) as error:
            report.failed[hook_id] = _why(error)
            return
        if answer.status < 300 or answer.status == 404:
            report.deleted.append(hook_id)
        else:
            report.failed[hook_id] = f"HTTP {answer.status}"

    def listed() -> list[Any] | None:
        return _listing(send)

    def delete_all(hook_ids: list[str]) -> None:
        # As many at once as the run sends (--concurrency), each still paced by --rate.
        with ThreadPoolExecutor(max_workers=send.target.in_flight, thread_name_prefix="faxplus-cleanup") as pool:
            list(pool.map(delete, dict.fromkeys(hook_ids)))

    delete_all(ids)
    hooks = listed()
    strays = [h["id"] for h in hooks or [] if _marked(h, marker) and isinstance(h.get("id"), str)]
    delete_all(strays)
    if strays:
        hooks = listed()
    if isinstance(hooks, list):
        report.verified = True
        mine = set(ids) | set(known)
        left = [
            h["id"]
            for h in hooks
            if isinstance(h, dict) and isinstance(h.get("id"), str) and (h["id"] in mine or _marked(h, marker))
        ]
        report.leftovers = [shown_id(i) for i in left if shown_id(i) not in report.unaddressable]
        if marker:
            own, domain = marker.split(".", 1)[0], marker.split(".", 1)[-1]
            labels = [label_of(h, domain) for h in hooks]
            report.earlier_runs = dict(Counter(label for label in labels if label is not None and label != own))


@dataclass
class Leftovers:
    """What `faxplus-conformance cleanup` found of earlier runs, and what became of it."""

    found: dict[str, str] = field(default_factory=dict)  # shown id → its run label
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # shown id → why
    unaddressable: dict[str, str] = field(default_factory=dict)  # shown id → why it was never requested
    younger: int = 0  # labelled webhooks left alone: not older than --older-than
    remaining: int | None = None  # labelled webhooks still listed afterwards (None: not checked)
    listed: bool = False  # GET /hooks answered at all


def remove_leftovers(target: Target, *, older_than: float | None = None, dry_run: bool = False) -> Leftovers:
    """Delete every listed webhook that carries a run label of this suite on `target.target_domain`
    (and only those), older than `older_than` seconds by its label; `dry_run`: only list them."""
    result = Leftovers()
    wire = Wire(target.max_response_bytes, client_options(target))
    try:
        send = _Budgeted(wire, target, None)
        hooks = _listing(send)
        if hooks is None:
            return result
        result.listed = True
        now = time.time()
        chosen: list[tuple[str, str]] = []
        for hook in hooks:
            label = label_of(hook, target.target_domain)
            if label is None or not isinstance(hook.get("id"), str):
                continue
            begun = started(label)
            if older_than is not None and begun is not None and now - begun < older_than:
                result.younger += 1
                continue
            result.found[shown_id(hook["id"])] = label
            chosen.append((hook["id"], label))
        if dry_run:
            return result
        for hook_id, _ in chosen:
            try:
                url = hook_url(target.hooks_url, hook_id)
            except UnaddressableId as why:
                result.unaddressable[shown_id(hook_id)] = str(why)
                continue
            try:
                answer = send("DELETE", url)
            except (httpx.HTTPError, BudgetSpent, Overdue, Cancelled) as error:
                result.failed[shown_id(hook_id)] = _why(error)
                continue
            if answer.status < 300 or answer.status == 404:
                result.deleted.append(shown_id(hook_id))
            else:
                result.failed[shown_id(hook_id)] = f"HTTP {answer.status}"
        after = _listing(send)
        if after is not None:
            labelled = (label_of(h, target.target_domain) for h in after)
            result.remaining = sum(1 for label in labelled if label is not None) - result.younger
    finally:
        wire.close()
    return result


def _listing(send: _Budgeted) -> list[Any] | None:
    """The webhooks `GET /hooks` lists, or None when it does not answer with a list."""
    try:
        answer = send("GET", send.target.hooks_url)
    except (httpx.HTTPError, BudgetSpent, Overdue, Cancelled):
        return None
    if answer.status != 200 or answer.too_large:
        return None
    try:
        return _hooks_in(json.loads(answer.body))
    except ValueError:
        return None
