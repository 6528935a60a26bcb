"""Check column names in rule arguments: their syntax, and for LeRobot episodes, their existence.

A column reference is one of:

- a table column, such as ``timestamp`` or ``observation.state``;
- one element of a vector column, by name from ``meta/info.json``
  (``observation.state.kLeftElbow``), by index (``observation.state[3]``),
  or every element (``observation.state[*]``);
- a derived column computed by the engine, prefixed with ``$``
  (``$timestamp_step``).

Whether an element name exists depends on the dataset's ``meta/info.json``,
so only the engine can check it. Here a name must be well formed. For
episode tables it must also start with a column of the LeRobot layout.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from worker.rules.errors import Issue
from worker.rules.keys import did_you_mean

SINGLE_COLUMN_ARGUMENTS = ("column", "column_A", "column_B")
COLUMN_LIST_ARGUMENTS = ("column_list", "column_set", "columns")

# Columns of a LeRobot (v2.x and v3.0) frame table under data/.
EPISODE_SCALAR_COLUMNS = (
    "timestamp",
    "frame_index",
    "episode_index",
    "index",
    "task_index",
    "next.done",
    "next.reward",
    "next.success",
)
EPISODE_VECTOR_COLUMNS = ("observation.state", "action")
EPISODE_VECTOR_PREFIXES = ("observation.", "action.")

_DERIVED = re.compile(r"^\$[a-z][a-z0-9_]*$")
_ELEMENT = re.compile(r"^(?P<base>[^\[\]]+)\[(?P<index>\d+|\*)\]$")
_DOTTED = re.compile(r"^[^.\[\]]+(?:\.[^.\[\]]+)*$")


def derived_column_names() -> tuple[str, ...] | None:
    """Return the derived columns the engine computes, or None when the engine is not installed."""
    try:
        from worker.checks.expectations import derived
    except ImportError:
        return None
    names = getattr(derived, "NAMES", None)
    return tuple(names) if names else None


def column_references(args: dict[str, Any]) -> list[tuple[tuple[str | int, ...], Any]]:
    """Return (path in args, value) for every column name in a rule's args."""
    references: list[tuple[tuple[str | int, ...], Any]] = []
    for key in SINGLE_COLUMN_ARGUMENTS:
        if key in args:
            references.append((("args", key), args[key]))
    for key in COLUMN_LIST_ARGUMENTS:
        value = args.get(key)
        if isinstance(value, list):
            references.extend((("args", key, index), item) for index, item in enumerate(value))
    return references


def lint_columns(args: dict[str, Any], episode_table: bool) -> list[Issue]:
    """Check every column name in `args`; `episode_table` adds the LeRobot layout check."""
    issues: list[Issue] = []
    for path, value in column_references(args):
        if not isinstance(value, str):
            continue
        message = syntax_problem(value) or (layout_problem(value) if episode_table else None)
        if message:
            issues.append(Issue(path, message, "column"))
    return issues


def syntax_problem(name: str) -> str | None:
    """Describe what is malformed in the column reference `name`, or return None."""
    if name != name.strip() or not name:
        return f"column {name!r} is empty or has leading or trailing spaces"
    if name.startswith("$"):
        return _derived_problem(name)
    element = _ELEMENT.match(name)
    if "[" in name or "]" in name:
        if element is None:
            return f"column {name!r} has a malformed element address; write name[3] for one element or name[*] for all"
        name = element["base"]
    if not _DOTTED.match(name):
        return f"column {name!r} is malformed; dots separate a column from an element name and may not be doubled"
    return None


def _derived_problem(name: str) -> str | None:
    if not _DERIVED.match(name):
        return f"derived column {name!r} is malformed; write $ and a lowercase name such as $timestamp_step"
    known = derived_column_names()
    if known is not None and name not in known:
        return f"unknown derived column {name!r}{did_you_mean(name, known)}; derived columns are {', '.join(known)}"
    return None


def _near_state_problem(base: str) -> str | None:
    # observation.* admits any camera or sensor, so only a near miss of
    # observation.state itself is distinguishable from a real column.
    parts = base.split(".")
    if parts[0] != "observation" or len(parts) < 2 or parts[1] == "state":
        return None
    if difflib.SequenceMatcher(None, parts[1], "state").ratio() >= 0.8:
        return f"column {base!r} cannot exist in a LeRobot episode table; did you mean 'observation.state'?"
    return None


def layout_problem(name: str) -> str | None:
    """Describe why `name` cannot be a column of a LeRobot episode table, or return None."""
    if name.startswith("$"):
        return None
    element = _ELEMENT.match(name)
    base = element["base"] if element else name
    if base in EPISODE_SCALAR_COLUMNS:
        if element:
            return f"column {base!r} holds one number per frame; [..] addresses elements of vector columns such as observation.state"
        return None
    if base in EPISODE_VECTOR_COLUMNS or base.startswith(EPISODE_VECTOR_PREFIXES):
        return _near_state_problem(base)
    known = (*EPISODE_SCALAR_COLUMNS, *EPISODE_VECTOR_COLUMNS)
    hint = did_you_mean(base, known) or f"; its columns are {', '.join(known)}, observation.*, and derived $ columns"
    return f"column {base!r} cannot exist in a LeRobot episode table{hint}"
