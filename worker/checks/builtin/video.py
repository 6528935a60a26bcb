"""Built-in video checks (`video.*`): decoding, stream properties, lengths and durations.

Every check reads video members through PyAV. A member that is not a
readable video is the vendor's fault and becomes a FAILED result naming it,
never an exception. Checks that decode pixels (`black_frames`,
`frozen_frames`) look at a bounded sample of frames per video, so a 250 MB
delivery stays affordable.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field

from worker.archive.globs import MemberGlob
from worker.checks.context import CheckContext
from worker.checks.registry import register
from worker.checks.results import CheckResult, Status
from worker.video.access import MemberUnreadable, local_video, probe_member, time_budget_s
from worker.video.decode import DecodeMode, decode_video, frame_times
from worker.video.findings import Finding, summarize
from worker.video.frame_faults import SamplePlan, black_finding, frozen_finding, sample_member, windows_for_run
from worker.video.lerobot_videos import LayoutUnusable, declared_properties, declared_videos
from worker.video.probe import VideoOpenError, VideoProbe, normalize_codec

log = structlog.get_logger(__name__)

DEFAULT_VIDEO_GLOB = "**/*.mp4"
# Wall-clock seconds `video.decodes` spends on full decoding per dataset.
# Videos left when the budget runs out are demuxed only. The real G1 LeRobot
# delivery has 8 AV1 640x480 videos (2,868 frames). Decoding them all took
# 4.2 to 4.5 s on an idle 2-core AMD EPYC VM, and 13 to 22 s on the same VM
# under a load average of 9. The default fits the idle case twice over.
DEFAULT_DECODE_BUDGET_S = 10.0
# Seconds the black and frozen frame checks spend sampling per dataset. One
# 14 s 1280x720 H.264 clip takes about 1.2 s on the same idle VM.
DEFAULT_SAMPLE_BUDGET_S = 30.0


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _skipped(check: str, message: str) -> list[CheckResult]:
    return [CheckResult(check=check, status=Status.SKIPPED, message=message)]


def _no_members(check: str, pattern: str) -> list[CheckResult]:
    return _skipped(check, f"no member matches {pattern}, so there is no video to check")


def _unreadable(member: str, error: Exception, episode: int | None = None, *, cannot_check: bool = True) -> Finding:
    """Build the finding for a video that cannot be opened; only `video.decodes` counts it as its own fault."""
    return Finding(
        member,
        f"is not a readable video ({error})",
        episode=episode,
        column="file",
        value=str(error),
        cannot_check=cannot_check,
    )


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# ---------------------------------------------------------------- video.decodes


class DecodesArgs(_Args):
    members: MemberGlob = Field(DEFAULT_VIDEO_GLOB, description="Glob of the video members to decode.")
    mode: Literal["full", "keyframes"] = Field(
        "full", description="Decode every frame, or only keyframes (faster, misses damage between keyframes)."
    )
    time_budget_s: float = Field(
        DEFAULT_DECODE_BUDGET_S,
        gt=0,
        description="Seconds of decoding per dataset; videos left after it are only demuxed (packets read, not decoded).",
    )


@register("video.decodes", args=DecodesArgs)
def check_decodes(ctx: CheckContext, args: DecodesArgs) -> list[CheckResult]:
    """Decode each video member and fail the ones that cannot be opened or decoded to the end."""
    check = "video.decodes"
    members = [m.name for m in ctx.source.glob(args.members)]
    if not members:
        return _no_members(check, args.members)

    budget_s = time_budget_s(ctx, args.time_budget_s)
    started = time.monotonic()
    findings: list[Finding] = []
    coverage = {"full": 0, "keyframes": 0, "packets": 0, "partial": 0}
    per_video: dict[str, Any] = {}
    for member in members:
        left_s = budget_s - (time.monotonic() - started)
        mode: DecodeMode = args.mode if left_s > 0 else "packets"
        finding, record = _decode_one(ctx, member, mode, max(left_s, 0.0))
        per_video[member] = record
        if finding is not None:
            findings.append(finding)
        elif record.get("timed_out"):
            coverage["partial"] += 1
        else:
            coverage[record["mode"]] += 1

    elapsed_s = round(time.monotonic() - started, 3)
    log.debug("videos_decoded", dataset_id=ctx.dataset.id, videos=len(members), elapsed_s=elapsed_s, **coverage)
    details = {"coverage": coverage, "elapsed_s": elapsed_s, "time_budget_s": budget_s, "videos": per_video}
    return [
        summarize(
            check,
            findings,
            len(members),
            fault="do not decode",
            ok_message=f"{len(members)} of {len(members)} videos decode ({_coverage_text(coverage, budget_s)})",
            details=details,
        )
    ]


def _decode_one(ctx: CheckContext, member: str, mode: DecodeMode, budget_s: float) -> tuple[Finding | None, dict[str, Any]]:
    try:
        probe = probe_member(ctx, member)
        with local_video(ctx, member) as path:
            report = decode_video(path, mode=mode, time_budget_s=budget_s if mode != "packets" else None)
    except (VideoOpenError, MemberUnreadable) as error:
        return _unreadable(member, error, cannot_check=False), {"error": str(error)}
    record = {
        "mode": report.mode,
        "frames_decoded": report.frames,
        "packets": report.packets,
        "container_frames": probe.frame_count,
        "timed_out": report.timed_out,
        "elapsed_s": round(report.elapsed_s, 3),
    }
    if report.error is not None:
        text = f"fails to decode after {report.frames} frames ({report.error})"
        return Finding(member, text, column="frames", value=report.frames), record
    if report.complete and report.mode == "full" and report.frames == 0:
        return Finding(member, "contains no decodable frame", column="frames", value=0), record
    declared = probe.frame_count if probe.frame_count_source == "container" else None
    if report.complete and declared is not None and report.packets < declared:
        text = f"ends after {report.packets} of the {declared} frames its container declares (truncated)"
        return Finding(member, text, column="frames", value=report.packets), record
    if report.complete and report.mode == "full" and report.frames < report.packets:
        # Every MP4 sample of H.264, HEVC and AV1 is one shown frame, so a
        # packet the decoder drops without an error is a damaged frame.
        text = f"decodes only {report.frames} of its {report.packets} frames"
        return Finding(member, text, column="frames", value=report.frames), record
    return None, record


def _coverage_text(coverage: dict[str, int], budget_s: float) -> str:
    parts = [f"{coverage['full']} fully decoded"]
    if coverage["keyframes"]:
        parts.append(f"{coverage['keyframes']} keyframes only")
    if coverage["partial"] or coverage["packets"]:
        parts.append(
            f"{coverage['partial']} partly and {coverage['packets']} only demuxed after the {budget_s:g} s decode budget"
        )
    return ", ".join(parts)


# ------------------------------------------------------------- video.properties


class PropertiesArgs(_Args):
    members: MemberGlob | None = Field(
        None,
        description="Glob of the videos to check. Default: the videos a LeRobot meta/info.json declares, "
        f"or {DEFAULT_VIDEO_GLOB} when the dataset has no LeRobot layout.",
    )
    codec: str | None = Field(None, description="Expected codec, e.g. h264 or av1; overrides meta/info.json.")
    pix_fmt: str | None = Field(None, description="Expected pixel format, e.g. yuv420p; overrides meta/info.json.")
    width: int | None = Field(None, gt=0, description="Expected width in pixels; overrides meta/info.json.")
    height: int | None = Field(None, gt=0, description="Expected height in pixels; overrides meta/info.json.")
    fps: float | None = Field(None, gt=0, description="Expected frame rate in frames per second; overrides meta/info.json.")
    fps_tolerance: float = Field(0.01, ge=0, description="Allowed frame rate difference in frames per second.")

    def stated(self) -> dict[str, Any]:
        values = {"codec": self.codec, "pix_fmt": self.pix_fmt, "width": self.width, "height": self.height, "fps": self.fps}
        return {name: value for name, value in values.items() if value is not None}


@register("video.properties", args=PropertiesArgs)
def check_properties(ctx: CheckContext, args: PropertiesArgs) -> list[CheckResult]:
    """Compare each video's codec, pixel format, size and frame rate with the declaration."""
    check = "video.properties"
    targets = _property_targets(ctx, args)
    if isinstance(targets, str):
        return _skipped(check, targets)
    findings: list[Finding] = []
    for member, (episode, expected) in targets.items():
        try:
            probe = probe_member(ctx, member)
        except (VideoOpenError, MemberUnreadable) as error:
            findings.append(_unreadable(member, error, episode))
            continue
        findings.extend(_property_mismatches(member, episode, probe, expected, args.fps_tolerance))
    declared = {member: expected for member, (_episode, expected) in targets.items()}
    return [
        summarize(
            check,
            findings,
            len(targets),
            fault="differ from the declared properties",
            ok_message=f"{len(targets)} of {len(targets)} videos match the declared {_declared_text(declared)}",
            details={"declared": declared},
        )
    ]


