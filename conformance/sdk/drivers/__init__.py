"""SDK drivers: programs that speak the gate's JSON-lines protocol (see docs/sdk-gate.md).

They run as subprocesses with only the SDK under test on their path, so nothing here may import
`conformance` or any package of the suite.
"""
