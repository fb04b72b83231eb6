"""The contract's `POST /hooks` operation, as schemathesis loaded it.

Loaded once at import: schemathesis's pytest fixture loader does not work on pytest 9.2.
"""

from __future__ import annotations

import schemathesis

from conformance.contract import spec_path

SCHEMA = schemathesis.openapi.from_path(spec_path())
OPERATION = SCHEMA["/hooks"]["POST"]
