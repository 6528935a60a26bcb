"""Sentences for expectation results, with the numbers a data engineer needs to act."""

from __future__ import annotations

from typing import Any

from worker.checks.results import Example

_FAILING_PHRASES = {
    "expect_column_values_to_not_be_null": "null",
    "expect_column_values_to_be_null": "not null",
    "expect_column_values_to_be_unique": "duplicated",
    "expect_column_values_to_be_increasing": "not increasing",
    "expect_column_values_to_be_decreasing": "not decreasing",
    "expect_column_values_to_be_of_type": "of the wrong type",
    "expect_column_values_to_be_in_type_list": "of the wrong type",
}


def percent(value: float) -> str:
    """Format a percentage with one decimal, or two significant digits below 0.1%."""
    if 0 < value < 0.1:
        return f"{value:.2g}%"
    return f"{value:.1f}%"


def number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def bounds(kwargs: dict[str, Any]) -> str:
    """Describe min_value/max_value (or value) as an interval, for example ``[0, 3.14]``."""
    if "value" in kwargs:
        return f"exactly {number(kwargs['value'])}"
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        left = "(" if kwargs.get("strict_min") else "["
        right = ")" if kwargs.get("strict_max") else "]"
        return f"{left}{number(low)}, {number(high)}{right}"
    if low is not None:
        return f"{'above' if kwargs.get('strict_min') else 'at least'} {number(low)}"
    if high is not None:
        return f"{'below' if kwargs.get('strict_max') else 'at most'} {number(high)}"
    return "any value"


def failing_phrase(expectation_type: str, kwargs: dict[str, Any]) -> str:
    if expectation_type == "expect_column_values_to_be_between":
        return f"outside {bounds(kwargs)}"
    if expectation_type == "expect_column_values_to_be_in_set":
        return f"not in {kwargs.get('value_set')}"
    if expectation_type == "expect_column_values_to_not_be_in_set":
        return f"in the forbidden set {kwargs.get('value_set')}"
    if expectation_type == "expect_column_values_to_match_regex":
        return f"not matching {kwargs.get('regex')!r}"
    if expectation_type == "expect_column_values_to_not_match_regex":
        return f"matching {kwargs.get('regex')!r}"
    return _FAILING_PHRASES.get(expectation_type, f"failing {expectation_type}")


def location(example: Example) -> str:
    parts = [example.member or "?"]
    if example.episode is not None:
        parts.append(f"episode {example.episode}")
    if example.row is not None:
        parts.append(f"row {example.row}")
    text = " ".join(parts)
    return f"{text} (value {number(example.value)})"


def map_sentence(
    expectation_type: str,
    kwargs: dict[str, Any],
    label: str,
    unexpected: int,
    checked: int,
    first: Example | None,
) -> str:
    """Describe a row-wise outcome, for example ``12 values outside [0, 3.14] in x (4.1% of 290), first at ...``."""
    share = 100.0 * unexpected / checked if checked else 0.0
    mostly = float(kwargs.get("mostly", 1.0))
    allowed = f", allowed at most {100.0 * (1.0 - mostly):g}%" if mostly < 1.0 else ""
    if expectation_type == "expect_column_values_to_not_be_null":
        text = f"observed {percent(share)} null ({unexpected:,} of {checked:,} rows) in {label}{allowed}"
    elif unexpected == 0:
        return f"all {checked:,} values in {label} pass {expectation_type}"
    else:
        phrase = failing_phrase(expectation_type, kwargs)
        noun = "value" if unexpected == 1 else "values"
        text = f"{unexpected:,} {noun} {phrase} in {label} ({percent(share)} of {checked:,}){allowed}"
    if first is not None and unexpected:
        text += f", first at {location(first)}"
    return text


def aggregate_sentence(statistic: str | None, expectation_type: str, kwargs: dict[str, Any], label: str, value: Any) -> str:
    """Describe an aggregate outcome, for example ``mean of x is 3.9, expected [0, 1]``."""
    if statistic == "row_count":
        subject = "row count"
    elif statistic is not None:
        subject = f"{statistic} of {label}"
    else:
        subject = f"{expectation_type} on {label}: observed value"
    if value is None:
        return f"{subject} cannot be computed (no non-null values), expected {bounds(kwargs)}"
    return f"{subject} is {number(value)}, expected {bounds(kwargs)}"


def unit_sentence(failed: int, total: int, noun: str, allowance: str, details: list[str]) -> str:
    """Describe a per-unit outcome, for example ``2 of 8 episodes fail (25.0%), allowed at most 2%: ...``."""
    plural = noun if total == 1 else f"{noun}s"
    if failed == 0:
        return f"all {total:,} {plural} pass"
    share = 100.0 * failed / total if total else 0.0
    text = f"{failed:,} of {total:,} {plural} fail ({percent(share)}), allowed at most {allowance}"
    if details:
        text += ": " + "; ".join(details)
        if failed > len(details):
            text += f"; and {failed - len(details):,} more"
    return text
