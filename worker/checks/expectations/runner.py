"""Running a suite's expectation rules with great-expectations, batched across members.

All rules that read the same `members` glob share one pass over the
archive: each batch (see `batching`) is validated once, with every planned
expectation of those rules in one ExpectationSuite, and the per-batch
results are merged (see `tally`).

Failing rows are located from great-expectations' ``partial_unexpected_index_list``
(row positions in the batch), capped at `RunnerOptions.index_cap` per
expectation and batch. When a per-member or per-episode rule needs every
failing row and the cap cut the list short, that one expectation runs again
on the batch with a list as long as its failing count.

Expectations that compare rows with each other (``plan.RELATIONAL_EXPECTATIONS``)
run one member or episode at a time on rules with scope ``member`` or
``episode`` (see `relational`). On scope ``all`` they need every member in
one batch, and report an error when the members span several batches.

Expectations on column names (``expect_table_columns_to_match_set`` and the
others in `plan.SCHEMA_EXPECTATIONS`) run once per distinct member schema on
an empty DataFrame with that member's columns, because a batch holds only
the columns rules read plus ``__member__``, ``__episode__`` and ``__row__``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import structlog

from worker.checks.context import CheckContext
from worker.checks.expectations import gx
from worker.checks.expectations.batching import DEFAULT_MEMORY_BUDGET, Batch, UnreadableMember, iter_batches
from worker.checks.expectations.columns import ResolvedColumn, TableShape, feature_element_names
from worker.checks.expectations.plan import Kind, PlannedExpectation, RulePlan, plan_rule
from worker.checks.expectations.relational import validate_per_unit
from worker.checks.expectations.results import RuleEvidence, rule_results
from worker.checks.expectations.tables import TableReadError, read_schema
from worker.checks.expectations.tally import Tally
from worker.checks.results import CheckResult

log = structlog.get_logger(__name__)


class DeadlineExceeded(TimeoutError):
    """The check deadline passed while expectation batches were still running."""


@dataclass(frozen=True)
class RunnerOptions:
    """Tuning of the expectation runner.

    `memory_budget_bytes` bounds the Arrow buffers of one batch (the pandas
    copy and great-expectations' work come on top, roughly doubling it).
    `index_cap` bounds the failing row positions listed per expectation and batch.
    """

    memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET
    max_examples: int = 5
    index_cap: int = 10_000


def group_by_members(rules: Sequence[tuple[int, Any]]) -> dict[str, list[tuple[int, Any]]]:
    """Group (position, rule) pairs by their `members` glob, keeping first-appearance order."""
    groups: dict[str, list[tuple[int, Any]]] = {}
    for position, rule in rules:
        groups.setdefault(rule.members, []).append((position, rule))
    return groups


def run_group(
    pattern: str,
    rules: Sequence[tuple[int, Any]],
    ctx: CheckContext,
    options: RunnerOptions | None = None,
) -> dict[int, list[CheckResult]]:
    """Run expectation rules that share the glob `pattern` and return each rule's results by position."""
    options = options or RunnerOptions()
    members = [m.name for m in ctx.source.glob(pattern)]
    if not members:
        # Without members there is no schema to resolve columns against, so each rule reports the empty match.
        empty = {position: RuleEvidence(RulePlan(position, rule)) for position, rule in rules}
        return {position: rule_results(item, options.max_examples) for position, item in empty.items()}
    shape, unreadable = _table_shape(ctx, members)
    if shape is None:
        # No member is a readable table, so there is no schema and every rule fails on the members alone.
        faults = {position: RuleEvidence(RulePlan(position, rule), unreadable=unreadable, members=len(members)) for position, rule in rules}
        return {position: rule_results(item, options.max_examples) for position, item in faults.items()}
    plans, next_key = [], 0
    for position, rule in rules:
        plan = plan_rule(position, rule, shape, next_key)
        next_key += len(plan.expectations)
        plans.append(plan)

    evidence = {plan.position: RuleEvidence(plan, members=len(members)) for plan in plans}
    runnable = [plan for plan in plans if plan.error is None and plan.data_fault is None]
    tallies = {
        planned.key: Tally(planned, plan.scope, options.max_examples)
        for plan in runnable
        for planned in plan.expectations
    }
    for plan in runnable:
        evidence[plan.position].tallies = [tallies[p.key] for p in plan.expectations]

    if runnable:
        _run_batches(ctx, members, runnable, tallies, evidence, options, shape.types)
    return {position: rule_results(item, options.max_examples) for position, item in evidence.items()}


def _table_shape(ctx: CheckContext, members: list[str]) -> tuple[TableShape | None, list[UnreadableMember]]:
    """Return the shape of the first readable member, or None and every member's read error."""
    # The first readable member stands for all; members that differ are reported per batch.
    unreadable = []
    for name in members:
        try:
            schema = read_schema(ctx.source, name)
        except TableReadError as error:
            unreadable.append(UnreadableMember(name, error.cause))
            continue
        types = {field.name: field.type for field in schema}
        return TableShape(types, feature_element_names(ctx.source, ctx.cache), {}, name), []
    return None, unreadable


def _run_batches(
    ctx: CheckContext,
    members: list[str],
    plans: list[RulePlan],
    tallies: dict[int, Tally],
    evidence: dict[int, RuleEvidence],
    options: RunnerOptions,
    reference_types: dict[str, Any],
) -> None:
    every = [p for plan in plans for p in plan.expectations]
    schema_checks = SchemaChecks([p for p in every if p.kind is Kind.SCHEMA], tallies)
    per_unit: dict[str, list[PlannedExpectation]] = {}
    for p in every:
        scope = tallies[p.key].scope
        if p.relational and scope != "all":
            per_unit.setdefault(scope, []).append(p)
    split = {p.key for group in per_unit.values() for p in group}
    planned = [p for p in every if p.kind is not Kind.SCHEMA and p.key not in split]
    columns = _unique_columns([p for p in every if p.kind is not Kind.SCHEMA])
    for item in iter_batches(ctx.source, members, columns, options.memory_budget_bytes, reference_types):
        if isinstance(item, UnreadableMember):
            for plan in plans:
                evidence[plan.position].unreadable.append(item)
            continue
        _check_deadline(ctx)
        started = time.monotonic()
        schema_checks.add(item)
        if not planned and not per_unit:
            continue
        _record_missing_columns(item, plans, evidence)
        for scope, group in per_unit.items():
            leaders, sharing = _deduplicate(group)
            for leader_key, merged in validate_per_unit(item, scope, leaders).items():
                for key in sharing[leader_key]:
                    tallies[key].add(item, merged, merged.rows())
        if not planned:
            continue
        leaders, sharing = _deduplicate(planned)
        outcome = gx.validate(item.frame, [p.build() for p in leaders], options.index_cap)
        covered = set()
        for result in outcome.results:
            for key in sharing[result.expectation_config.meta["plan_key"]]:
                tally = tallies[key]
                tally.add(item, result, _all_failing_rows(item, tally, result))
                covered.add(key)
        if len(covered) != len(planned):
            raise RuntimeError(
                f"great-expectations returned results for {len(covered)} of {len(planned)} planned expectations; "
                "this is a bug in the expectation runner"
            )
        log.debug(
            "expectation_batch_validated",
            members=len(item.members),
            rows=item.row_count,
            arrow_bytes=item.arrow_bytes,
            expectations=len(planned),
            elapsed_s=round(time.monotonic() - started, 3),
        )


class SchemaChecks:
    """Schema expectations, validated once per distinct list of member column names."""

    def __init__(self, planned: list[PlannedExpectation], tallies: dict[int, Tally]) -> None:
        self.planned = planned
        self.tallies = tallies
        self.outcomes: dict[tuple[str, ...], dict[int, tuple[bool, Any]]] = {}

    def add(self, batch: Batch) -> None:
        if not self.planned:
            return
        for member in batch.members:
            names = batch.schemas[member]
            if names not in self.outcomes:
                self.outcomes[names] = self._validate(names)
            for key, (success, observed) in self.outcomes[names].items():
                self.tallies[key].add_schema(member, success, observed)

    def _validate(self, names: tuple[str, ...]) -> dict[int, tuple[bool, Any]]:
        leaders, sharing = _deduplicate(self.planned)
        outcome = gx.validate(pd.DataFrame(columns=list(names)), [p.build() for p in leaders], 1)
        results: dict[int, tuple[bool, Any]] = {}
        for result in outcome.results:
            error = gx.raised_exception(result)
            if error is not None:
                raise RuntimeError(f"great-expectations could not evaluate {result.expectation_config.type}: {error}")
            observed = (result.result or {}).get("observed_value")
            for key in sharing[result.expectation_config.meta["plan_key"]]:
                results[key] = (bool(result.success), observed)
        return results


def _deduplicate(planned: list[PlannedExpectation]) -> tuple[list[PlannedExpectation], dict[int, list[int]]]:
    """Return one expectation per distinct configuration, and the planned keys that share its result.

    An ExpectationSuite silently drops an expectation equal to one it has,
    so two rules with the same expectation and arguments share one result.
    """
    leaders: dict[str, PlannedExpectation] = {}
    sharing: dict[int, list[int]] = {}
    for expectation in planned:
        leader = leaders.setdefault(expectation.signature, expectation)
        sharing.setdefault(leader.key, []).append(expectation.key)
    return list(leaders.values()), sharing


def _check_deadline(ctx: CheckContext) -> None:
    left = ctx.time_left_s()
    if left is not None and left <= 0:
        raise DeadlineExceeded("timed out before all expectation batches ran")


def _unique_columns(planned: list[PlannedExpectation]) -> list[ResolvedColumn]:
    seen: dict[str, ResolvedColumn] = {}
    for expectation in planned:
        for column in expectation.all_columns:
            seen.setdefault(column.name, column)
    return list(seen.values())


def _record_missing_columns(batch: Batch, plans: list[RulePlan], evidence: dict[int, RuleEvidence]) -> None:
    for plan in plans:
        sources = {c.source for p in plan.expectations for c in p.all_columns if c.source}
        for member, absent in batch.missing_columns.items():
            lacking = sorted(sources.intersection(absent))
            if lacking:
                evidence[plan.position].missing_columns[member] = lacking


def _all_failing_rows(batch: Batch, tally: Tally, result: Any) -> np.ndarray | None:
    """Return every failing row of a per-unit row-wise expectation, re-running it if the cap cut the list."""
    if tally.scope == "all" or tally.planned.kind is not Kind.MAP:
        return None
    data = result.result or {}
    listed = data.get("partial_unexpected_index_list") or []
    unexpected = int(data.get("unexpected_count") or 0)
    if len(listed) >= unexpected:
        return np.asarray(listed, dtype=np.int64)
    rerun = gx.validate(batch.frame, [tally.planned.build()], unexpected)
    full = rerun.results[0].result.get("partial_unexpected_index_list") or []
    log.debug("expectation_rerun_for_rows", expectation=tally.planned.expectation_type, unexpected=unexpected)
    return np.asarray(full, dtype=np.int64)