def _property_targets(ctx: CheckContext, args: PropertiesArgs) -> dict[str, tuple[int | None, dict[str, Any]]] | str:
    """Map each member to check to (episode, expected properties), or return why there is nothing to check."""
    stated = args.stated()
    unusable = ""
    if args.members is None:
        try:
            declared = declared_videos(ctx)
        except LayoutUnusable as error:
            declared, unusable = None, str(error)
        if declared is not None:
            targets = {}
            for video in declared.videos:
                if ctx.source.member(video.member) is None or video.member in targets:
                    continue
                expected = {**declared_properties(declared.layout, video.video_key), **stated}
                episode = None if declared.layout.is_v3 else video.episode_index
                targets[video.member] = (episode, expected)
            if not targets:
                return "the LeRobot layout declares no video that is present in the archive"
            return targets
    pattern = args.members or DEFAULT_VIDEO_GLOB
    members = [m.name for m in ctx.source.glob(pattern)]
    if not members:
        return f"no member matches {pattern}, so there is no video to check"
    if not stated:
        return f"no properties to compare: the rule states none and {unusable or 'no LeRobot layout declares any'}"
    return {member: (None, stated) for member in members}


def _property_mismatches(
    member: str, episode: int | None, probe: VideoProbe, expected: dict[str, Any], fps_tolerance: float
) -> list[Finding]:
    findings = []
    for name, want in expected.items():
        have = getattr(probe, name)
        if name == "codec":
            same = normalize_codec(str(want)) == have
        elif name == "fps":
            same = have is not None and abs(have - float(want)) <= fps_tolerance
        else:
            same = have == want
        if not same:
            text = f"{name} {_number(have)}, declared {_number(want)}"
            findings.append(Finding(member, text, episode=episode, column=name, value=have))
    return findings


