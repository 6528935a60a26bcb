"""Turn pydantic validation errors of suite data into located lint errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError

from worker.rules.errors import LintError
from worker.rules.keys import did_you_mean, level_of, unknown_key_message
from worker.rules.yaml_positions import NodePath, SourceMap

ArgumentNames = Callable[[dict[str, Any]], Iterable[str]]
Skip = Callable[[NodePath, Any], bool]


def located_errors(
    error: ValidationError,
    data: Any,
    positions: SourceMap,
    argument_names: ArgumentNames,
    skip: Skip | None = None,
) -> list[LintError]:
    """Map each error of validating `data` to a lint error at the key or value it concerns.

    `argument_names(mapping)` returns the argument names that the rule or
    suite `mapping` may mean, to recognise arguments written outside `args`.
    Errors for which `skip(path, input)` is true are left out.
    """
    results: list[LintError] = []
    seen: set[NodePath] = set()
    for item in error.errors():
        path = data_path(item["loc"], data)
        if skip is not None and item["type"] != "extra_forbidden" and skip(path, item.get("input")):
            continue
        # A union reports one error per member type for the same node.
        if item["type"] != "extra_forbidden" and path in seen:
            continue
        seen.add(path)
        results.append(_located(item, path, data, positions, argument_names))
    return results


def data_path(location: tuple[Any, ...], data: Any) -> NodePath:
    """Return the part of a pydantic error location that exists in `data`.

    Locations contain extra parts (union tags such as ``condition``) that
    are not keys of the data; they are dropped.
    """
    node = data
    path: list[str | int] = []
    for part in location:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue
        path.append(part)
    return tuple(path)


def node_at(data: Any, path: NodePath) -> Any:
    """Return the node at `path` in `data`."""
    node = data
    for part in path:
        node = node[part]
    return node


def dotted(path: NodePath) -> str:
    """Return a path as written in messages, relative to its rule: ``args.mostly``, ``applies_to.name``."""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        path = path[2:]
        if not path:
            return "rule"
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = str(part)
    return text or "suite"


def _located(item: Any, path: NodePath, data: Any, positions: SourceMap, argument_names: ArgumentNames) -> LintError:
    kind = item["type"]
    if kind == "extra_forbidden":
        message, code = _unknown_key(path, data, argument_names)
        where = positions.key(path)
        return LintError(where.file, where.line, where.column, message, code)
    where = positions.value(path)
    if kind == "missing":
        field = item["loc"][-1]
        owner = dotted(path)
        return LintError(where.file, where.line, where.column, f"{owner} is missing the required key {field!r}", "missing-key")
    message = _value_message(item, path) + _continuation_hint(path, data)
    return LintError(where.file, where.line, where.column, message, "invalid-value")


def _continuation_hint(path: NodePath, data: Any) -> str:
    """Return a hint when a rule item looks like the continuation of the rule above it."""
    if len(path) != 2 or path[0] != "rules" or not isinstance(path[1], int) or path[1] == 0:
        return ""
    rule = node_at(data, path)
    if not isinstance(rule, dict) or {"id", "check", "expectation"} & set(rule):
        return ""
    return "; if these keys belong to the rule above, remove the '- ' before them and align them with its keys"


def _unknown_key(path: NodePath, data: Any, argument_names: ArgumentNames) -> tuple[str, str]:
    parent, key = path[:-1], path[-1]
    level = level_of(parent)
    if level is None:
        return f"unknown key {key!r} in {dotted(parent)}", "unknown-key"
    mapping = node_at(data, parent)
    return unknown_key_message(level, key, data, parent, argument_names(mapping))


def _value_message(item: Any, path: NodePath) -> str:
    message = item["msg"].removeprefix("Value error, ")
    value = item.get("input")
    if item["type"] in ("literal_error", "enum"):
        choices = re.findall(r"'([^']*)'", str(item.get("ctx", {}).get("expected", "")))
        message += did_you_mean(str(value), choices)
    if isinstance(value, dict | list) or item["type"] == "value_error":
        return f"{dotted(path)}: {message}"
    return f"{dotted(path)}: {message} (got {value!r})"
