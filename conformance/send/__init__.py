"""Sending: how a generated case goes on the wire, and how it is replayed and redacted."""

from ._cleanup import Cleanup, Sweeper, cleanup
from ._courier import Courier, CourierLost, courier_for
from ._curl import curl
from ._exchange import NOT_JSON, Exchange
from ._hook_address import UnaddressableId, hook_url, shown_id, why_unaddressable
from ._politeness import RateLimited
from ._preflight import preflight
from ._redact import Redactor
from ._sender import NotSent, Sender, TargetHanging

__all__ = [
    "NOT_JSON",
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
