"""Built-in telemetry checks (`telemetry.*`) on the time and value columns of tables.

Tables are CSV, Parquet or JSON Lines members read with pyarrow, one column
set at a time. A time column may hold float seconds, integers (nanoseconds
unless `time_unit` names another unit), Arrow timestamps or ISO 8601 strings.
Every time is converted to integer nanoseconds, so differences between
epoch-based times keep their precision. With `group_by` (for example
``episode_index``), each run of equal group values is a separate series and
the step from one group to the next is not a time step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, model_validator

from worker.archive.errors import ArchiveError
from worker.archive.globs import MemberGlob
from worker.archive.tables import read_table
from worker.checks.context import CheckContext
from worker.checks.registry import register
from worker.checks.results import CheckResult, Example, Status, failed, passed
from worker.lerobot.layout import LayoutError, load_layout

DEFAULT_TABLE_GLOBS = ["**/*.csv", "**/*.parquet", "**/*.jsonl"]
_SERIES_CACHE_KEY = "telemetry.series"
_NS_PER_UNIT = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
# Times after 2001-09-09 in nanoseconds since the epoch are shown as dates.
_EPOCH_DISPLAY_NS = 1_000_000_000 * 1_000_000_000
MAX_EXAMPLES = 10
MAX_LISTED = 3


class _TableArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[MemberGlob] = Field(
        default_factory=lambda: list(DEFAULT_TABLE_GLOBS), description="Globs of the table members to read."
    )
    time_column: str = Field("timestamp", description="Column holding each row's time.")
    time_unit: Literal["auto", "s", "ms", "us", "ns"] = Field(
        "auto", description="Unit of a numeric time column; auto means seconds for floats, nanoseconds for integers."
    )
    group_by: str | None = Field(
        None, description="Column whose runs of equal values are separate series, e.g. episode_index."
    )


@dataclass(frozen=True)
class TimeSeries:
    """Valid times of one table in row order, with their row numbers and group values."""

    member: str
    times_ns: np.ndarray
    rows: np.ndarray
    groups: np.ndarray | None
    invalid_rows: np.ndarray
    absolute: bool

    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """Return each time step in nanoseconds and the row it ends at, skipping group changes."""
        steps = np.diff(self.times_ns)
        ends = self.rows[1:]
        if self.groups is not None and self.groups.size > 1:
            same_group = self.groups[1:] == self.groups[:-1]
            steps, ends = steps[same_group], ends[same_group]
        return steps, ends

    def units(self) -> list[tuple[Any, np.ndarray]]:
        """Split into (group value, times) per contiguous group, or one unit for the whole table."""
        if self.groups is None or self.groups.size == 0:
            return [(None, self.times_ns)]
        change = np.flatnonzero(self.groups[1:] != self.groups[:-1]) + 1
        bounds = [0, *change.tolist(), self.groups.size]
        return [(_python_value(self.groups[start]), self.times_ns[start:end]) for start, end in zip(bounds, bounds[1:], strict=False)]

    def format_time(self, value_ns: int) -> str:
        return format_time(value_ns, self.absolute)


def _python_value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def format_time(value_ns: int, absolute: bool) -> str:
    """Show a time as an ISO 8601 instant when it is epoch-based, else as seconds."""
    if absolute or abs(value_ns) >= _EPOCH_DISPLAY_NS:
        return pd.Timestamp(int(value_ns), unit="ns", tz="UTC").isoformat()
    return f"{value_ns / 1e9:.3f} s"


def format_duration(value_ns: float) -> str:
    seconds = value_ns / 1e9
    return f"{seconds * 1000:.1f} ms" if abs(seconds) < 1 else f"{seconds:.3f} s"


def to_nanoseconds(column: pa.ChunkedArray, unit: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """Convert a time column to int64 nanoseconds; return (times, invalid mask, epoch-based).

    Raises ValueError naming the type when the column cannot hold times.
    """
    kind = column.type
    if pa.types.is_timestamp(kind):
        cast = pc.cast(column, pa.timestamp("ns", tz=kind.tz))
        return _from_int_array(pc.cast(cast, pa.int64()), 1) + (True,)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        parsed = pd.to_datetime(pd.Series(column.to_pylist(), dtype="object"), utc=True, format="ISO8601", errors="coerce")
        invalid = parsed.isna().to_numpy()
        times = np.where(invalid, 0, parsed.to_numpy(dtype="datetime64[ns]").astype("int64", copy=False))
        return times.astype(np.int64), invalid, True
    if pa.types.is_integer(kind):
        return _from_int_array(column, _NS_PER_UNIT["ns" if unit == "auto" else unit]) + (False,)
    if pa.types.is_floating(kind):
        scale = _NS_PER_UNIT["s" if unit == "auto" else unit]
        values = column.to_numpy(zero_copy_only=False).astype(np.float64)
        invalid = ~np.isfinite(values)
        times = np.round(np.where(invalid, 0.0, values) * scale).astype(np.int64)
        return times, invalid, False
    raise ValueError(f"has type {kind}, which is not a time (expected seconds, integer nanoseconds or ISO 8601 text)")


def _from_int_array(column: pa.ChunkedArray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    invalid = column.is_null().to_numpy(zero_copy_only=False)
    values = pc.fill_null(column, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    return values * scale, invalid


def _matching_members(ctx: CheckContext, globs: list[str]) -> list[str]:
    names: dict[str, None] = {}
    for pattern in globs:
        for member in ctx.source.glob(pattern):
            names.setdefault(member.name)
    return sorted(names)


def load_series(ctx: CheckContext, member: str, args: _TableArgs) -> TimeSeries:
    """Read one table's time column (and group column), once per dataset and settings.

    Raises `ArchiveError` when the table is unreadable or lacks a column, and
    ValueError when the time column contains no times.
    """
    cache: dict[tuple[Any, ...], TimeSeries | Exception] = ctx.cache.setdefault(_SERIES_CACHE_KEY, {})
    key = (member, args.time_column, args.time_unit, args.group_by)
    if key not in cache:
        try:
            cache[key] = _read_series(ctx, member, args)
        except (ArchiveError, ValueError) as error:
            cache[key] = error
    outcome = cache[key]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _read_series(ctx: CheckContext, member: str, args: _TableArgs) -> TimeSeries:
    columns = [args.time_column] + ([args.group_by] if args.group_by and args.group_by != args.time_column else [])
    table = read_table(ctx.source, member, columns)
    try:
        times, invalid, absolute = to_nanoseconds(table.column(args.time_column), args.time_unit)
    except ValueError as error:
        raise ValueError(f"column {args.time_column} {error}") from error
    rows = np.arange(table.num_rows, dtype=np.int64)
    groups = None
    if args.group_by:
        groups = table.column(args.group_by).to_numpy(zero_copy_only=False)[~invalid]
    return TimeSeries(member, times[~invalid], rows[~invalid], groups, rows[invalid], absolute)


def _load_all(ctx: CheckContext, args: _TableArgs) -> tuple[list[TimeSeries], list[tuple[str, str]]] | str:
    """Load every matching table, or return why there is nothing to check."""
    members = _matching_members(ctx, args.members)
    if not members:
        return f"no member matches {', '.join(args.members)}, so there is no table to check"
    series, unreadable = [], []
    for member in members:
        try:
            series.append(load_series(ctx, member, args))
        except (ArchiveError, ValueError) as error:
            unreadable.append((member, _reason(error)))
    return series, unreadable


def _reason(error: Exception) -> str:
    # UnreadableTable's message repeats the member name, which the caller shows already.
    return getattr(error, "reason", None) or str(error)


def _count(number: int, noun: str) -> str:
    """Return "1 table" or "3 tables"."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def _skipped(check: str, message: str) -> list[CheckResult]:
    return [CheckResult(check=check, status=Status.SKIPPED, message=message)]


