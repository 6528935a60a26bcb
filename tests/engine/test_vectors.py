import numpy as np
import pyarrow as pa
import pytest

from worker.checks.engine import run_suites
from worker.checks.expectations.columns import ColumnError, TableShape, resolve, vector_elements
from worker.checks.results import Status

from .builders import episode_table, member_name, rule, suite

SHAPE = TableShape(
    {"observation.state": pa.list_(pa.float32(), 3), "timestamp": pa.float32()},
    {"observation.state": ["kLeftElbow", "shoulder_pan.pos", "kGrip"]},
    {},
)


def _context(make_context, names=None):
    state = np.array([[0.5, 1.0, 0.0], [0.5, 5.0, 0.0], [0.5, 6.0, -2.0]], dtype=np.float32)
    return make_context({member_name(0): episode_table(0, 3, state)}, names=names)


def test_resolve_by_dotted_name():
    [column] = resolve("observation.state.shoulder_pan.pos", SHAPE)
    assert column.source == "observation.state"
    assert column.element == 1
    assert column.name == "observation.state.shoulder_pan.pos"


def test_resolve_by_index():
    [column] = resolve("observation.state[2]", SHAPE)
    assert column.element == 2
    assert column.name == "observation.state.kGrip"


def test_resolve_star():
    columns = resolve("observation.state[*]", SHAPE)
    assert [c.element for c in columns] == [0, 1, 2]


def test_resolve_errors():
    with pytest.raises(ColumnError, match="index 3 is out of range"):
        resolve("observation.state[3]", SHAPE)
    with pytest.raises(ColumnError, match="'observation.state.kNose' is not in the table"):
        resolve("observation.state.kNose", SHAPE)
    with pytest.raises(ColumnError, match="not a vector column"):
        resolve("timestamp[0]", SHAPE)


@pytest.mark.parametrize(
    "names",
    [
        ["kLeftElbow", "kRightElbow", "kGrip"],
        [["kLeftElbow", "kRightElbow", "kGrip"]],
        {"motors": ["kLeftElbow", "kRightElbow"], "gripper": ["kGrip"]},
    ],
)
def test_names_layouts(make_context, names):
    ctx = _context(make_context, names)
    rules = suite(rule("expect_column_values_to_be_between", column="observation.state.kRightElbow", max_value=2))
    [result] = run_suites([rules], ctx)
    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.column == "observation.state.kRightElbow"
    assert result.examples[0].value == 5.0


def test_by_index(make_context):
    ctx = _context(make_context)
    rules = suite(rule("expect_column_values_to_be_between", column="observation.state[2]", min_value=0))
    [result] = run_suites([rules], ctx)
    assert result.failed_count == 1
    assert result.examples[0].row == 2
    assert result.examples[0].value == -2.0


def test_star_one_result_per_failing(make_context):
    ctx = _context(make_context)
    rules = suite(rule("expect_column_values_to_be_between", column="observation.state[*]", min_value=0, max_value=2))
    results = run_suites([rules], ctx)
    assert [r.column for r in results] == ["observation.state.kRightElbow", "observation.state.kGrip"]
    assert [r.failed_count for r in results] == [2, 1]
    assert all(r.status is Status.FAILED for r in results)


def test_star_all_pass(make_context):
    ctx = _context(make_context)
    rules = suite(rule("expect_column_values_to_be_between", column="observation.state[*]", min_value=-5, max_value=10))
    [result] = run_suites([rules], ctx)
    assert result.status is Status.PASSED
    assert result.total_count == 3
    assert result.message == "all 3 columns of observation.state[*] pass expect_column_values_to_be_between"


def test_elements_variable_lists():
    lists = pa.chunked_array([pa.array([[1, 2, 3], None], pa.list_(pa.int64())), pa.array([[4], [5, 6, 7]], pa.list_(pa.int64()))])
    values = vector_elements(lists, [0, 2])
    np.testing.assert_array_equal(values[0], [1, np.nan, 4, 5])
    np.testing.assert_array_equal(values[2], [3, np.nan, np.nan, 7])


def test_elements_fixed_sliced():
    flat = pa.array(np.arange(12, dtype=np.float32))
    array = pa.FixedSizeListArray.from_arrays(flat, 3).slice(1, 2)
    values = vector_elements(pa.chunked_array([array]), [1])
    np.testing.assert_array_equal(values[1], [4.0, 7.0])
    assert values[1].dtype == np.float32
