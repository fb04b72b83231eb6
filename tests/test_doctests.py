"""Every docstring example in the package runs (those marked `+SKIP` need a live run)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import conformance

SKIP = {"conformance.suite.test_post_hooks", "conformance.__main__"}  # the suite's tests; the CLI's entry


def modules() -> list[str]:
    names = []
    for package in (conformance,):  # conformance.strategies included
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if info.name not in SKIP and not info.name.endswith("_child"):
                names.append(info.name)
    return names


@pytest.mark.parametrize("name", modules())
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert failures == 0, f"{name}: {failures} docstring example(s) failed (python -m doctest -v)"