def _unreadable_text(unreadable: list[tuple[str, str]]) -> str:
    shown = "; ".join(f"{member}: {reason}" for member, reason in unreadable[:MAX_LISTED])
    more = f"; and {len(unreadable) - MAX_LISTED} more" if len(unreadable) > MAX_LISTED else ""
    return f"{_count(len(unreadable), 'table')} cannot be read ({shown}{more})"


def _unit_label(member: str, group_by: str | None, group: Any) -> str:
    return member if group is None else f"{member} {group_by} {group}"


def _as_episode(group_by: str | None, group: Any) -> int | None:
    if group_by == "episode_index" and isinstance(group, int):
        return group
    return None


# ----------------------------------------------------------- telemetry.time_monotonic


class TimeMonotonicArgs(_TableArgs):
    strict: bool = Field(True, description="Require each time to be later than the one before; false allows repeats.")


@register("telemetry.time_monotonic", args=TimeMonotonicArgs)
def check_time_monotonic(ctx: CheckContext, args: TimeMonotonicArgs) -> list[CheckResult]:
    """Count time steps that go backwards (or repeat, when strict) in every table."""
    check = "telemetry.time_monotonic"
    loaded = _load_all(ctx, args)
    if isinstance(loaded, str):
        return _skipped(check, loaded)
    series_list, unreadable = loaded

    examples: list[Example] = []
    violations = steps_total = invalid_total = 0
    faulty_tables: set[str] = set()
    for series in series_list:
        steps, ends = series.steps()
        bad = steps <= 0 if args.strict else steps < 0
        count = int(bad.sum())
        steps_total += steps.size
        violations += count
        invalid_total += series.invalid_rows.size
        if count or series.invalid_rows.size:
            faulty_tables.add(series.member)
        examples.extend(_monotonic_examples(series, steps, ends, bad, args.time_column))
        examples.extend(
            Example(member=series.member, row=int(row), column=args.time_column, value=None)
            for row in series.invalid_rows[:MAX_EXAMPLES]
        )

    tables = len(series_list) + len(unreadable)
    order = "strictly increasing" if args.strict else "non-decreasing"
    if not (violations or invalid_total or unreadable):
        return [
            passed(
                check,
                f"time is {order} over {_count(steps_total, 'step')} in {_count(tables, 'table')}",
                column=args.time_column,
                failed_count=0,
                total_count=steps_total,
            )
        ]

    problems = []
    if violations or invalid_total:
        found = []
        if violations:
            found.append(f"{violations:,} of {steps_total:,} time steps are not {order}")
        if invalid_total:
            found.append(f"{_count(invalid_total, 'row')} without a valid time")
        problems.append(f"{' and '.join(found)} in {len(faulty_tables)} of {_count(tables, 'table')}{_describe_examples(examples)}")
    if unreadable:
        problems.append(_unreadable_text(unreadable))
    return [
        failed(
            check,
            "; ".join(problems),
            column=args.time_column,
            failed_count=violations + invalid_total + len(unreadable),
            total_count=steps_total,
            examples=examples[:MAX_EXAMPLES],
            details={"unreadable": dict(unreadable)},
        )
    ]


