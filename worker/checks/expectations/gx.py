"""The process-wide great-expectations context and one-call validation of a DataFrame.

great-expectations 1.x costs about 25-40 ms per validation whatever the
data size, so callers validate many expectations on one DataFrame at a time.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

# Set before great-expectations is imported so that it never sends usage statistics.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
from great_expectations.core import ExpectationSuiteValidationResult  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.expectations.expectation import Expectation  # noqa: E402

_lock = threading.Lock()
_batch_definition: Any = None
_suite_counter = 0


@contextmanager
def string_conditions_allowed() -> Iterator[None]:
    """Silence the deprecation of string row conditions, which great-expectations 1.9+ warns about.

    Strings still work before great-expectations 2.0, which pyproject.toml excludes.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*(row_condition|condition_parser).*")
        yield


def _get_batch_definition() -> Any:
    """Create the ephemeral context once per process and return its whole-DataFrame batch definition."""
    global _batch_definition
    with _lock:
        if _batch_definition is None:
            context = gx.get_context(mode="ephemeral")
            # tqdm bars would flood the worker's log with one line per metric.
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            asset = context.data_sources.add_pandas("gate").add_dataframe_asset("tables")
            _batch_definition = asset.add_batch_definition_whole_dataframe("batch")
        return _batch_definition


def result_format(partial_count: int) -> dict[str, Any]:
    """Return a SUMMARY result format listing up to `partial_count` failing row indices per expectation.

    Failing values are left out because the caller reads them from the DataFrame.
    """
    return {
        "result_format": "SUMMARY",
        "partial_unexpected_count": max(partial_count, 1),
        "exclude_unexpected_values": True,
        "return_unexpected_index_query": False,
    }


def validate(frame: pd.DataFrame, expectations: list[Expectation], partial_count: int) -> ExpectationSuiteValidationResult:
    """Validate all `expectations` on `frame` in one great-expectations run."""
    global _suite_counter
    batch_definition = _get_batch_definition()
    with _lock:
        _suite_counter += 1
        suite = gx.ExpectationSuite(name=f"batch-{_suite_counter}")
    with string_conditions_allowed():
        for expectation in expectations:
            suite.add_expectation(expectation)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    with string_conditions_allowed():
        return batch.validate(suite, result_format=result_format(partial_count))


def raised_exception(result: Any) -> str | None:
    """Return the message of an exception great-expectations caught while evaluating `result`, else None.

    `exception_info` comes in two shapes: flat (``raised_exception``,
    ``exception_message``) when the expectation itself failed, and keyed by
    metric id when a metric failed, for example a row_condition naming a
    column the table lacks. The second shape still reports success False
    with an empty result, which would read as "0 of 0 rows".
    """
    info = getattr(result, "exception_info", None) or {}
    entries = [info, *(value for value in info.values() if isinstance(value, dict))]
    for entry in entries:
        if entry.get("raised_exception"):
            return str(entry.get("exception_message") or "great-expectations raised an exception")
    return None
