"""Turning expectation rules into concrete great-expectations expectations.

A rule's column references are resolved against the tables it reads, so
``observation.state[*]`` becomes one planned expectation per element. Each
planned expectation carries the `Kind` that decides how its results merge
across batches and units.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from great_expectations.exceptions import ExpectationNotFoundError
from great_expectations.expectations.expectation import (
    ColumnAggregateExpectation,
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    Expectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.registry import get_expectation_impl

from worker.checks.expectations import gx
from worker.checks.expectations.derived import UnknownDerivedColumn
from worker.checks.expectations.columns import ColumnError, ResolvedColumn, TableShape, resolve

COLUMN_ARGS = ("column", "column_A", "column_B")

# Aggregates that the runner can compute per unit and merge across batches
# exactly. Other aggregate expectations work on scope `all` when every member
# fits in one batch.
AGGREGATE_STATISTICS = {
    "expect_column_mean_to_be_between": "mean",
    "expect_column_min_to_be_between": "min",
    "expect_column_max_to_be_between": "max",
    "expect_column_sum_to_be_between": "sum",
    "expect_column_stdev_to_be_between": "stdev",
    "expect_table_row_count_to_be_between": "row_count",
    "expect_table_row_count_to_equal": "row_count",
}


# Row-wise expectations that compare rows with each other. Run on a batch of
# several members or episodes, they would compare rows across units, so the
# runner validates them one unit at a time, and on scope `all` only when every
# member fits in one batch.
RELATIONAL_EXPECTATIONS = frozenset(
    {
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_be_increasing",
        "expect_column_values_to_be_decreasing",
    }
)


# Expectations on a table's column names. Batches hold only the columns that
# rules read, plus row address columns, so these run once per distinct member
# schema on an empty DataFrame with that member's columns.
SCHEMA_EXPECTATIONS = frozenset(
    {
        "expect_column_to_exist",
        "expect_table_columns_to_match_set",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_column_count_to_equal",
        "expect_table_column_count_to_be_between",
    }
)


class PlanError(ValueError):
    """A rule cannot be turned into an expectation; the rule's fault, so the result is ERROR."""


class Kind(StrEnum):
    """Merge rule for the results of one expectation across batches and units."""

    MAP = "map"  # row-wise: counts add up, failing rows are listed
    AGGREGATE = "aggregate"  # a statistic that the runner recomputes per unit
    BATCH = "batch"  # any other table-level expectation: passes when every batch passes
    SCHEMA = "schema"  # the member's column names: decided per member schema


@dataclass
class PlannedExpectation:
    """One great-expectations expectation that a rule contributes to each batch."""

    key: int
    rule_position: int
    expectation_type: str
    expectation_class: type[Expectation]
    kwargs: dict[str, Any]
    columns: list[ResolvedColumn]
    label: str
    kind: Kind
    statistic: str | None = None
    condition_columns: list[ResolvedColumn] = field(default_factory=list)

    @property
    def all_columns(self) -> list[ResolvedColumn]:
        """Return the checked columns and the columns its row_condition reads."""
        return [*self.columns, *self.condition_columns]

    @property
    def signature(self) -> str:
        """Return the identity great-expectations uses to drop duplicate expectations from a suite."""
        return self.expectation_type + json.dumps(self.kwargs, sort_keys=True, default=str)

    def build(self) -> Expectation:
        """Create a fresh expectation for one batch; a suite takes ownership of what it is given."""
        return _construct(self.expectation_class, {**self.kwargs, "meta": {"plan_key": self.key}})

    @property
    def relational(self) -> bool:
        """Return whether the expectation compares rows with each other, so it must see whole units."""
        return self.expectation_type in RELATIONAL_EXPECTATIONS

    @property
    def row_condition(self) -> str | None:
        return self.kwargs.get("row_condition")

    @property
    def mostly(self) -> float:
        return float(self.kwargs.get("mostly", 1.0))


@dataclass
class RulePlan:
    """A rule's planned expectations, or the reason it could not be planned."""

    position: int
    rule: Any
    expectations: list[PlannedExpectation] = field(default_factory=list)
    error: str | None = None
    data_fault: str | None = None

    @property
    def scope(self) -> str:
        return getattr(self.rule, "scope", "all") or "all"


def classify(expectation_class: type[Expectation], expectation_type: str) -> tuple[Kind, str | None]:
    if expectation_type in SCHEMA_EXPECTATIONS:
        return Kind.SCHEMA, None
    if issubclass(expectation_class, ColumnMapExpectation | ColumnPairMapExpectation | MulticolumnMapExpectation):
        return Kind.MAP, None
    if expectation_type in AGGREGATE_STATISTICS:
        return Kind.AGGREGATE, AGGREGATE_STATISTICS[expectation_type]
    if issubclass(expectation_class, ColumnAggregateExpectation):
        return Kind.AGGREGATE, None
    return Kind.BATCH, None


