"""Run context for Allure: ``environment.properties``, ``categories.json`` and ``executor.json``.

These three files are Allure 2 conventions, written next to the results in ``allure-results``.  The pinned
Allure 3 (``reports/package.json``) reads all three (``@allurereport/reader``, allure2 reader), but its default
Awesome report only *shows* the environment and the executor: Awesome takes its categories from the report
config (``categories`` in ``allurerc``), not from ``categories.json``, which only the ``allure2``/``classic``
plugins and Allure 2 itself use.  :func:`categories` uses the compatibility keys (``messageRegex``,
``matchedStatuses``) that Allure 3's config also accepts, so the same list can be passed there.

Category regexes are matched against the failure message :class:`conformance.plugin.ContractViolation`
produces (``[family :: check] message`` lines, see ``conformance/judge``).  They are written to work in both
dialects: Allure 2 (Java) requires the *whole* message to match, Allure 3 (JavaScript) searches, hence the
``[\\s\\S]*`` on both ends and no inline flags.  The first matching category wins, so the list is ordered by
severity.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from conformance.judge import POLICY, Category, Verdict

from .markdown import selection_line

if TYPE_CHECKING:
    from conformance.engine import RunResult

__all__ = ["categories", "environment", "executor", "outcome", "safe_url", "write", "write_for"]

ENVIRONMENT_FILE, CATEGORIES_FILE, EXECUTOR_FILE = "environment.properties", "categories.json", "executor.json"


# Families whose only failing status verdicts are "the server did not check the credentials".
def _credential_families() -> tuple[str, ...]:
    from conformance.strategies import CREDENTIALS

    return ("no-credentials", "wrong-credentials", *(c.name for c in CREDENTIALS if c.refused))


# Checks other than `status` whose FAIL violations have one fixed category (see conformance/judge/_checks.py).
_CHECK_CATEGORY = {
    "no-server-error": Category.SERVER_ERROR,
    "transport": Category.TRANSPORT,
    "response-schema": Category.SCHEMA_MISMATCH,
    "content-type": Category.SCHEMA_MISMATCH,
}
# First match wins: most severe first (conformance.judge._verdict.SEVERITY).
_ORDER = (
    Category.SERVER_ERROR,
    Category.TRANSPORT,
    Category.AUTH,
    Category.INVALID_ACCEPTED,
    Category.VALID_REJECTED,
    Category.WRONG_STATUS,
    Category.SCHEMA_MISMATCH,
)
_DESCRIPTIONS = {
    Category.SERVER_ERROR: "a request made the server answer 5xx",
    Category.TRANSPORT: "no well-formed HTTP answer arrived within the timeout",
    Category.AUTH: "a request without a token, or with a token never issued, was accepted",
    Category.INVALID_ACCEPTED: "a payload that breaks the Webhook schema (or no/non-JSON body) was accepted",
    Category.VALID_REJECTED: "a schema-valid Webhook was rejected",
    Category.WRONG_STATUS: "an answer with a status the contract does not document for the request",
    Category.SCHEMA_MISMATCH: "a documented answer whose body or Content-Type does not match the contract",
}
_ANY = r"[\s\S]*"  # any text, newlines included, in Java and JavaScript regexes alike


def _escape(text: str) -> str:
    """Escape regex metacharacters only: valid in Java, JavaScript (no `u` flag) and Python alike."""
    return "".join("\\" + c if c in r"\^$.|?*+()[]{}" else c for c in text)


def _line(checks: str, rest: str = "") -> str:
    """A regex matching a whole message that holds a `[family :: check] rest...` line."""
    return f"{_ANY}\\[[^\\]\\n]* :: (?:{checks})\\] {rest}{_ANY}"


def _status_reasons(category: Category) -> list[str]:
    """Reasons of the policy rules that make the `status` check FAIL with ``category``."""
    rules = (rule for rules in POLICY.values() for rule in rules)
    return sorted({r.reason for r in rules if r.verdict is Verdict.FAIL and r.category is category})


def _message_regex(category: Category) -> str:
    parts: list[str] = []
    checks = sorted(name for name, cat in _CHECK_CATEGORY.items() if cat is category)
    if checks:
        parts.append(_line("|".join(_escape(c) for c in checks)))
    reasons = _status_reasons(category)
    if reasons:  # the `status` check: "[family :: status] 200 for an invalid request: <policy reason>"
        alternatives = "|".join(_escape(r) for r in reasons)
        parts.append(_line("status", f"\\d+ for an? [\\w-]+ request: (?:{alternatives})"))
    if category is Category.AUTH:
        families = "|".join(_escape(f) for f in _credential_families())
        parts.append(f"{_ANY}\\[(?:{families}) :: status\\] {_ANY}")
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


def categories(groups: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """Allure categories sorting failed tests: first by the run's root causes (`groups` of
    summary.json, matched by the `root cause <id>` each failure message names), then by the
    category of their most severe finding."""
    roots = [
        {
            "name": f"{g['check']}: {g['title']}",
            "description": f"{g['occurrences']} cases in {len(g['families'])} families: {', '.join(g['families'])}",
            "matchedStatuses": ["failed"],
            "messageRegex": f"{_ANY}root cause {_escape(g['id'])}{_ANY}",
        }
        for g in groups
        if g["verdict"] == "fail"
    ]
    return roots + [
        {
            "name": str(category),
            "description": _DESCRIPTIONS[category],
            "matchedStatuses": ["failed"],
            "messageRegex": _message_regex(category),
        }
        for category in _ORDER
    ]


def safe_url(url: str) -> str:
    """``url`` without user info, query or fragment (where credentials tend to hide)."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment(*, base_url: str, tier: str, seed: int | None, spec_title: str, spec_version: str) -> dict[str, str]:
    """What the run was, as shown in the report's Environment widget."""
    return {
        "Base URL": safe_url(base_url) if base_url else "embedded reference mock",
        "Spec": spec_title,
        "Spec version": spec_version,
        "Suite version": _version("faxplus-conformance"),
        "Tier": tier,
        "Seed": "derandomized" if seed is None else str(seed),
        "Python": platform.python_version(),
        "schemathesis": _version("schemathesis"),
        "hypothesis": _version("hypothesis"),
    }


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def executor(env: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The CI job that ran the suite (GitHub Actions or GitLab CI), or None outside those.

    A bare ``CI=true`` names no job, so it is not an executor.
    """
    env = os.environ if env is None else env
    info: dict[str, Any]
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        repo, run_id, number = env["GITHUB_REPOSITORY"], env["GITHUB_RUN_ID"], env.get("GITHUB_RUN_NUMBER")
        name = " ".join(filter(None, [env.get("GITHUB_WORKFLOW") or repo, f"#{number or run_id}"]))
        info = {
            "name": "GitHub Actions",
            "type": "github",
            "url": f"{server}/{repo}",
            "buildOrder": _int(number),
            "buildName": name,
            "buildUrl": f"{server}/{repo}/actions/runs/{run_id}",
        }
    elif env.get("CI_PIPELINE_ID") or env.get("CI_PIPELINE_URL") or env.get("CI_JOB_URL"):
        pipeline = env.get("CI_PIPELINE_ID")
        parts = [env.get("CI_PROJECT_NAME"), env.get("CI_JOB_NAME"), f"#{pipeline}" if pipeline else None]
        info = {
            "name": "GitLab CI",
            "type": "gitlab",
            "url": env.get("CI_PIPELINE_URL") or env.get("CI_JOB_URL"),
            "buildOrder": _int(pipeline),
            "buildName": " ".join(p for p in parts if p) or "GitLab CI job",
            "buildUrl": env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL"),
        }
    else:
        return None
    return {key: value for key, value in info.items() if value is not None}


def _escape_property(text: str, *, key: bool) -> str:
    """Java ``.properties`` escaping (ISO-8859-1 file, everything else as \\uXXXX)."""
    out: list[str] = []
    for i, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char in "\t\n\r\f":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}[char])
        elif char == " " and (key or i == 0):
            out.append("\\ ")
        elif char in "=:#!" and (key or i == 0):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) > 0x7E:
            encoded = char.encode("utf-16-be")
            out.extend(f"\\u{int.from_bytes(encoded[j : j + 2], 'big'):04x}" for j in range(0, len(encoded), 2))
        else:
            out.append(char)
    return "".join(out)


def properties(values: Mapping[str, str]) -> str:
    """``values`` as the text of a Java ``.properties`` file."""
    return "".join(f"{_escape_property(k, key=True)}={_escape_property(v, key=False)}\n" for k, v in values.items())


def write(
    results_dir: Path,
    *,
    base_url: str,
    tier: str,
    seed: int | None,
    spec_title: str,
    spec_version: str,
    env: Mapping[str, str] | None = None,
    groups: Sequence[Mapping[str, Any]] = (),
    outcome: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write the three files into ``results_dir`` (created if missing); return the paths written.

    An ``executor.json`` left from an earlier run is removed when no CI job is detected.
    """
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    values = environment(base_url=base_url, tier=tier, seed=seed, spec_title=spec_title, spec_version=spec_version)
    values = {**(outcome or {}), **values}
    written = [results_dir / ENVIRONMENT_FILE, results_dir / CATEGORIES_FILE]
    written[0].write_text(properties(values), encoding="latin-1")
    written[1].write_text(json.dumps(categories(groups), indent=2) + "\n", encoding="utf-8")
    job = executor(env)
    executor_file = results_dir / EXECUTOR_FILE
    if job is None:
        executor_file.unlink(missing_ok=True)
    else:
        executor_file.write_text(json.dumps(job, indent=2) + "\n", encoding="utf-8")
        written.append(executor_file)
    return written


def drop_unfinished_fixtures(results_dir: Path) -> int:
    """Remove fixture teardowns that were opened and never closed; return how many.

    allure-pytest 2.16 records the finalizer pytest 9 registers for every fixture (`probe::<lambda>`)
    but never stops it, so each result would show an empty teardown with status "unknown".
    """
    dropped = 0
    for container in Path(results_dir).glob("*-container.json"):
        data = json.loads(container.read_text(encoding="utf-8"))
        afters = data.get("afters", [])
        kept = [a for a in afters if "stop" in a or "status" in a]
        if len(kept) != len(afters):
            dropped += len(afters) - len(kept)
            data["afters"] = kept
            container.write_text(json.dumps(data), encoding="utf-8")
    return dropped


def write_for(result: RunResult, env: Mapping[str, str] | None = None) -> list[Path]:
    """The three files for a finished run, its outcome (verdict, exit code, completeness) among the
    environment's entries, so the HTML report states what the process did."""
    data = result.document
    target, contract = data["target"], data["contract"]
    written = write(
        result.output_dir / "allure-results",
        base_url="" if target["embedded"] else target["base_url"],
        tier=data["tier"],
        seed=data["seed"],
        spec_title=contract["title"],
        spec_version=contract["version"],
        env=env,
        groups=data["groups"],
        outcome=outcome(result),
    )
    drop_unfinished_fixtures(result.output_dir / "allure-results")
    return written


def outcome(result: RunResult) -> dict[str, str]:
    """The run's outcome as Environment entries: the same verdict and exit code as the process."""
    entries = {"Verdict": str(result.verdict), "Exit code": str(result.exit_code)}
    entries["Complete"] = "yes" if result.complete else "no: " + "; ".join(result.gaps)
    if partial := selection_line(result.document.get("selection")):
        entries["Selection"] = partial
    return entries
