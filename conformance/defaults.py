"""The run's defaults, each named once: `Target`'s fields and the option table (`conformance.options`)
both read them, so the CLI, the plugin, the config file and an in-process `Target(...)` cannot disagree.

In the lowest layer because `Target` is; `tests/test_options.py` proves every row's default is its field's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

TIER: Final[Literal["ci"]] = "ci"
TIMEOUT: Final = 5.0  # seconds for one whole exchange, connect to last response byte
MAX_RESPONSE_BYTES: Final = 1024 * 1024  # a longer answer is cut, and the cut is a fail
CLEANUP_TIMEOUT: Final = 30.0  # total seconds for deleting what the run registered
OUTPUT_DIR: Final = Path("reports")
SDK_OUTPUT_DIR: Final = OUTPUT_DIR / "sdk"  # the SDK gate's reports, beside a run's
TARGET_DOMAIN: Final = "example.com"  # RFC 2606 reserves it: a registered target never reaches anyone
MAX_WAIT: Final = 120.0  # total seconds waiting out 429 / 503 with Retry-After
MAX_LIVE: Final = 10  # the run's own webhooks registered at once (0: no bound)
SHRINK_BUDGET: Final = 150  # requests spent shrinking fails (0: off)
# Requests in flight when --concurrency is not given (Target.in_flight says why each).
CONCURRENCY: Final = 8
NIGHTLY_CONCURRENCY: Final = 16
EMBEDDED_CONCURRENCY: Final = 1
