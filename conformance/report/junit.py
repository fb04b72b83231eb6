"""junit.xml amended with the run's outcome, as `<properties>` of its test suite.

pytest writes the file (one testcase per suite test: a broken rule is a failure, cases never sent a
skip); what pytest cannot know, the run's exit code, verdict and completeness, is added here, so a
gate that reads only JUnit reads the same outcome as the process.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from .markdown import selection_line

if TYPE_CHECKING:
    from conformance.engine import RunResult

__all__ = ["stamp"]


def stamp(result: RunResult) -> bool:
    """Add the outcome to `junit.xml` in the run's output folder; False when there is none."""
    path = result.output_dir / "junit.xml"
    if not path.is_file():
        return False
    tree = ET.parse(path)
    root = tree.getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    outcome = {
        "faxplus.verdict": str(result.verdict),
        "faxplus.exit_code": str(result.exit_code),
        "faxplus.complete": "true" if result.complete else "false",
        **{f"faxplus.incomplete.{i}": gap for i, gap in enumerate(result.document.get("incomplete", []), 1)},
        **({"faxplus.selection": partial} if (partial := selection_line(result.document.get("selection"))) else {}),
    }
    for suite in suites:
        properties = suite.find("properties")
        if properties is None:
            properties = ET.Element("properties")
            suite.insert(0, properties)
        for prop in [p for p in properties.findall("property") if p.get("name", "").startswith("faxplus.")]:
            properties.remove(prop)
        for name, value in outcome.items():
            ET.SubElement(properties, "property", name=name, value=value)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return True
