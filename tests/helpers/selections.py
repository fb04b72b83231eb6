"""Named `--select` expressions for the tests whose claim is about a run's machinery (signals,
cleanup, reports, exit codes), not about what the whole suite finds: a selected run costs ~0.3 s of
CPU in process, a whole run ~7 s. The sweeps that prove verdicts (faults, variants, peers, diff,
determinism, mechanisms) run the whole suite.

The names are pytest's, of `conformance/suite/test_post_hooks.py`'s tests:
`pytest --pyargs conformance.suite --collect-only -q` lists them."""

from __future__ import annotations

# Valid Webhooks only (~27 cases, every one registered): what cleanup, --max-live and leftovers count.
REGISTERS = "test_valid_webhook_is_registered"
# One test of each kind of case: valid Webhooks (registered), invalid families (400 and an Error:
# `numbers-empty` and, as -k matches substrings, `numbers-empty-string`), and a refused credential.
# A fault of the minItems rule (`numbers-min-items-ignored`) fails it.
A_FEW = "test_valid_webhook_is_registered or numbers-empty or no-credentials"