def _declared_text(declared: dict[str, dict[str, Any]]) -> str:
    distinct = {tuple(sorted(d.items())) for d in declared.values()}
    if len(distinct) != 1:
        return "properties"
    return ", ".join(f"{name} {_number(value)}" for name, value in next(iter(distinct)))


# ------------------------------------------------------- video.lerobot_episode_length


class EpisodeLengthArgs(_Args):
    tolerance_frames: int = Field(
        0,
        ge=0,
        description="Allowed difference in frames between a video and its episode's length. "
        "LeRobot reads one video frame per data row, so any missing frame breaks training.",
    )
    count: Literal["container", "decoded"] = Field(
        "container",
        description="Count frames from the container's index (fast) or by decoding every frame.",
    )


@register("video.lerobot_episode_length", args=EpisodeLengthArgs)
def check_lerobot_episode_length(ctx: CheckContext, args: EpisodeLengthArgs) -> list[CheckResult]:
    """Compare each episode video's frame count and duration with the episode length in the metadata."""
    check = "video.lerobot_episode_length"
    try:
        declared = declared_videos(ctx)
    except LayoutUnusable as error:
        return _skipped(check, str(error))
    if not declared.videos:
        return _skipped(check, "the LeRobot layout declares no video features")
    lengths = declared.lengths()
    if not lengths:
        return _skipped(check, "the episodes metadata states no episode lengths")

    fps = declared.layout.fps
    present = [v for v in declared.videos if ctx.source.member(v.member) is not None and v.episode_index in lengths]
    missing = sum(1 for v in declared.videos if ctx.source.member(v.member) is None)
    if not present:
        return _skipped(
            check, f"none of the {len(declared.videos)} declared episode videos with a stated length is in the archive"
        )

    findings: list[Finding] = []
    times_by_member: dict[str, list[float] | Exception] = {}
    for video in present:
        length = lengths[video.episode_index]
        if video.from_timestamp is None:
            findings.extend(_whole_file_length(ctx, video.member, video.episode_index, length, fps, args))
            continue
        if video.member not in times_by_member:
            times_by_member[video.member] = _member_frame_times(ctx, video.member, args.count == "decoded")
        times = times_by_member[video.member]
        if isinstance(times, Exception):
            findings.append(_unreadable(video.member, times, video.episode_index))
            continue
        findings.extend(_span_length(video, times, length, fps, args.tolerance_frames))

    details = {"checked_videos": len(present), "missing_videos": missing, "count": args.count, "fps": fps}
    note = f"; {missing} declared videos are missing and not checked" if missing else ""
    return [
        summarize(
            check,
            findings,
            len(present),
            noun="episode videos",
            fault="disagree with their episode length",
            ok_message=f"{len(present)} of {len(present)} episode videos match their episode length "
            f"within {args.tolerance_frames} frames{note}",
            details=details,
        )
    ]