def _monotonic_examples(series: TimeSeries, steps: np.ndarray, ends: np.ndarray, bad: np.ndarray, column: str) -> list[Example]:
    examples = []
    for index in np.flatnonzero(bad)[:MAX_EXAMPLES]:
        row = int(ends[index])
        position = int(np.searchsorted(series.rows, row))
        current, previous = int(series.times_ns[position]), int(series.times_ns[position - 1])
        value = f"{series.format_time(current)} after {series.format_time(previous)}"
        examples.append(Example(member=series.member, row=row, column=column, value=value))
    return examples


def _describe_examples(examples: list[Example]) -> str:
    if not examples:
        return ""
    shown = "; ".join(
        f"{e.member} row {e.row}" + (f" ({e.column} {e.value})" if e.value is not None else f" (no valid {e.column})")
        for e in examples[:MAX_LISTED]
    )
    return f": {shown}"


# ----------------------------------------------------------- telemetry.sampling_rate


class SamplingRateArgs(_TableArgs):
    rate_hz: float | None = Field(
        None, gt=0, description="Nominal sampling rate in Hz. Default: fps of the LeRobot meta/info.json, when present."
    )
    tolerance_pct: float = Field(5.0, ge=0, description="Allowed deviation of the measured rate, in percent of the nominal rate.")


def nominal_rate_hz(ctx: CheckContext, rate_hz: float | None) -> float | None:
    """Return the rule's rate, else the LeRobot fps, else None."""
    if rate_hz is not None:
        return rate_hz
    try:
        layout = load_layout(ctx)
    except LayoutError:
        return None
    return layout.fps if layout is not None else None


