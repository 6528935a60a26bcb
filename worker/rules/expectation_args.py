"""Validate expectation names and arguments against great-expectations' own models.

great-expectations 1.x defines each expectation as a pydantic (v1) model, so
instantiating the class with a rule's `args` reports unknown, missing and
mistyped arguments exactly as great-expectations would when the rule runs.
"""

from __future__ import annotations

import ast
import os
import re
import warnings
from functools import lru_cache
from typing import Any

from worker.rules.errors import Issue
from worker.rules.keys import RULE_KEYS, did_you_mean

# Bookkeeping fields of every expectation. The engine sets those it needs
# (result_format, meta), so rule authors do not write any of them in args.
_BOOKKEEPING_FIELDS = {
    "id",
    "meta",
    "notes",
    "result_format",
    "description",
    "catch_exceptions",
    "rendered_content",
    "severity",
    "windows",
    "batch_id",
}


@lru_cache(maxsize=1)
def expectation_classes() -> dict[str, type]:
    """Return great-expectations' registered expectation classes by snake_case name."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from great_expectations.expectations.registry import (
        get_expectation_impl,
        list_registered_expectation_implementations,
    )

    return {name: get_expectation_impl(name) for name in list_registered_expectation_implementations()}


@lru_cache(maxsize=None)
def argument_names(expectation: str) -> frozenset[str]:
    """Return the argument names `expectation` accepts in a rule's args."""
    cls = expectation_classes().get(expectation)
    if cls is None:
        return frozenset()
    return frozenset(field.alias for name, field in cls.__fields__.items() if name not in _BOOKKEEPING_FIELDS)


@lru_cache(maxsize=1)
def all_argument_names() -> frozenset[str]:
    """Return every argument name of any registered expectation."""
    names: set[str] = set()
    for expectation in expectation_classes():
        names |= argument_names(expectation)
    return frozenset(names)


def lint_expectation(expectation: str, args: dict[str, Any]) -> list[Issue]:
    """Check that `expectation` exists and accepts `args`; paths are relative to the rule."""
    cls = expectation_classes().get(expectation)
    if cls is None:
        hint = did_you_mean(expectation, expectation_classes())
        unknown = Issue(("expectation",), f"unknown expectation {expectation!r}{hint}", "unknown-expectation")
        return [unknown] + [_misplaced_argument(expectation, key) for key in args if key in RULE_KEYS]
    allowed = argument_names(expectation)
    issues = [_misplaced_argument(expectation, key) for key in args if key not in allowed and key in _reserved()]
    kwargs = {key: value for key, value in args.items() if key in allowed or key not in _reserved()}
    return issues + _instantiate(cls, expectation, kwargs, allowed)


def _reserved() -> set[str]:
    return _BOOKKEEPING_FIELDS | set(RULE_KEYS)


def _misplaced_argument(expectation: str, key: str) -> Issue:
    if key in RULE_KEYS:
        return Issue(
            ("args", key),
            f"{key!r} is a rule key nested under args; dedent it to the rule's level",
            "misplaced-key",
            at_key=True,
        )
    return Issue(
        ("args", key),
        f"{key!r} is set by the gate, not by rules; remove it from the args of {expectation}",
        "expectation-args",
        at_key=True,
    )


def _instantiate(cls: type, expectation: str, kwargs: dict[str, Any], allowed: frozenset[str]) -> list[Issue]:
    from great_expectations.compatibility.pydantic import ValidationError

    try:
        with warnings.catch_warnings():
            # YAML can only express string row conditions, which
            # great-expectations 1.9+ marks as deprecated on every use.
            warnings.simplefilter("ignore", DeprecationWarning)
            cls(**kwargs)
    except ValidationError as error:
        return _issues_from(error.errors(), expectation, kwargs, allowed)
    except Exception as error:  # noqa: BLE001
        # Expectation constructors also raise their own errors, such as a
        # ConditionParserError for an unparsable row_condition.
        return [Issue(("args",), f"invalid args for {expectation}: {error}", "expectation-args")]
    return _row_condition_issues(kwargs)