def plan_rule(position: int, rule: Any, shape: TableShape, next_key: int) -> RulePlan:
    """Resolve a rule's columns and return its planned expectations, or a plan carrying the error."""
    plan = RulePlan(position, rule)
    try:
        plan.expectations = _expand(rule, shape, next_key)
        for planned in plan.expectations:
            planned.rule_position = position
        _check_scope(plan)
    except ColumnError as error:
        plan.data_fault = str(error)
    except (PlanError, UnknownDerivedColumn) as error:
        plan.error = str(error)
    except (ValueError, TypeError) as error:
        # great-expectations raises pydantic validation errors for unknown or invalid arguments.
        first = str(error).strip().replace("\n", " ")
        plan.error = f"invalid arguments for {rule.expectation}: {first}"
    return plan


def _expand(rule: Any, shape: TableShape, next_key: int) -> list[PlannedExpectation]:
    try:
        expectation_class = get_expectation_impl(rule.expectation)
    except ExpectationNotFoundError as error:
        raise PlanError(
            f"unknown expectation {rule.expectation!r}; use a great-expectations expectation name "
            "such as expect_column_values_to_be_between"
        ) from error
    kind, statistic = classify(expectation_class, rule.expectation)
    args = dict(rule.args or {})
    if "row_condition" in args:
        args.setdefault("condition_parser", "pandas")

    if kind is Kind.SCHEMA:
        # Column names here are checked against the member's schema, not read.
        _construct(expectation_class, args)
        return [PlannedExpectation(next_key, 0, rule.expectation, expectation_class, args, [], _label(args), kind)]

    fixed: dict[str, ResolvedColumn] = {}
    expanded: list[ResolvedColumn] | None = None
    for name in COLUMN_ARGS:
        if name in args:
            resolved = resolve(str(args[name]), shape)
            if len(resolved) > 1 and name == "column" and expanded is None:
                expanded = resolved
            elif len(resolved) > 1:
                raise PlanError(f"{name} {args[name]!r} names several columns; only `column` may use [*]")
            else:
                fixed[name] = resolved[0]
    column_list: list[ResolvedColumn] = []
    if "column_list" in args:
        for reference in args["column_list"]:
            column_list.extend(resolve(str(reference), shape))
        args["column_list"] = [c.name for c in column_list]

    condition_columns = condition_references(args.get("row_condition"), shape)
    variants = expanded or [None]
    planned = []
    for offset, element in enumerate(variants):
        kwargs = dict(args)
        columns = list(column_list)
        for name, resolved in fixed.items():
            kwargs[name] = resolved.name
            columns.append(resolved)
        if element is not None:
            kwargs["column"] = element.name
            columns.insert(0, element)
        label = element.name if element is not None else _label(kwargs)
        _construct(expectation_class, kwargs)  # validates the arguments once, before any batch runs
        planned.append(
            PlannedExpectation(
                next_key + offset,
                0,
                rule.expectation,
                expectation_class,
                kwargs,
                columns,
                label,
                kind,
                statistic,
                condition_columns,
            )
        )
    return planned


def _construct(expectation_class: type[Expectation], kwargs: dict[str, Any]) -> Expectation:
    with gx.string_conditions_allowed():
        return expectation_class(**kwargs)


def condition_references(condition: str | None, shape: TableShape) -> list[ResolvedColumn]:
    """Return the columns a pandas row_condition reads, so that batches load them.

    Plain table columns count when they appear as a whole word. Vector
    elements and derived columns count when written in backticks, as pandas
    requires for names with dots or ``$``: ``\`observation.state[0]\` > 0``.
    """
    if not condition:
        return []
    found: dict[str, ResolvedColumn] = {}
    for quoted in re.findall(r"`([^`]+)`", condition):
        for column in resolve(quoted, shape):
            found.setdefault(column.name, column)
    bare = re.sub(r"`[^`]*`|'[^']*'|\"[^\"]*\"", " ", condition)
    for name in shape.types:
        if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", bare):
            found.setdefault(name, ResolvedColumn(name, name))
    return list(found.values())


def _label(kwargs: dict[str, Any]) -> str:
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    if "column_list" in kwargs:
        return ", ".join(kwargs["column_list"])
    return "table"


def _check_scope(plan: RulePlan) -> None:
    if plan.scope == "all":
        return
    for planned in plan.expectations:
        if planned.kind is Kind.SCHEMA and plan.scope != "member":
            raise PlanError(f"{planned.expectation_type} checks each member's columns; use scope `member` or `all`")
        if planned.kind is Kind.BATCH or (planned.kind is Kind.AGGREGATE and planned.statistic is None):
            supported = ", ".join(sorted(AGGREGATE_STATISTICS))
            raise PlanError(
                f"{planned.expectation_type} cannot be evaluated per {plan.scope}; use scope `all`, "
                f"or one of the per-unit aggregates {supported}, or a row-wise expectation"
            )
        if planned.row_condition and planned.kwargs.get("condition_parser") != "pandas":
            raise PlanError(f"per-{plan.scope} evaluation supports row_condition only with condition_parser pandas")
