"""Short formatting helpers for check messages."""

from __future__ import annotations

from collections.abc import Iterable


def number(value: int | float) -> str:
    """Format a count with thousands separators (``82,515``)."""
    return f"{value:,}"


def plural(count: int, word: str, words: str | None = None) -> str:
    """Return ``"1 episode"`` or ``"3 episodes"``."""
    return f"{number(count)} {word if count == 1 else (words or word + 's')}"


def index_ranges(indices: Iterable[int], limit: int = 8) -> str:
    """Write sorted integers as compact ranges (``0-3, 7, 9-12``), eliding after `limit` ranges."""
    values = sorted(set(int(i) for i in indices))
    ranges: list[tuple[int, int]] = []
    for value in values:
        if ranges and value == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], value)
        else:
            ranges.append((value, value))
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in ranges[:limit]]
    if len(ranges) > limit:
        parts.append(f"... ({len(ranges) - limit} more ranges)")
    return ", ".join(parts)


def seconds(value: float) -> str:
    """Format a duration in seconds, in milliseconds below one second."""
    if abs(value) < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.3f} s"
