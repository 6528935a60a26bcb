"""SVG charts: ticks, marks per episode, red marks for faults, escaping."""

from __future__ import annotations

import re

from worker.reports import svg


def _path(chart: str, css: str) -> str:
    match = re.search(rf'<path d="([^"]*)" class="{css}"/>', chart)
    assert match is not None, css
    return match.group(1)


def test_ticks_round_values() -> None:
    assert svg.nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert svg.nice_ticks(-3.1416, 3.1416) == [-2, 0, 2]


def test_ticks_empty_range() -> None:
    assert svg.nice_ticks(5, 5) == [5]


def test_timing_marks_per_episode() -> None:
    period = 1 / 30
    chart = svg.timestamp_step_chart(
        [0, 1, 2], [period, period, period], [period, period, period], [period, 6 * period, period], fps=30
    )
    assert chart.startswith('<svg id="plot-timestamp-step"')
    assert _path(chart, "range-ok").count("M") == 2
    assert _path(chart, "range-bad").count("M") == 1
    assert _path(chart, "median").count("M") == 3
    # 6 frame periods is above the 5-period axis, so it is marked as clipped.
    assert _path(chart, "clipped").count("M") == 1


def test_timing_skips_unknown_steps() -> None:
    chart = svg.timestamp_step_chart([0, 1], [None, 0.1], [None, 0.1], [None, 0.1], fps=10)
    assert _path(chart, "range-ok").count("M") == 1


def test_length_bars_flag_mismatch() -> None:
    chart = svg.episode_length_chart([0, 1, 2], [40, 35, 40], {0: 40, 1: 40, 2: 40})
    assert _path(chart, "bar-ok").count("M") == 2
    assert _path(chart, "bar-bad").count("M") == 1
    assert _path(chart, "declared").count("M") == 1


def test_length_histogram_bins() -> None:
    lengths = [10 + i % 8 for i in range(1000)]
    chart = svg.episode_length_chart(list(range(1000)), lengths, {})
    # 8 distinct lengths, one row count per bin.
    assert _path(chart, "bar-ok").count("M") == 8
    assert "Histogram" in chart


def test_range_row_outside_limits() -> None:
    chart = svg.value_range_chart(
        "plot-range-x", "ranges", ["a", "b<script>"], [0.0, -5.0], [1.0, 5.0], [[-1.0, 2.0], [-1.0, 1.0]]
    )
    assert chart.count('class="observed-ok"') == 1
    assert chart.count('class="observed-bad"') == 1
    assert chart.count('class="allowed"') == 2
    assert "<script>" not in chart
    assert "b&lt;script&gt;" in chart


def test_range_row_without_values() -> None:
    chart = svg.value_range_chart("plot-range-x", "ranges", ["a"], [None], [None], [[None, None]])
    assert "no finite values" in chart
    assert 'class="observed' not in chart


def test_format_number() -> None:
    assert svg.format_number(33.3333) == "33.3"
    assert svg.format_number(0) == "0"
    assert svg.format_number(123456) == "1.23e+05"