def _whole_file_length(
    ctx: CheckContext, member: str, episode: int, length: int, fps: float, args: EpisodeLengthArgs
) -> list[Finding]:
    try:
        probe = probe_member(ctx, member)
        if args.count == "decoded":
            with local_video(ctx, member) as path:
                frames: int | None = decode_video(path).frames
        else:
            frames = probe.frame_count
    except (VideoOpenError, MemberUnreadable) as error:
        return [_unreadable(member, error, episode)]
    findings = []
    if frames is not None and abs(frames - length) > args.tolerance_frames:
        text = f"has {frames} frames, episode {episode} has length {length}"
        findings.append(Finding(member, text, episode=episode, column="frames", value=frames))
    # Half a frame of slack absorbs how containers round the last frame's duration.
    allowed_s = (args.tolerance_frames + 0.5) / fps
    if probe.duration_s is not None and abs(probe.duration_s - length / fps) > allowed_s:
        text = f"lasts {probe.duration_s:.3f} s, episode {episode} lasts {length / fps:.3f} s ({length} frames at {fps:g} fps)"
        findings.append(Finding(member, text, episode=episode, column="duration_s", value=round(probe.duration_s, 3)))
    return findings


def _member_frame_times(ctx: CheckContext, member: str, decoded: bool) -> list[float] | Exception:
    try:
        with local_video(ctx, member) as path:
            return frame_times(path, decoded=decoded)
    except (VideoOpenError, MemberUnreadable) as error:
        return error


def _span_length(video: Any, times: list[float], length: int, fps: float, tolerance_frames: int) -> list[Finding]:
    """Count the frames of one v3.0 episode inside a shared video file and compare them with its length."""
    half_frame_s = 0.5 / fps
    start_s, end_s = video.from_timestamp, video.to_timestamp
    if end_s is None:
        return []
    frames = sum(1 for t in times if start_s - half_frame_s <= t < end_s - half_frame_s)
    findings = []
    label = f"episode {video.episode_index} ({start_s:.3f} s to {end_s:.3f} s)"
    if abs(frames - length) > tolerance_frames:
        text = f"holds {frames} frames for {label}, episode length is {length}"
        findings.append(Finding(video.member, text, episode=video.episode_index, column="frames", value=frames))
    span_frames = (end_s - start_s) * fps
    if abs(span_frames - length) > tolerance_frames + 0.5:
        text = f"spans {span_frames:.1f} frames for {label} at {fps:g} fps, episode length is {length}"
        findings.append(Finding(video.member, text, episode=video.episode_index, column="to_timestamp", value=end_s))
    return findings


