"""The SDK release gate: drive an official SDK through the POST /hooks contract.

`faxplus-conformance sdk` installs the SDK under test into a cached, isolated directory, drives
it through a driver subprocess speaking a JSON-lines protocol (conformance.sdk.protocol) against
the reference mock, and judges what it puts on the wire and how it surfaces each reply
(conformance.sdk.gate). Reports: conformance.sdk.report. See docs/sdk-gate.md.
"""

from .command import add_arguments, cmd_sdk

__all__ = ["add_arguments", "cmd_sdk"]
