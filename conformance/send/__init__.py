"""Sending: how a generated case goes on the wire, and how it is replayed and redacted."""

from ._cleanup import Cleanup, Leftovers, Sweeper, cleanup, remove_leftovers
from ._courier import Courier, courier_for
from ._curl import curl
from ._errors import BudgetSpent, Cancelled, CourierLost, NotSent, Overdue, TargetHanging
from ._exchange import UNREADABLE, Exchange
from ._hook_address import UnaddressableId, hook_url, shown_id, why_unaddressable
from ._live import LiveBound
from ._politeness import RateLimited
from ._preflight import preflight
from ._redact import WEAK, Redactor, weak
from ._run_label import new_label
from ._sender import Sender
from ._tls import tls_warnings
from ._wire import Wire

__all__ = [
    "LiveBound",
    "Leftovers",
    "remove_leftovers",
    "new_label",
    "BudgetSpent",
    "Cancelled",
    "Overdue",
    "WEAK",
    "Wire",
    "tls_warnings",
    "weak",
    "UNREADABLE",
    "NotSent",
    "RateLimited",
    "Cleanup",
    "cleanup",
    "Courier",
    "CourierLost",
    "Exchange",
    "Redactor",
    "Sender",
    "Sweeper",
    "TargetHanging",
    "UnaddressableId",
    "courier_for",
    "curl",
    "hook_url",
    "preflight",
    "shown_id",
    "why_unaddressable",
]
