"""Built-in checks on a dataset's Gerra metadata (`metadata.*`).

`metadata.consistency` compares the facts that both the Gerra metadata and
the delivered content state: episode count, robot type, duration and frame
rate. A fact missing on either side is not compared, so a metadata object
with free-form keys passes as long as what it does state is true.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from worker.archive.globs import MemberGlob
from worker.checks.context import CheckContext
from worker.checks.registry import register
from worker.checks.results import CheckResult, Example, Status, failed, passed
from worker.lerobot.episodes import EpisodesError, load_episodes
from worker.lerobot.layout import LayoutError, LeRobotLayout, load_layout
from worker.video.access import MemberUnreadable, probe_member
from worker.video.probe import VideoOpenError



@dataclass(frozen=True)
class Fact:
    """One value the content states, and where it comes from (for the message)."""

    value: Any
    source: str
    unit: str = ""


@dataclass(frozen=True)
class Comparison:
    key: str
    stated: Any
    fact: Fact
    agrees: bool

    def text(self) -> str:
        unit = self.fact.unit
        return f"metadata {self.key} {_show(self.stated, unit)}, {self.fact.source} {_show(self.fact.value, unit)}"


def _show(value: Any, unit: str = "") -> str:
    if isinstance(value, str):
        return repr(value)
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}" if unit and isinstance(value, int | float) and not isinstance(value, bool) else text


# ----------------------------------------------------------- metadata.consistency


class ConsistencyArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    episode_keys: list[str] = Field(
        default_factory=lambda: ["episodes", "episode_count"], description="Metadata keys that state the number of episodes."
    )
    robot_type_key: str = Field("robot_type", description="Metadata key that states the robot type.")
    duration_key: str = Field("duration_seconds", description="Metadata key that states the duration in seconds.")
    fps_key: str = Field("fps", description="Metadata key that states the frame rate.")
    duration_tolerance_s: float = Field(0.5, ge=0, description="Allowed duration difference in seconds.")
    duration_tolerance_pct: float | None = Field(
        None, ge=0, description="Allowed duration difference in percent of the stated duration; the larger allowance wins."
    )
    fps_tolerance: float = Field(0.01, ge=0, description="Allowed frame rate difference in frames per second.")
    video_members: MemberGlob = Field("**/*.mp4", description="Glob of the videos whose duration and frame rate count as content.")


@register("metadata.consistency", args=ConsistencyArgs)
def check_consistency(ctx: CheckContext, args: ConsistencyArgs) -> list[CheckResult]:
    """Compare each fact the Gerra metadata states with what the dataset's content states."""
    check = "metadata.consistency"
    metadata = ctx.dataset.metadata or {}
    content = _ContentFacts(ctx, args.video_members)

    comparisons: list[Comparison] = []
    for key in args.episode_keys:
        if key in metadata:
            comparisons += [Comparison(key, metadata[key], f, _same_integer(metadata[key], f.value)) for f in content.episodes()]
    if args.robot_type_key in metadata:
        stated = metadata[args.robot_type_key]
        comparisons += [Comparison(args.robot_type_key, stated, f, _same_text(stated, f.value)) for f in content.robot_type()]
    if args.duration_key in metadata:
        stated = metadata[args.duration_key]
        allowed = _duration_allowance(stated, args)
        comparisons += [
            Comparison(args.duration_key, stated, f, _close(stated, f.value, allowed)) for f in content.duration_s()
        ]
    if args.fps_key in metadata:
        stated = metadata[args.fps_key]
        comparisons += [Comparison(args.fps_key, stated, f, _close(stated, f.value, args.fps_tolerance)) for f in content.fps()]

    details = {
        "compared": [
            {"key": c.key, "metadata": c.stated, "content": c.fact.value, "source": c.fact.source, "agrees": c.agrees}
            for c in comparisons
        ],
        "content_notes": content.notes,
    }
    if not comparisons:
        message = "no fact is stated by both the metadata and the content"
        return [CheckResult(check=check, status=Status.SKIPPED, message=message, details=details)]

    disagreements = [c for c in comparisons if not c.agrees]
    if not disagreements:
        agreed = ", ".join(dict.fromkeys(f"{c.key} {_show(c.stated, c.fact.unit)}" for c in comparisons))
        return [passed(check, f"metadata agrees with the content on {agreed}", failed_count=0,
                       total_count=len(comparisons), details=details)]
    return [
        failed(
            check,
            f"{len(disagreements)} of {len(comparisons)} metadata facts disagree with the content: "
            + "; ".join(c.text() for c in disagreements),
            failed_count=len(disagreements),
            total_count=len(comparisons),
            examples=[Example(column=c.key, value=c.stated) for c in disagreements],
            details=details,
        )
    ]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _same_integer(stated: Any, actual: int) -> bool:
    number = _number(stated)
    return number is not None and number == actual


def _same_text(stated: Any, actual: str) -> bool:
    # Robot type names differ in case between tools (Unitree_G1 vs unitree_g1)
    # while naming the same robot.
    return isinstance(stated, str) and stated.strip().casefold() == actual.strip().casefold()


def _close(stated: Any, actual: float, allowed: float) -> bool:
    number = _number(stated)
    return number is not None and abs(number - actual) <= allowed


def _duration_allowance(stated: Any, args: ConsistencyArgs) -> float:
    number = _number(stated) or 0.0
    return max(args.duration_tolerance_s, (args.duration_tolerance_pct or 0.0) / 100 * abs(number))