# ---------------------------------------------------- video.duration_matches_metadata


class DurationArgs(_Args):
    members: MemberGlob = Field(DEFAULT_VIDEO_GLOB, description="Glob of the videos whose duration is compared.")
    metadata_key: str = Field("duration_seconds", description="Key of the Gerra metadata that states the duration in seconds.")
    tolerance_s: float = Field(0.5, ge=0, description="Allowed difference in seconds.")
    tolerance_pct: float | None = Field(
        None, ge=0, description="Allowed difference as a percentage of the stated duration; the larger allowance wins."
    )
    combine: Literal["each", "total"] = Field(
        "each", description="Compare every video with the stated duration, or their summed duration."
    )


@register("video.duration_matches_metadata", args=DurationArgs)
def check_duration_matches_metadata(ctx: CheckContext, args: DurationArgs) -> list[CheckResult]:
    """Compare each video's duration with the duration the Gerra metadata states."""
    check = "video.duration_matches_metadata"
    key = args.metadata_key
    if key not in (ctx.dataset.metadata or {}):
        return _skipped(check, f"the dataset metadata has no {key}, so there is no duration to compare")
    stated = ctx.dataset.metadata[key]
    if isinstance(stated, bool) or not isinstance(stated, int | float):
        return [
            CheckResult(
                check=check,
                status=Status.FAILED,
                message=f"metadata {key} is {stated!r}, not a duration in seconds",
                observed=stated,
            )
        ]

    members = [m.name for m in ctx.source.glob(args.members)]
    if not members:
        return [
            CheckResult(
                check=check,
                status=Status.FAILED,
                message=f"metadata {key} states a duration of {stated} s but no member matches {args.members}",
                expected=stated,
                failed_count=0,
                total_count=0,
            )
        ]

    allowed_s = max(args.tolerance_s, (args.tolerance_pct or 0.0) / 100 * abs(stated))
    durations, findings = _durations(ctx, members)
    tolerance_text = f"tolerance {allowed_s:g} s"
    if args.combine == "total" and not findings:
        total = sum(durations.values())
        if abs(total - stated) > allowed_s:
            text = f"total duration {total:.2f} s, metadata {key} {stated} s ({tolerance_text})"
            findings.append(Finding(f"{len(members)} videos", text, column="duration_s", value=round(total, 3)))
    elif args.combine == "each":
        for member, duration in durations.items():
            if abs(duration - stated) > allowed_s:
                text = f"duration {duration:.2f} s, metadata {key} {stated} s ({tolerance_text})"
                findings.append(Finding(member, text, column="duration_s", value=round(duration, 3)))

    result = summarize(
        check,
        findings,
        len(members),
        fault="differ from the metadata duration",
        ok_message=f"{len(members)} of {len(members)} videos match metadata {key} {stated} s ({tolerance_text})",
        details={"durations_s": {m: round(d, 3) for m, d in durations.items()}, "allowed_s": allowed_s},
    )
    result.expected = stated
    return [result]


def _durations(ctx: CheckContext, members: list[str]) -> tuple[dict[str, float], list[Finding]]:
    durations: dict[str, float] = {}
    findings: list[Finding] = []
    for member in members:
        try:
            probe = probe_member(ctx, member)
        except (VideoOpenError, MemberUnreadable) as error:
            findings.append(_unreadable(member, error))
            continue
        if probe.duration_s is None:
            findings.append(Finding(member, "states no duration in its container", column="duration_s", cannot_check=True))
            continue
        durations[member] = probe.duration_s
    return durations, findings


# ------------------------------------------------- video.black_frames, video.frozen_frames