def _row_condition_issues(kwargs: dict[str, Any]) -> list[Issue]:
    condition = kwargs.get("row_condition")
    if isinstance(condition, str) and kwargs.get("condition_parser") is None:
        message = (
            "a row_condition needs condition_parser: pandas (pandas query syntax, e.g. 'episode_index > 3') "
            "or condition_parser: great_expectations (e.g. 'col(\"episode_index\") > 3')"
        )
        return [Issue(("args", "row_condition"), message, "expectation-args")]
    if isinstance(condition, str) and kwargs.get("condition_parser") == "pandas":
        error = pandas_condition_error(condition)
        if error is not None:
            return [Issue(("args", "row_condition"), error, "expectation-args")]
    return []


def pandas_condition_error(condition: str) -> str | None:
    """Return why `condition` is not a pandas query expression, or None when it parses.

    pandas parses a query as a Python expression in which backticks quote
    column names, so the check replaces each quoted name with a plain one.
    """
    plain = re.sub(r"`[^`]*`", "_column", condition)
    try:
        ast.parse(plain, mode="eval")
    except SyntaxError as error:
        return f"row_condition {condition!r} is not a valid pandas query: {error.msg}; write it like 'frame_index > 10'"
    return None


def lint_scope(expectation: str, scope: str, args: dict[str, Any]) -> list[Issue]:
    """Check that the engine can decide `expectation` per member or per episode when `scope` requests it."""
    cls = expectation_classes().get(expectation)
    if scope == "all" or cls is None:
        return []
    try:
        from worker.checks.expectations.plan import AGGREGATE_STATISTICS, Kind, classify
    except ImportError:
        return []
    kind, statistic = classify(cls, expectation)
    if kind is Kind.SCHEMA and scope != "member":
        message = f"{expectation} checks each member's columns, so it cannot be decided per {scope}; use scope: member or all"
        return [Issue(("scope",), message, "scope")]
    if kind is Kind.BATCH or (kind is Kind.AGGREGATE and statistic is None):
        supported = ", ".join(sorted(AGGREGATE_STATISTICS))
        message = (
            f"{expectation} cannot be decided per {scope}; use scope: all, a row-wise expectation, "
            f"or one of the per-unit aggregates {supported}"
        )
        return [Issue(("scope",), message, "scope")]
    if args.get("row_condition") is not None and args.get("condition_parser") not in (None, "pandas"):
        message = f"with scope: {scope}, a row_condition needs condition_parser: pandas"
        return [Issue(("args", "row_condition"), message, "scope")]
    return []


def _issues_from(
    errors: list[dict[str, Any]], expectation: str, kwargs: dict[str, Any], allowed: frozenset[str]
) -> list[Issue]:
    issues: list[Issue] = []
    seen: set[tuple[Any, ...]] = set()
    if any(tuple(error["loc"]) != ("__root__",) for error in errors):
        # Root validators also run when a field failed, and then report the
        # field as absent ("min_value and max_value cannot both be None").
        errors = [error for error in errors if tuple(error["loc"]) != ("__root__",)]
    for error in errors:
        location = tuple(error["loc"])
        # A union-typed argument reports one error per member type; the
        # first one names the type that was meant.
        if location in seen:
            continue
        seen.add(location)
        issues.append(_issue_from(error, location, expectation, kwargs, allowed))
    return issues


def _issue_from(
    error: dict[str, Any], location: tuple[Any, ...], expectation: str, kwargs: dict[str, Any], allowed: frozenset[str]
) -> Issue:
    kind = error.get("type", "")
    name = str(location[0]) if location else "__root__"
    if kind == "value_error.extra":
        hint = did_you_mean(name, allowed) or f"; it accepts {', '.join(sorted(allowed))}"
        return Issue(("args", name), f"unknown argument {name!r} for {expectation}{hint}", "expectation-args", True)
    if kind == "value_error.missing":
        return Issue(("args",), f"{expectation} needs argument {name!r} in args", "expectation-args")
    if name == "__root__":
        return Issue(("args",), f"invalid args for {expectation}: {error['msg']}", "expectation-args")
    got = f" (got {kwargs[name]!r})" if name in kwargs else ""
    hint = "; mostly is a fraction from 0 to 1, e.g. 0.95 for 95%" if name == "mostly" else ""
    return Issue(("args", name, *location[1:]), f"args.{name}: {error['msg']}{got}{hint}", "expectation-args")
