"""Messages for unknown keys, including keys that indentation put at the wrong level.

YAML silently turns a mis-indented key into a sibling or a child of its
neighbour: ``args:`` written at the suite's indentation becomes a suite key,
``severity:`` indented under ``args:`` becomes an argument. Validation then
reports only an unknown key. This module recognises a key that is valid at
another level and names the level where it belongs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from worker.rules.model import MetadataCondition, Policy, Rule, Selector, Suite
from worker.rules.yaml_positions import NodePath

LEVEL_MODELS: dict[str, type[BaseModel]] = {
    "suite": Suite,
    "applies_to": Selector,
    "metadata condition": MetadataCondition,
    "policy": Policy,
    "rule": Rule,
}


def model_keys(model: type[BaseModel]) -> list[str]:
    """Return the YAML keys a model accepts (aliases where a field has one)."""
    return [info.alias or name for name, info in model.model_fields.items()]


SUITE_KEYS = model_keys(Suite)
RULE_KEYS = model_keys(Rule)
SELECTOR_KEYS = model_keys(Selector)
POLICY_KEYS = model_keys(Policy)


def level_of(path: NodePath) -> str | None:
    """Name the level of the mapping at `path` in a suite document, or None for free-form mappings."""
    if path == ():
        return "suite"
    if path == ("applies_to",):
        return "applies_to"
    if len(path) == 3 and path[:2] == ("applies_to", "metadata"):
        return "metadata condition"
    if path == ("policy",):
        return "policy"
    if len(path) == 2 and path[0] == "rules" and isinstance(path[1], int):
        return "rule"
    return None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest candidate, or an empty string."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""


def unknown_key_message(
    level: str, key: Any, data: dict[str, Any], path: NodePath, argument_names: Iterable[str] = ()
) -> tuple[str, str]:
    """Return the message and code for `key`, unknown at `level` of the document `data`.

    `argument_names` are the argument names of the rule's expectation or check,
    so that an argument written at the rule's level is recognised.
    """
    name = str(key)
    valid = model_keys(LEVEL_MODELS[level])
    placement = _placement_hint(level, name, data, path, set(argument_names))
    if placement:
        return placement, "misplaced-key"
    return f"unknown key {name!r} in {_level_label(level)}{_suggestion(name, valid)}", "unknown-key"


def _level_label(level: str) -> str:
    return {"applies_to": "applies_to", "metadata condition": "a metadata condition"}.get(level, f"the {level}")


def _suggestion(name: str, valid: list[str]) -> str:
    hint = did_you_mean(name, valid)
    return hint or f"; valid keys are {', '.join(valid)}"


def _placement_hint(level: str, name: str, data: dict[str, Any], path: NodePath, argument_names: set[str]) -> str:
    if level == "suite":
        return _suite_level_hint(name, data, argument_names)
    if level == "rule":
        return _rule_level_hint(name, argument_names)
    if level == "applies_to" and name not in SUITE_KEYS + RULE_KEYS:
        return (
            f"{name!r} is not a selector key; conditions on the dataset's metadata go under "
            f"applies_to.metadata, e.g. metadata: {{{name}: ...}}"
        )
    if level in ("applies_to", "policy", "metadata condition") and name in SUITE_KEYS:
        return f"{name!r} is a suite key nested under {path[0]}; dedent it to the suite's level"
    return ""


def _suite_level_hint(name: str, data: dict[str, Any], argument_names: set[str]) -> str:
    if name == "name":
        return "a suite is named by `suite:`; to select datasets by name, put name: under applies_to:"
    if name in RULE_KEYS:
        rules = data.get("rules")
        target = "the rule above it in `rules:`" if isinstance(rules, list) and rules else "a rule in `rules:`"
        return f"{name!r} is a rule key but sits at the suite's level; indent it under {target}"
    if name in SELECTOR_KEYS:
        return f"{name!r} is a selector key but sits at the suite's level; indent it under applies_to:"
    if name in POLICY_KEYS:
        return f"{name!r} is a policy key but sits at the suite's level; indent it under policy:"
    if name in argument_names:
        return f"{name!r} is an argument but sits at the suite's level; indent it under a rule's args:"
    return ""


def _rule_level_hint(name: str, argument_names: set[str]) -> str:
    if name == "name":
        return "a rule is named by `id`, not `name`; write id: instead"
    if name in argument_names:
        return f"{name!r} is an argument, not a rule key; indent it under args:"
    if name in SUITE_KEYS:
        return f"{name!r} is a suite key nested under a rule; dedent it to the suite's level"
    if name in SELECTOR_KEYS:
        return f"{name!r} is a selector key nested under a rule; move it under the suite's applies_to:"
    if name in POLICY_KEYS:
        return f"{name!r} is a policy key nested under a rule; move it under the suite's policy:"
    return ""