@register("telemetry.sampling_rate", args=SamplingRateArgs)
def check_sampling_rate(ctx: CheckContext, args: SamplingRateArgs) -> list[CheckResult]:
    """Compare each table's (or group's) median sampling interval with the nominal rate."""
    check = "telemetry.sampling_rate"
    nominal = nominal_rate_hz(ctx, args.rate_hz)
    if nominal is None:
        return _skipped(check, "no nominal rate: set rate_hz in the rule (the dataset has no LeRobot fps)")

    loaded = _load_all(ctx, args)
    if isinstance(loaded, str):
        return _skipped(check, loaded)
    series_list, unreadable = loaded
    findings: list[tuple[str, Example]] = []
    measured: dict[str, float] = {}
    units = 0
    for series in series_list:
        for group, times in series.units():
            if times.size < 2:
                continue
            units += 1
            median_ns = float(np.median(np.diff(times)))
            label = _unit_label(series.member, args.group_by, group)
            rate = 1e9 / median_ns if median_ns > 0 else math.inf
            measured[label] = round(rate, 3)
            if abs(rate - nominal) > nominal * args.tolerance_pct / 100:
                text = f"{label} median interval {format_duration(median_ns)} ({rate:.2f} Hz)"
                example = Example(member=series.member, episode=_as_episode(args.group_by, group), column=args.time_column, value=round(rate, 3))
                findings.append((text, example))

    noun = "series" if args.group_by else "tables"
    tolerance = f"nominal {nominal:g} Hz, tolerance {args.tolerance_pct:g}%"
    if findings or unreadable:
        listed = "; ".join(text for text, _ in findings[:MAX_LISTED])
        parts = [f"{len(findings)} of {units} {noun} sample off the {tolerance}" + (f": {listed}" if listed else "")]
        if unreadable:
            parts.append(_unreadable_text(unreadable))
        return [
            failed(
                check,
                "; ".join(parts),
                column=args.time_column,
                expected=nominal,
                failed_count=len(findings) + len(unreadable),
                total_count=units + len(unreadable),
                examples=[example for _, example in findings[:MAX_EXAMPLES]],
                details={"measured_hz": measured, "unreadable": dict(unreadable)},
            )
        ]
    return [
        passed(
            check,
            f"{units} of {units} {noun} sample at the {tolerance}",
            column=args.time_column,
            expected=nominal,
            failed_count=0,
            total_count=units,
            details={"measured_hz": measured},
        )
    ]


# ------------------------------------------------------------------- telemetry.gaps


class GapsArgs(_TableArgs):
    max_gap_s: float | None = Field(None, gt=0, description="Longest allowed interval between rows, in seconds.")
    max_gap_factor: float = Field(
        3.0,
        gt=1,
        description="When max_gap_s is not set: longest allowed interval as a multiple of the nominal interval "
        "(1 / rate_hz, or the LeRobot fps, or else each series' median interval).",
    )
    rate_hz: float | None = Field(None, gt=0, description="Nominal sampling rate in Hz used with max_gap_factor.")


