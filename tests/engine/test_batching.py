import numpy as np
import pyarrow as pa

from worker.checks.engine import run_suites
from worker.checks.expectations import RunnerOptions
from worker.checks.expectations.batching import iter_batches
from worker.checks.expectations.columns import resolve, TableShape
from worker.checks.results import Status

from .builders import episode_table, member_name, rule, suite


def _state(rows, seed):
    generator = np.random.default_rng(seed)
    return generator.uniform(-1.0, 1.5, size=(rows, 3)).astype(np.float32)


def _tables():
    tables = {member_name(e): episode_table(e, 20 + e, _state(20 + e, e)) for e in range(6)}
    # Episode 7 is split over two files, so with a tiny budget it spans two batches.
    split = episode_table(7, 30, _state(30, 7))
    tables["data/chunk-001/file-a.parquet"] = split.slice(0, 12)
    tables["data/chunk-001/file-b.parquet"] = split.slice(12)
    return tables


RULES = suite(
    rule("expect_column_values_to_be_between", column="observation.state[*]", min_value=-0.9, max_value=1.4),
    rule("expect_column_values_to_be_between", scope="episode", column="observation.state[0]", max_value=1.3, mostly=0.9),
    rule("expect_column_values_to_be_between", scope="member", column="observation.state[1]", min_value=-0.95),
    rule("expect_column_mean_to_be_between", scope="episode", column="observation.state[2]", min_value=0.2, max_value=0.3),
    rule("expect_column_stdev_to_be_between", column="observation.state[2]", max_value=0.7),
    rule("expect_table_row_count_to_be_between", scope="episode", min_value=22),
    rule("expect_column_max_to_be_between", column="observation.state[0]", max_value=1.0),
)


def _summary(results):
    # great-expectations computes float32 statistics in float32, the merged ones in float64.
    return [
        (r.rule, r.column, r.status, r.failed_count, r.total_count, round(r.observed, 6), r.message, r.examples)
        for r in results
    ]


def test_tiny_budget_same_results(make_context):
    ctx = make_context(_tables())
    whole = run_suites([RULES], ctx)
    split = run_suites([RULES], ctx, RunnerOptions(memory_budget_bytes=1))
    assert {r.details["batches"] for r in whole if "batches" in r.details} == {1}
    assert min(r.details["batches"] for r in split if "batches" in r.details) == 8
    assert _summary(split) == _summary(whole)
    assert [r.status for r in whole].count(Status.FAILED) >= 4


def test_stdev_merge_exact(make_context):
    ctx = make_context(_tables())
    values = np.concatenate([_state(20 + e, e)[:, 2] for e in range(6)] + [_state(30, 7)[:, 2]])
    rules = suite(rule("expect_column_stdev_to_be_between", column="observation.state[2]", max_value=0.1))
    [result] = run_suites([rules], ctx, RunnerOptions(memory_budget_bytes=1))
    assert result.details["batches"] == 8
    assert abs(result.observed - float(np.std(values.astype(np.float64), ddof=1))) < 1e-6


def test_batches_within_budget(make_context):
    ctx = make_context(_tables())
    columns = resolve("observation.state[0]", TableShape({"observation.state": pa.list_(pa.float32(), 3)}, {}, {}))
    members = [m.name for m in ctx.source.glob("data/**/*.parquet")]
    budget = 1_500
    batches = list(iter_batches(ctx.source, members, columns, budget))
    assert sum(len(b.members) for b in batches) == 8
    assert len(batches) < 8
    assert all(b.arrow_bytes <= budget or len(b.members) == 1 for b in batches)
    assert [b.members for b in batches][0][0] == member_name(0)


def test_index_cap_rerun(make_context):
    ctx = make_context(_tables())
    rules = suite(rule("expect_column_values_to_be_between", scope="episode", column="observation.state[0]", max_value=0))
    capped = run_suites([rules], ctx, RunnerOptions(index_cap=2))
    full = run_suites([rules], ctx)
    assert _summary(capped) == _summary(full)
    assert sum(u["unexpected"] for u in full[0].details["failing_units"]) == full[0].details["failing_units"][0]["unexpected"] + sum(
        u["unexpected"] for u in full[0].details["failing_units"][1:]
    )
    expected = sum(int((_state(20 + e, e)[:, 0] > 0).sum()) for e in range(6)) + int((_state(30, 7)[:, 0] > 0).sum())
    assert sum(u["unexpected"] for u in full[0].details["failing_units"]) == expected
