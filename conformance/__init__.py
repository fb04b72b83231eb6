"""faxplus-conformance: does this server honour the Fax.Plus `POST /hooks` contract?

Run the suite in this process and read its one result:

    >>> import conformance
    >>> result = conformance.run(conformance.Target())  # the embedded mock  # doctest: +SKIP
    >>> result.exit_code, str(result.verdict), result.complete  # doctest: +SKIP
    (0, 'warn', True)

Importing this package builds no schema and reads no file: `run`, `Target` and `RunResult` are
loaded when first used (see ARCHITECTURE.md for the layers behind them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["RunResult", "Target", "__version__", "run"]

if TYPE_CHECKING:
    from conformance.engine import RunResult, run
    from conformance.target import Target


def __getattr__(name: str) -> Any:
    if name in ("run", "RunResult"):
        from conformance import engine

        return getattr(engine, name)
    if name == "Target":
        from conformance.target import Target

        return Target
    raise AttributeError(f"module 'conformance' has no attribute {name!r}")
