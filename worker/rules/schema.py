"""JSON Schema of rule suite files, generated from the same models the loader uses.

Editors such as VS Code (with the YAML extension) use it for completion and
inline errors; point them at it with a first line
``# yaml-language-server: $schema=rule-suite.schema.json``. The schema
describes one YAML document; each document of a multi-document file is
checked on its own. It cannot express everything the linter checks
(expectation arguments, inheritance, variables), so `gerra-gate rules lint`
stays the authority.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from worker.rules.model import Suite

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_SCHEMA_PATH = Path("rules") / "rule-suite.schema.json"
VARIABLE_REFERENCE_SCHEMA = {
    "type": "string",
    "pattern": r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$",
    "description": "A ${name} reference to a variable of the suite.",
}
# Models whose values may be written as ${variable} references.
_SUBSTITUTED_DEFINITIONS = ("Rule", "Selector", "Policy", "MetadataCondition")


def rule_file_json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of one suite document."""
    schema = Suite.model_json_schema(mode="validation")
    definitions = schema.setdefault("$defs", {})
    definitions["VariableReference"] = VARIABLE_REFERENCE_SCHEMA
    for name in _SUBSTITUTED_DEFINITIONS:
        for prop in definitions.get(name, {}).get("properties", {}).values():
            _allow_variable(prop)
    schema["title"] = "gerra-gate rule suite"
    return {"$schema": SCHEMA_DIALECT, **schema}


def _allow_variable(prop: dict[str, Any]) -> None:
    options = prop.get("anyOf", [prop])
    if any(option.get("type") == "string" and "pattern" not in option and "enum" not in option for option in options):
        return
    reference = {"$ref": "#/$defs/VariableReference"}
    if "anyOf" in prop:
        prop["anyOf"].append(reference)
        return
    original = {key: value for key, value in prop.items() if key not in ("title", "description", "default")}
    for key in original:
        del prop[key]
    prop["anyOf"] = [original, reference]


def write_rule_file_schema(path: Path = DEFAULT_SCHEMA_PATH) -> Path:
    """Write the schema as indented JSON to `path` and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rule_file_json_schema(), indent=2) + "\n", encoding="utf-8")
    return path