class _ContentFacts:
    """Facts read from the dataset's files on first use; `notes` explains each fact that is unavailable."""

    def __init__(self, ctx: CheckContext, video_glob: str) -> None:
        self.ctx = ctx
        self.video_glob = video_glob
        self.notes: list[str] = []
        self._layout: LeRobotLayout | None | bool = False

    def layout(self) -> LeRobotLayout | None:
        if self._layout is False:
            try:
                self._layout = load_layout(self.ctx)
            except LayoutError as error:
                self.notes.append(f"meta/info.json is not a usable LeRobot layout: {error}")
                self._layout = None
        return self._layout  # type: ignore[return-value]

    def episode_records(self, layout: LeRobotLayout) -> list[Any] | None:
        try:
            return load_episodes(self.ctx, layout)
        except EpisodesError as error:
            self.notes.append(f"episodes metadata unreadable: {error}")
            return None

    def episodes(self) -> list[Fact]:
        layout = self.layout()
        if layout is None:
            return []
        facts = [Fact(layout.total_episodes, "meta/info.json total_episodes")]
        records = self.episode_records(layout)
        if records is not None:
            facts.append(Fact(len({r.episode_index for r in records}), "episodes in the episodes metadata"))
        if not layout.is_v3:
            present = [f for f in layout.expected_data_files(records) if self.ctx.source.member(f) is not None]
            data_files = [m.name for m in self.ctx.source.glob(layout.data_glob())]
            facts.append(Fact(len(data_files), "episode data files"))
            if len(present) != len(data_files):
                self.notes.append(f"{len(data_files)} data files, {len(present)} of them at the paths the layout declares")
        return facts

    def robot_type(self) -> list[Fact]:
        layout = self.layout()
        if layout is None or not layout.robot_type:
            return []
        return [Fact(layout.robot_type, "meta/info.json robot_type")]

    def duration_s(self) -> list[Fact]:
        layout = self.layout()
        if layout is not None:
            records = self.episode_records(layout)
            lengths = [r.length for r in records or [] if r.length is not None]
            if lengths:
                frames = sum(lengths)
                return [Fact(round(frames / layout.fps, 3), f"episode frames / fps ({frames} / {layout.fps:g})", "s")]
            frames = layout.total_frames
            return [Fact(round(frames / layout.fps, 3), f"total_frames / fps ({frames} / {layout.fps:g})", "s")]
        probes = self._video_probes()
        if len(probes) == 1 and probes[0][1].duration_s is not None:
            member, probe = probes[0]
            return [Fact(round(probe.duration_s, 3), f"{member} duration", "s")]
        if len(probes) > 1:
            self.notes.append(f"{len(probes)} videos and no LeRobot layout, so no single content duration")
        return []

    def fps(self) -> list[Fact]:
        layout = self.layout()
        if layout is not None:
            return [Fact(layout.fps, "meta/info.json fps", "fps")]
        rates = {round(p.fps, 3) for _, p in self._video_probes() if p.fps}
        if len(rates) == 1:
            return [Fact(rates.pop(), "video frame rate", "fps")]
        return []

    def _video_probes(self) -> list[tuple[str, Any]]:
        probes = []
        for member in self.ctx.source.glob(self.video_glob):
            try:
                probes.append((member.name, probe_member(self.ctx, member.name)))
            except (VideoOpenError, MemberUnreadable) as error:
                self.notes.append(f"{member.name} is not a readable video: {error}")
        return probes


# ----------------------------------------------------------- metadata.required_keys

KeyType = Literal["string", "integer", "number", "boolean", "object", "array", "any"]

_TYPE_TESTS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "any": lambda v: True,
}


class RequiredKeysArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: dict[str, KeyType] = Field(
        min_length=1,
        description="Metadata keys that must be present, each with its JSON type "
        "(string, integer, number, boolean, object, array, or any).",
    )
    allow_null: bool = Field(False, description="Accept null as the value of a required key.")


@register("metadata.required_keys", args=RequiredKeysArgs)
def check_required_keys(ctx: CheckContext, args: RequiredKeysArgs) -> list[CheckResult]:
    """Fail when a required metadata key is missing or its value has the wrong type."""
    check = "metadata.required_keys"
    metadata = ctx.dataset.metadata or {}
    missing = [key for key in args.keys if key not in metadata]
    wrong = []
    for key, kind in args.keys.items():
        if key not in metadata:
            continue
        value = metadata[key]
        if value is None and args.allow_null:
            continue
        if not _TYPE_TESTS[kind](value):
            wrong.append((key, value, kind))

    total = len(args.keys)
    if not missing and not wrong:
        return [passed(check, f"metadata has all {total} required keys with the expected types", failed_count=0, total_count=total)]

    parts = []
    if missing:
        parts.append(f"metadata is missing {len(missing)} of {total} required keys ({', '.join(missing)})")
    if wrong:
        shown = ", ".join(f"{key} is {value!r}, expected {kind}" for key, value, kind in wrong)
        parts.append(f"{len(wrong)} keys have the wrong type ({shown})")
    examples = [Example(column=key, value=None) for key in missing] + [Example(column=key, value=value) for key, value, _ in wrong]
    return [
        failed(
            check,
            "; ".join(parts),
            failed_count=len(missing) + len(wrong),
            total_count=total,
            examples=examples,
            details={"missing": missing, "wrong_type": {key: kind for key, _, kind in wrong}},
        )
    ]
