"""Shared pieces of the project's tests: servers, processes, runs and audits several test modules use."""
