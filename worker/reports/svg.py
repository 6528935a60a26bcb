"""Small inline SVG charts for the HTML report, with no plotting library.

Each function returns one ``<svg>`` element as text, with an `id` the report
and its tests look for. Many marks of one kind are drawn as a single
``<path>``, so a chart of 1,000 episodes stays a few tens of kilobytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH = 860
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Return round tick values covering [low, high], about `count` of them."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def format_number(value: float) -> str:
    """Format a value compactly: 3 significant digits, no trailing zeros."""
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


class _Frame:
    """A plot area inside an SVG with linear x and y scales."""

    def __init__(self, height: int, x_range: tuple[float, float], y_range: tuple[float, float],
                 left: int = 64, right: int = 16, top: int = 14, bottom: int = 36) -> None:
        self.height = height
        self.left, self.right, self.top, self.bottom = left, WIDTH - right, top, height - bottom
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range

    def x(self, value: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return round(self.left + (value - self.x0) / span * (self.right - self.left), 1)

    def y(self, value: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return round(self.bottom - (value - self.y0) / span * (self.bottom - self.top), 1)

    def axes(self, y_label: str, x_label: str) -> list[str]:
        parts = [f'<rect x="{self.left}" y="{self.top}" width="{self.right - self.left}" '
                 f'height="{self.bottom - self.top}" class="plot-area"/>']
        for tick in nice_ticks(self.y0, self.y1):
            y = self.y(tick)
            parts.append(f'<line x1="{self.left}" x2="{self.right}" y1="{y}" y2="{y}" class="grid"/>')
            parts.append(f'<text x="{self.left - 6}" y="{y + 4}" text-anchor="end">{escape(format_number(tick))}</text>')
        parts.append(
            f'<text x="14" y="{(self.top + self.bottom) / 2}" text-anchor="middle" '
            f'transform="rotate(-90 14 {(self.top + self.bottom) / 2})">{escape(y_label)}</text>'
        )
        parts.append(f'<text x="{(self.left + self.right) / 2}" y="{self.height - 4}" text-anchor="middle">{escape(x_label)}</text>')
        return parts


def _svg(element_id: str, height: int, parts: list[str], title: str) -> str:
    return (
        f'<svg id="{escape(element_id)}" class="plot" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" {_FONT}>'
        f"<title>{escape(title)}</title>" + "".join(parts) + "</svg>"
    )


def _x_ticks(frame: _Frame, labels: Sequence[int]) -> list[str]:
    """Label a few positions along x with the episode index drawn there."""
    count = len(labels)
    if count == 0:
        return []
    positions = sorted({round(i * (count - 1) / 10) for i in range(11)}) if count > 30 else list(range(count))
    parts = []
    for position in positions:
        x = frame.x(position)
        parts.append(f'<text x="{x}" y="{frame.bottom + 14}" text-anchor="middle">{labels[position]}</text>')
    return parts


def timestamp_step_chart(
    episodes: Sequence[int],
    step_min: Sequence[float | None],
    step_median: Sequence[float | None],
    step_max: Sequence[float | None],
    fps: float,
    tolerance_frames: float = 0.1,
) -> str:
    """Draw each episode's timestamp step range (min to max, median tick) against the frame period 1/fps.

    Steps are in seconds and drawn in milliseconds. The y axis ends at five
    frame periods, and an episode with a longer step gets a triangle at the
    top, so one large gap does not flatten every other episode.
    """
    period_ms = 1000.0 / fps
    lows = [v * 1000 if v is not None else None for v in step_min]
    highs = [v * 1000 if v is not None else None for v in step_max]
    medians = [v * 1000 if v is not None else None for v in step_median]
    known_highs = [v for v in highs if v is not None]
    known_lows = [v for v in lows if v is not None]
    top = max(2 * period_ms, min(max(known_highs, default=0.0), 5 * period_ms)) * 1.08
    bottom = min(0.0, max(min(known_lows, default=0.0), -2 * period_ms))
    frame = _Frame(240, (-0.5, max(len(episodes) - 0.5, 0.5)), (bottom, top))
    parts = frame.axes("timestamp step (ms)", "episode")
    parts += _x_ticks(frame, episodes)

    band_low, band_high = period_ms * (1 - tolerance_frames), period_ms * (1 + tolerance_frames)
    parts.append(
        f'<rect x="{frame.left}" y="{frame.y(band_high)}" width="{frame.right - frame.left}" '
        f'height="{max(1.0, frame.y(band_low) - frame.y(band_high))}" class="tolerance"/>'
    )
    parts.append(f'<line x1="{frame.left}" x2="{frame.right}" y1="{frame.y(period_ms)}" y2="{frame.y(period_ms)}" class="reference"/>')
    parts.append(f'<text x="{frame.right - 4}" y="{frame.y(period_ms) - 4}" text-anchor="end" class="reference-label">'
                 f"1/fps = {escape(format_number(period_ms))} ms</text>")

    good, bad, ticks, clipped = [], [], [], []
    for position, (low, high, median) in enumerate(zip(lows, highs, medians, strict=True)):
        if low is None or high is None:
            continue
        x = frame.x(position)
        outside = low < band_low or high > band_high
        y_low, y_high = frame.y(max(low, bottom)), frame.y(min(high, top))
        # At least 4 px tall, so an episode whose steps are all equal still shows.
        (bad if outside else good).append(f"M{x} {y_low + 2}V{min(y_high, y_low - 2)}")
        if median is not None:
            ticks.append(f"M{x - 3} {frame.y(min(max(median, bottom), top))}h6")
        if high > top:
            clipped.append(f"M{x} {frame.top + 1}l-4 7h8z")
    parts.append(f'<path d="{"".join(good)}" class="range-ok"/>')
    parts.append(f'<path d="{"".join(bad)}" class="range-bad"/>')
    parts.append(f'<path d="{"".join(ticks)}" class="median"/>')
    parts.append(f'<path d="{"".join(clipped)}" class="clipped"/>')
    return _svg("plot-timestamp-step", frame.height, parts, "Timestamp step per episode against 1/fps")


def episode_length_chart(episodes: Sequence[int], lengths: Sequence[int], declared: dict[int, int]) -> str:
    """Draw episode lengths in rows: one bar per episode up to 120 episodes, else a histogram.

    In the bar chart an episode whose row count differs from its declared
    length is drawn red, with a tick at the declared length.
    """
    if len(episodes) <= 120:
        return _length_bars(episodes, lengths, declared)
    return _length_histogram(lengths)


def _length_bars(episodes: Sequence[int], lengths: Sequence[int], declared: dict[int, int]) -> str:
    top = max([*lengths, *(declared.get(e, 0) for e in episodes), 1]) * 1.08
    frame = _Frame(220, (-0.5, max(len(episodes) - 0.5, 0.5)), (0, top))
    parts = frame.axes("rows", "episode")
    parts += _x_ticks(frame, episodes)
    bar = max(1.0, (frame.right - frame.left) / max(len(episodes), 1) * 0.7)
    good, bad, marks = [], [], []
    for position, (episode, length) in enumerate(zip(episodes, lengths, strict=True)):
        x = frame.x(position) - bar / 2
        expected = declared.get(episode)
        path = f"M{x:.1f} {frame.y(0)}V{frame.y(length)}h{bar:.1f}V{frame.y(0)}z"
        if expected is not None and expected != length:
            bad.append(path)
            marks.append(f"M{x - 2:.1f} {frame.y(expected)}h{bar + 4:.1f}")
        else:
            good.append(path)
    parts.append(f'<path d="{"".join(good)}" class="bar-ok"/>')
    parts.append(f'<path d="{"".join(bad)}" class="bar-bad"/>')
    parts.append(f'<path d="{"".join(marks)}" class="declared"/>')
    return _svg("plot-episode-lengths", frame.height, parts, "Rows per episode")


def _length_histogram(lengths: Sequence[int], max_bins: int = 30) -> str:
    low, high = min(lengths), max(lengths)
    # Whole-row bins: each bin covers `width` row counts, starting at the shortest episode.
    span = high - low + 1
    width = math.ceil(span / min(max_bins, span))
    bins = math.ceil(span / width)
    counts = [0] * bins
    for length in lengths:
        counts[(length - low) // width] += 1
    frame = _Frame(220, (low, low + width * bins), (0, max(counts) * 1.08))
    parts = frame.axes("episodes", "rows per episode")
    for tick in nice_ticks(low, low + width * bins):
        parts.append(f'<text x="{frame.x(tick)}" y="{frame.bottom + 14}" text-anchor="middle">{escape(format_number(tick))}</text>')
    bars = []
    for index, count in enumerate(counts):
        if count:
            x0, x1 = frame.x(low + index * width), frame.x(low + (index + 1) * width)
            bars.append(f"M{x0} {frame.y(0)}V{frame.y(count)}H{max(x0 + 1, x1 - 1)}V{frame.y(0)}z")
    parts.append(f'<path d="{"".join(bars)}" class="bar-ok"/>')
    return _svg("plot-episode-lengths", frame.height, parts, "Histogram of rows per episode")


def value_range_chart(
    element_id: str,
    title: str,
    names: Sequence[str],
    low: Sequence[float | None],
    high: Sequence[float | None],
    limits: Sequence[Sequence[float | None]],
) -> str:
    """Draw one row per dimension: the observed min-max bar over the shaded allowed range.

    Each row has its own scale, because joints in degrees and a gripper in
    percent share no useful axis. A bar that leaves its limits is red.
    """
    row_height, label_width, strip_width = 18, 190, 360
    strip_left = label_width + 8
    text_left = strip_left + strip_width + 10
    height = row_height * len(names) + 8
    parts = []
    for row, name in enumerate(names):
        y = 4 + row * row_height
        observed = (low[row], high[row])
        bounds = tuple(limits[row]) if row < len(limits) else (None, None)
        label = name if len(name) <= 32 else name[:31] + "…"
        parts.append(f'<text x="{label_width}" y="{y + 13}" text-anchor="end">{escape(label)}</text>')
        parts += _range_row(strip_left, strip_width, y, row_height, observed, bounds)
        parts.append(f'<text x="{text_left}" y="{y + 13}">{escape(_range_text(observed, bounds))}</text>')
    return _svg(element_id, height, parts, title)


def _range_row(left: float, width: float, y: float, height: float, observed: tuple[float | None, float | None],
               bounds: tuple[float | None, ...]) -> list[str]:
    values = [v for v in (*observed, *bounds) if v is not None and math.isfinite(v)]
    parts = [f'<rect x="{left}" y="{y + 2}" width="{width}" height="{height - 4}" class="strip"/>']
    if not values:
        return parts
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or max(abs(high), 1.0) * 0.05
    low, high = low - pad, high + pad

    def x(value: float) -> float:
        return round(left + (value - low) / (high - low) * width, 1)

    lower, upper = bounds[0], bounds[1]
    if lower is not None or upper is not None:
        x0 = x(lower) if lower is not None else left
        x1 = x(upper) if upper is not None else left + width
        parts.append(f'<rect x="{x0}" y="{y + 2}" width="{max(1.0, x1 - x0)}" height="{height - 4}" class="allowed"/>')
    observed_low, observed_high = observed
    if observed_low is not None and observed_high is not None:
        outside = (lower is not None and observed_low < lower) or (upper is not None and observed_high > upper)
        css = "observed-bad" if outside else "observed-ok"
        x0, x1 = x(observed_low), x(observed_high)
        parts.append(f'<rect x="{x0}" y="{y + 6}" width="{max(2.0, x1 - x0)}" height="{height - 12}" class="{css}"/>')
    return parts


def _range_text(observed: tuple[float | None, float | None], bounds: tuple[float | None, ...]) -> str:
    low, high = observed
    text = "no finite values" if low is None or high is None else f"{format_number(low)} … {format_number(high)}"
    if bounds[0] is not None or bounds[1] is not None:
        lower = format_number(bounds[0]) if bounds[0] is not None else "−∞"
        upper = format_number(bounds[1]) if bounds[1] is not None else "∞"
        text += f"  (allowed {lower} … {upper})"
    return text
