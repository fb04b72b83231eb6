"""Why a request was not sent, or its answer not had: the send layer's exceptions, in one place.

    Exception
    ├── NotSent         the run was interrupted before this request left: it is never sent
    ├── TargetHanging   the target stopped answering (the no-answer breaker): nothing more is sent
    ├── RateLimited     429s past the wait budget (`--max-wait`)            (conformance.send._politeness)
    ├── CourierLost     the sending process ended while requests waited for it
    ├── Overdue         the answer was not complete within the deadline
    ├── Cancelled       a second signal abandoned the exchange
    └── BudgetSpent     cleanup's own time (`--cleanup-timeout`) is up
    ValueError
    └── UnaddressableId a server-issued id no request may address           (conformance.send._hook_address)

A transport failure the server caused (reset, refused, malformed HTTP) is not an exception here: it is
an Exchange with `error` set, judged like any answer.
"""

from __future__ import annotations

__all__ = ["BudgetSpent", "Cancelled", "CourierLost", "NotSent", "Overdue", "TargetHanging"]


class NotSent(Exception):
    """The run was interrupted before this request left: it is never sent."""


class TargetHanging(Exception):
    """The target stopped answering (hangs, or went away): further requests would only wait."""


class CourierLost(Exception):
    """The sending process ended while requests waited for it: the tests that sent them cannot be judged."""


class Overdue(Exception):
    """The answer was not complete within the deadline."""

    def __init__(self, deadline: float) -> None:
        super().__init__(f"answer not complete after {deadline} s")


class Cancelled(Exception):
    """The run was cancelled (a second signal): the exchange was abandoned."""

    def __init__(self) -> None:
        super().__init__("run cancelled before the answer was complete")


class BudgetSpent(Exception):
    """The cleanup's total time is up: what is left stays listed for removal by hand."""