@register("telemetry.gaps", args=GapsArgs)
def check_gaps(ctx: CheckContext, args: GapsArgs) -> list[CheckResult]:
    """Count intervals between consecutive rows that exceed the allowed gap."""
    check = "telemetry.gaps"
    loaded = _load_all(ctx, args)
    if isinstance(loaded, str):
        return _skipped(check, loaded)
    series_list, unreadable = loaded

    nominal = nominal_rate_hz(ctx, args.rate_hz) if args.max_gap_s is None else None
    gaps: list[tuple[float, Example, str]] = []
    steps_total = 0
    limits: dict[str, float] = {}
    for series in series_list:
        steps, ends = series.steps()
        steps_total += steps.size
        limit_ns = _gap_limit_ns(args, nominal, steps)
        if limit_ns is None:
            continue
        limits[series.member] = limit_ns / 1e9
        for index in np.flatnonzero(steps > limit_ns):
            row = int(ends[index])
            start = series.times_ns[int(np.searchsorted(series.rows, row)) - 1]
            example = Example(member=series.member, row=row, column=args.time_column, value=round(float(steps[index]) / 1e9, 6))
            gaps.append((float(steps[index]), example, series.format_time(int(start))))

    tables = len(series_list) + len(unreadable)
    if not gaps and not unreadable:
        return [passed(check, f"no gap over the limit in {_count(steps_total, 'interval')} of {_count(tables, 'table')}",
                       column=args.time_column, failed_count=0, total_count=steps_total, details={"limits_s": limits})]

    parts = []
    if gaps:
        gaps.sort(key=lambda gap: -gap[0])
        longest, example, start = gaps[0]
        faulty = len({gap[1].member for gap in gaps})
        limit_text = f"{args.max_gap_s:g} s" if args.max_gap_s is not None else f"{args.max_gap_factor:g}x the nominal interval"
        parts.append(
            f"{_count(len(gaps), 'gap')} longer than {limit_text} in {faulty} of {_count(tables, 'table')}, longest "
            f"{format_duration(longest)} in {example.member} before row {example.row} (after {start})"
        )
    if unreadable:
        parts.append(_unreadable_text(unreadable))
    return [
        failed(
            check,
            "; ".join(parts),
            column=args.time_column,
            failed_count=len(gaps) + len(unreadable),
            total_count=steps_total,
            observed=round(gaps[0][0] / 1e9, 6) if gaps else None,
            examples=[gap[1] for gap in gaps[:MAX_EXAMPLES]],
            details={"limits_s": limits, "unreadable": dict(unreadable)},
        )
    ]


def _gap_limit_ns(args: GapsArgs, nominal_hz: float | None, steps: np.ndarray) -> float | None:
    if args.max_gap_s is not None:
        return args.max_gap_s * 1e9
    if nominal_hz is not None:
        return args.max_gap_factor * 1e9 / nominal_hz
    positive = steps[steps > 0]
    if positive.size == 0:
        return None
    return args.max_gap_factor * float(np.median(positive))


# ------------------------------------------------------------- telemetry.value_ranges


