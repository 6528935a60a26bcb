"""Substitute ``${name}`` references with a suite's variables.

A value that is exactly one reference takes the variable's value with its
type, so ``max_value: ${max_angle}`` stays a number and ``value_set:
${joints}`` stays a list. A reference inside a longer text is replaced by the
variable's text form. ``$${`` writes a literal ``${``. Derived column names
such as ``$timestamp_step`` have no braces and are left alone.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from worker.rules.errors import Issue

_REFERENCE = re.compile(r"\$\$\{|\$\{([^{}]*)\}|\$\{")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def has_reference(value: Any) -> bool:
    """Tell whether `value`, or any text nested in it, still contains a ``${...}`` reference."""
    if isinstance(value, str):
        return any(match.group(0) != "$${" for match in _REFERENCE.finditer(value))
    if isinstance(value, dict):
        return any(has_reference(item) for item in value.values())
    if isinstance(value, list):
        return any(has_reference(item) for item in value)
    return False


def substitute(value: Any, variables: dict[str, Any], path: tuple[str | int, ...] = ()) -> tuple[Any, list[Issue]]:
    """Return `value` with references replaced, and an issue for each reference that cannot be.

    An unresolved reference is kept as written, so later checks can tell it
    apart from a real value.
    """
    issues: list[Issue] = []
    result = _walk(value, variables, path, issues)
    return result, issues


def _walk(value: Any, variables: dict[str, Any], path: tuple[str | int, ...], issues: list[Issue]) -> Any:
    if isinstance(value, dict):
        return {key: _walk(item, variables, path + (key,), issues) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, variables, path + (index,), issues) for index, item in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _substitute_text(value, variables, path, issues)
    return value


def _substitute_text(text: str, variables: dict[str, Any], path: tuple[str | int, ...], issues: list[Issue]) -> Any:
    whole = _REFERENCE.fullmatch(text)
    if whole and whole.group(1) is not None and whole.group(1) in variables:
        return copy.deepcopy(variables[whole.group(1)])

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name = match.group(1)
        if name is None or not _NAME.match(name):
            issues.append(Issue(path, f"malformed variable reference in {text!r}; write ${{name}}", "variable"))
            return match.group(0)
        if name not in variables:
            issues.append(Issue(path, f"variable ${{{name}}} is not defined", "unresolved-variable"))
            return match.group(0)
        if isinstance(variables[name], dict | list):
            issues.append(
                Issue(path, f"variable ${{{name}}} holds a list or mapping; use it as the whole value, not inside text", "variable")
            )
            return match.group(0)
        return _text_form(variables[name])

    return _REFERENCE.sub(replace, text)


def _text_form(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)