class _SampleArgs(_Args):
    members: MemberGlob = Field(DEFAULT_VIDEO_GLOB, description="Glob of the videos to sample.")
    max_frames: int = Field(300, ge=2, description="Frames decoded per video at most; shorter videos are decoded whole.")
    windows: int = Field(3, ge=1, description="Runs of consecutive frames, spread over the video, that share max_frames.")
    width: int = Field(64, ge=8, description="Width in pixels that frames are scaled to before measuring.")
    time_budget_s: float = Field(
        DEFAULT_SAMPLE_BUDGET_S, gt=0, description="Seconds of decoding per dataset; videos left after it are not sampled."
    )

    def plan(self) -> SamplePlan:
        return SamplePlan(self.max_frames, self.windows, self.width)


class BlackFramesArgs(_SampleArgs):
    max_luma: float = Field(16.0, ge=0, le=255, description="Mean gray level (0-255) at or below which a frame counts as black.")
    max_fraction: float = Field(0.1, ge=0, le=1, description="Largest allowed fraction of sampled frames that are black.")


class FrozenFramesArgs(_SampleArgs):
    max_diff: float = Field(
        0.2, ge=0, description="Mean absolute gray-level difference (0-255) below which consecutive frames count as identical."
    )
    max_frozen_s: float = Field(2.0, gt=0, description="Longest allowed run of identical frames, in seconds.")


@register("video.black_frames", args=BlackFramesArgs)
def check_black_frames(ctx: CheckContext, args: BlackFramesArgs) -> list[CheckResult]:
    """Fail videos where too many sampled frames are near-black."""
    return _sampled_check(
        ctx,
        "video.black_frames",
        args,
        lambda probe: args.plan(),
        lambda member, sample: black_finding(member, sample, args.max_luma, args.max_fraction),
        fault="have too many near-black frames",
        ok_text=f"at most {args.max_fraction:.0%} near-black sampled frames",
    )


@register("video.frozen_frames", args=FrozenFramesArgs)
def check_frozen_frames(ctx: CheckContext, args: FrozenFramesArgs) -> list[CheckResult]:
    """Fail videos with a run of near-identical consecutive frames longer than allowed."""

    def plan(probe: VideoProbe) -> SamplePlan:
        base = args.plan()
        return SamplePlan(base.max_frames, windows_for_run(base, probe.fps, args.max_frozen_s), base.width)

    return _sampled_check(
        ctx,
        "video.frozen_frames",
        args,
        plan,
        lambda member, sample: frozen_finding(member, sample, args.max_diff, args.max_frozen_s),
        fault="freeze",
        ok_text=f"no frozen stretch over {args.max_frozen_s:g} s in the sampled frames",
    )


def _sampled_check(ctx, check, args, plan_for, judge, *, fault: str, ok_text: str) -> list[CheckResult]:
    members = [m.name for m in ctx.source.glob(args.members)]
    if not members:
        return _no_members(check, args.members)

    budget_s = time_budget_s(ctx, args.time_budget_s)
    started = time.monotonic()
    findings: list[Finding] = []
    sampled: dict[str, Any] = {}
    not_sampled: list[str] = []
    for member in members:
        left_s = budget_s - (time.monotonic() - started)
        if left_s <= 0:
            not_sampled.append(member)
            continue
        try:
            probe = probe_member(ctx, member)
            sample = sample_member(ctx, member, plan_for(probe), left_s)
        except (VideoOpenError, MemberUnreadable) as error:
            findings.append(_unreadable(member, error))
            continue
        if sample.error is not None:
            text = f"fails to decode after {sample.frames} sampled frames ({sample.error})"
            findings.append(Finding(member, text, cannot_check=True))
            continue
        sampled[member] = {"frames": sample.frames, "windows": sample.windows, "complete": sample.complete}
        finding = judge(member, sample)
        if finding is not None:
            findings.append(finding)

    checked = len(members) - len(not_sampled)
    note = f"; {len(not_sampled)} videos not sampled within the {budget_s:g} s budget" if not_sampled else ""
    details = {"sampled": sampled, "not_sampled": not_sampled, "elapsed_s": round(time.monotonic() - started, 3)}
    return [
        summarize(
            check,
            findings,
            checked,
            fault=fault,
            ok_message=f"{checked} of {checked} sampled videos show {ok_text}{note}",
            details=details,
        )
    ]
