"""A checkout installed before the install marker existed keeps its HTML offline (issue 22): its tree
is adopted when npm's own record says it is the lock's, whole, instead of installed again (which,
offline, failed and cost the run its HTML). Proven with the stand-in npm of tests/helpers/fake_npm.py,
offline here (it fails as npm does without the registry)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from helpers.fake_npm import FakeNpm

from conformance.report.allure_cli import HtmlUnavailable
from conformance.report.allure_install import ALLURE_CLI, MARKER, AllureInstall, installed

PACKAGES = {
    "node_modules/allure": {"version": "3.0.0", "integrity": "sha512-allure"},
    "node_modules/left-pad": {"version": "1.3.0", "integrity": "sha512-pad"},
}


def pre_marker_tree(fake: FakeNpm, record: dict[str, dict[str, str]] | None) -> None:
    """The fake's package with a lock of PACKAGES, and a tree as an install before the marker left it:
    the CLI in place, no marker, and npm's own record of the tree (`record`; None: none, as half done)."""
    lock = {"name": "fake", "lockfileVersion": 3, "packages": {"": {"name": "fake"}, **PACKAGES}}
    (fake.package / "package-lock.json").write_text(json.dumps(lock))
    cli = fake.package / ALLURE_CLI
    cli.parent.mkdir(parents=True)
    cli.write_text("// allure")
    if record is not None:
        hidden = {"name": "fake", "lockfileVersion": 3, "packages": record}
        (fake.package / "node_modules" / ".package-lock.json").write_text(json.dumps(hidden))


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeNpm:
    fake = FakeNpm.make(tmp_path)
    for key, value in fake.env(FAIL="1").items():
        monkeypatch.setenv(key, value)
    yield fake
    fake.kill_leftovers()


def install(fake: FakeNpm) -> Path:
    return AllureInstall.start(fake.package).wait(time.monotonic() + 60)


def test_a_whole_tree_of_this_lock_is_adopted_without_npm(offline: FakeNpm) -> None:
    pre_marker_tree(offline, PACKAGES)
    assert installed(offline.package) is None  # no marker: not installed by the marker's rule alone
    assert install(offline) == offline.package / ALLURE_CLI
    assert offline.invocations() == []  # nothing installed again, so offline is no loss
    assert installed(offline.package) is not None and (offline.package / MARKER).is_file()


@pytest.mark.parametrize(
    "record",
    [
        None,  # half done: npm writes its record last
        {**PACKAGES, "node_modules/left-pad": {"version": "1.2.0", "integrity": "sha512-old"}},  # another lock's
        {"node_modules/allure": PACKAGES["node_modules/allure"]},  # a package missing
    ],
    ids=["no-record", "other-version", "missing-package"],
)
def test_a_tree_that_is_not_this_locks_whole_install_is_installed_again(offline: FakeNpm, record: object) -> None:
    pre_marker_tree(offline, record)  # type: ignore[arg-type]
    with pytest.raises(HtmlUnavailable, match="failed"):  # offline: the install is tried, and fails
        install(offline)
    assert offline.invocations() == [["ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"]]
    assert installed(offline.package) is None


def test_without_npm_on_path_a_whole_tree_is_still_used(
    offline: FakeNpm, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pre_marker_tree(offline, PACKAGES)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no npm at all
    assert install(offline) == offline.package / ALLURE_CLI
