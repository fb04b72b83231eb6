"""The pytest suite: `pytest --pyargs conformance.suite [--base-url URL --token T]`."""
