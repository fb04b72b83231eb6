"""Credentials a run derives from the real token: the near misses its probes send, each a secret.

A prefix of the token, or the token with its case changed, is nearly the token: every artifact masks
them as it masks the token (`Target.secrets`). The forms that contain the token itself (a suffix
added, padding) are masked as the token.
"""

from __future__ import annotations

__all__ = [
    "DERIVED",
    "MADE_UP",
    "PLACEHOLDER_CLIENT_ID",
    "WRONG_TOKEN",
    "derived_secrets",
    "token_case_changed",
    "token_prefix",
]

# The OAuth path's `x-fax-clientid` when the run was given no `--client-id`: the path is still
# travelled (a server may skip validation there), and a 401 or 403 to it says nothing of the contract.
PLACEHOLDER_CLIENT_ID = "faxplus-conformance-placeholder-client"
WRONG_TOKEN = "not-a-token-this-server-issued"  # a bearer token no server issued

# Credential header values the suite made up, public in this file: artifacts keep them as sent (a
# header holding anything else it was not told about is masked), so the findings they carry replay.
MADE_UP = frozenset({f"Bearer {WRONG_TOKEN}", PLACEHOLDER_CLIENT_ID})


def token_prefix(token: str) -> str:
    """The token without its last character: 'abc' → 'ab'."""
    return token[:-1]


def token_case_changed(token: str) -> str:
    """The token with every letter's case swapped: 'aB3' → 'Ab3'. A token without letters has no
    case to change: its near miss is then the empty string (an empty bearer, refused all the same)."""
    swapped = token.swapcase()
    return swapped if swapped != token else ""


DERIVED = "[derived-token]"  # no `$FAXPLUS_`: `replay` has no value to put back for it


def derived_secrets(token: str) -> dict[str, str]:
    """The near-miss tokens that do not contain the token itself, each a secret of its own: a prefix
    of the token is nearly all of it. (The suffixed and padded forms hold the token, masked as such.)

    >>> derived_secrets("s3cr3t-Token")
    {'s3cr3t-Toke': '[derived-token]', 'S3CR3T-tOKEN': '[derived-token]'}
    """
    return {form: DERIVED for form in (token_prefix(token), token_case_changed(token)) if form and form != token}