class ValueRange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: float | None = Field(None, description="Smallest allowed value, inclusive.")
    max: float | None = Field(None, description="Largest allowed value, inclusive.")

    @model_validator(mode="after")
    def _ordered(self) -> ValueRange:
        if self.min is None and self.max is None:
            raise ValueError("a range needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class ValueRangesArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[MemberGlob] = Field(default_factory=lambda: list(DEFAULT_TABLE_GLOBS), description="Globs of the table members to read.")
    ranges: dict[str, ValueRange] = Field(
        description="Physical range per column, e.g. {joint_temp_c: {min: -20, max: 90}}. A list column "
        "(such as observation.state) is checked element by element; name one element as column[3].",
        min_length=1,
    )
    allow_nan: bool = Field(False, description="Accept NaN and missing values instead of counting them as outside.")


@register("telemetry.value_ranges", args=ValueRangesArgs)
def check_value_ranges(ctx: CheckContext, args: ValueRangesArgs) -> list[CheckResult]:
    """Count values outside each column's physical range, one result per column."""
    check = "telemetry.value_ranges"
    members = _matching_members(ctx, args.members)
    if not members:
        return _skipped(check, f"no member matches {', '.join(args.members)}, so there is no table to check")
    results = []
    for spec, bounds in args.ranges.items():
        column, element = _parse_column(spec)
        tally = _RangeTally(spec, bounds, args.allow_nan)
        for member in members:
            try:
                table = read_table(ctx.source, member, [column])
            except ArchiveError as error:
                tally.unreadable.append((member, _reason(error)))
                continue
            tally.add(member, table.column(column), element)
        results.append(tally.result(check, len(members)))
    return results


def _parse_column(spec: str) -> tuple[str, int | None]:
    if spec.endswith("]") and "[" in spec:
        name, _, index = spec[:-1].rpartition("[")
        if index.isdigit():
            return name, int(index)
    return spec, None


class _RangeTally:
    def __init__(self, spec: str, bounds: ValueRange, allow_nan: bool) -> None:
        self.spec = spec
        self.bounds = bounds
        self.allow_nan = allow_nan
        self.checked = 0
        self.outside = 0
        self.observed_min = math.inf
        self.observed_max = -math.inf
        self.examples: list[Example] = []
        self.faulty_members: set[str] = set()
        self.unreadable: list[tuple[str, str]] = []

    def add(self, member: str, column: pa.ChunkedArray, element: int | None) -> None:
        values = _as_matrix(column, element)
        if values is None:
            self.unreadable.append((member, f"column {self.spec} is {column.type}, not numeric"))
            return
        if values.shape[1] == 0:
            self.unreadable.append((member, f"column {self.spec} has no such element"))
            return
        finite = np.isfinite(values)
        bad = np.zeros(values.shape, dtype=bool) if self.allow_nan else ~finite
        if self.bounds.min is not None:
            bad |= finite & (values < self.bounds.min)
        if self.bounds.max is not None:
            bad |= finite & (values > self.bounds.max)
        self.checked += values.size
        self.outside += int(bad.sum())
        if finite.any():
            self.observed_min = min(self.observed_min, float(values[finite].min()))
            self.observed_max = max(self.observed_max, float(values[finite].max()))
        if bad.any():
            self.faulty_members.add(member)
        for row, col in np.argwhere(bad)[: MAX_EXAMPLES - len(self.examples)]:
            name = self.spec if values.shape[1] == 1 or element is not None else f"{self.spec}[{col}]"
            self.examples.append(Example(member=member, row=int(row), column=name, value=_plain(values[row, col])))

    def result(self, check: str, tables: int) -> CheckResult:
        bounds = f"[{_bound(self.bounds.min, '-inf')}, {_bound(self.bounds.max, 'inf')}]"
        observed = f"min {self.observed_min:g}, max {self.observed_max:g}" if self.checked and math.isfinite(self.observed_min) else "no finite values"
        fields = {
            "column": self.spec,
            "expected": {"min": self.bounds.min, "max": self.bounds.max},
            "observed": {"min": _finite_or_none(self.observed_min), "max": _finite_or_none(self.observed_max)},
            "failed_count": self.outside + len(self.unreadable),
            "total_count": self.checked,
            "examples": self.examples,
            "details": {"unreadable": dict(self.unreadable)},
        }
        if not self.outside and not self.unreadable:
            return passed(check, f"{self.spec}: all {self.checked:,} values within {bounds} ({observed})", **fields)
        parts = []
        if self.outside:
            first = self.examples[0]
            parts.append(
                f"{self.spec}: {self.outside:,} of {self.checked:,} values outside {bounds} in "
                f"{len(self.faulty_members)} of {_count(tables, 'table')} ({observed}), e.g. {first.member} row {first.row} "
                f"{first.column} = {first.value}"
            )
        if self.unreadable:
            parts.append(f"{self.spec}: " + _unreadable_text(self.unreadable))
        return failed(check, "; ".join(parts), **fields)


def _as_matrix(column: pa.ChunkedArray, element: int | None) -> np.ndarray | None:
    """Return the column as a float matrix (rows x elements), NaN for nulls, or None when not numeric."""
    kind = column.type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        if not (pa.types.is_integer(kind.value_type) or pa.types.is_floating(kind.value_type)):
            return None
        matrix = _list_matrix(column)
        if element is None:
            return matrix
        if element >= matrix.shape[1]:
            return np.empty((matrix.shape[0], 0))
        return matrix[:, [element]]
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        return None
    values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64).reshape(-1, 1)


def _list_matrix(column: pa.ChunkedArray) -> np.ndarray:
    kind = column.type
    if pa.types.is_fixed_size_list(kind) and column.null_count == 0:
        # The common LeRobot case (observation.state, action) flattens without a Python loop.
        flat = pc.cast(pc.list_flatten(column), pa.float64()).to_numpy(zero_copy_only=False)
        return np.asarray(flat, dtype=np.float64).reshape(len(column), kind.list_size)
    rows = [np.asarray(v if v is not None else [], dtype=np.float64) for v in column.to_pylist()]
    width = max((r.size for r in rows), default=0)
    matrix = np.full((len(rows), width), np.nan)
    for index, row in enumerate(rows):
        matrix[index, : row.size] = row
    return matrix


def _bound(value: float | None, unbounded: str) -> str:
    return unbounded if value is None else f"{value:g}"


def _plain(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None
