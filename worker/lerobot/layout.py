"""The LeRobot dataset layout declared by ``meta/info.json``.

LeRobot stores episodes in three layouts, distinguished by `codebase_version`:

- v2.0 and v2.1 keep one Parquet file per episode at
  ``data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet`` and
  one MP4 per episode and camera, where ``episode_chunk`` is
  ``episode_index // chunks_size``. Episode metadata is ``meta/episodes.jsonl``.
- v3.0 packs many episodes into ``data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet``
  and many episodes into each MP4. Only ``meta/episodes/**/*.parquet`` records
  which file contains an episode, and where in that video it starts and ends.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from worker.archive.source import ArchiveError, DatasetSource

INFO_PATH = "meta/info.json"
SUPPORTED_VERSIONS = ("v2.0", "v2.1", "v3.0")
# LeRobot's own default when `chunks_size` is absent.
DEFAULT_CHUNKS_SIZE = 1000
# A real info.json is a few kilobytes; anything far larger is not one.
MAX_INFO_BYTES = 16 * 1024 * 1024
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"
VISUAL_DTYPES = ("video", "image")
_CACHE_KEY = "lerobot.layout"


class LayoutError(ValueError):
    """``meta/info.json`` exists but is not a usable LeRobot layout (the vendor's fault)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def is_lfs_pointer(head: bytes) -> bool:
    """Tell whether a file's first bytes are a Git LFS pointer instead of content."""
    return head.startswith(LFS_POINTER_PREFIX)


class Feature(BaseModel):
    """One entry of ``features`` in info.json: a column of the data or a camera stream."""

    model_config = ConfigDict(frozen=True, extra="allow")

    key: str
    dtype: str
    shape: tuple[int, ...]
    names: Any = None
    info: dict[str, Any] | None = None

    @property
    def is_video(self) -> bool:
        return self.dtype == "video"

    @property
    def is_visual(self) -> bool:
        return self.dtype in VISUAL_DTYPES

    @property
    def size(self) -> int:
        """Number of values per frame, the product of `shape`."""
        return math.prod(self.shape)

    @property
    def element_names(self) -> list[str] | None:
        """Flatten `names` into one name per value, or None when none are declared.

        LeRobot writers store names as a flat list, as a list holding one list
        (``[["joint_1", ...]]``), or as a dict of lists (``{"motors": [...]}``).
        """
        return flatten_names(self.names)


def flatten_names(names: Any) -> list[str] | None:
    """Flatten a feature's `names` (list, nested list or dict of lists) into strings."""
    if names is None:
        return None
    if isinstance(names, dict):
        names = list(names.values())
    if isinstance(names, str):
        return [names]
    if not isinstance(names, list | tuple):
        return [str(names)]
    flat: list[str] = []
    for item in names:
        inner = flatten_names(item)
        flat.extend(inner if inner is not None else ["None"])
    return flat


class _Info(BaseModel):
    """The info.json keys the gate reads; other keys are kept but not validated."""

    model_config = ConfigDict(extra="allow")

    codebase_version: str
    fps: float = Field(gt=0)
    features: dict[str, dict[str, Any]]
    data_path: str
    video_path: str | None = None
    total_episodes: int = Field(ge=0)
    total_frames: int = Field(ge=0)
    total_tasks: int | None = Field(default=None, ge=0)
    total_videos: int | None = Field(default=None, ge=0)
    total_chunks: int | None = Field(default=None, ge=0)
    chunks_size: int = Field(default=DEFAULT_CHUNKS_SIZE, gt=0)
    splits: dict[str, str] = Field(default_factory=dict)
    robot_type: str | None = None

    @field_validator("codebase_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        if value not in SUPPORTED_VERSIONS:
            raise ValueError(f"{value!r} is not a supported LeRobot version (supported: {', '.join(SUPPORTED_VERSIONS)})")
        return value


@dataclass(frozen=True)
class ExpectedVideo:
    """One camera stream of one episode and the member the layout stores it in.

    In v3.0 several episodes share one file, and the episode is the span from
    `from_timestamp` to `to_timestamp` (seconds) inside it. In v2.x both are
    None and the episode is the whole file.
    """

    episode_index: int
    video_key: str
    member: str
    from_timestamp: float | None = None
    to_timestamp: float | None = None


class LeRobotLayout(BaseModel):
    """A parsed ``meta/info.json``: version, rates, totals, features and path templates.

    `root` is the folder inside the archive that contains ``meta/`` (usually
    empty); every member path this class returns already includes it.
    """

    model_config = ConfigDict(frozen=True)

    version: str
    fps: float
    total_episodes: int
    total_frames: int
    total_tasks: int | None
    total_videos: int | None
    total_chunks: int | None
    chunks_size: int
    splits: dict[str, tuple[int, int]]
    features: dict[str, Feature]
    data_path: str
    video_path: str | None
    robot_type: str | None = None
    root: str = ""
    info: dict[str, Any] = Field(default_factory=dict, repr=False)

    @property
    def is_v3(self) -> bool:
        return self.version == "v3.0"

    @property
    def video_keys(self) -> list[str]:
        """Keys of the features stored as MP4 files, in declaration order."""
        return [key for key, feature in self.features.items() if feature.is_video]

    def member(self, path: str) -> str:
        """Return the archive member name of a path relative to the dataset root."""
        return self.root + path

    def episode_chunk(self, episode_index: int) -> int:
        return episode_index // self.chunks_size

    def data_file(self, episode_index: int) -> str:
        """Return the data member of one episode (v2.x only: v3.0 needs the episodes metadata)."""
        self._require_v2("data_file")
        path = self.data_path.format(episode_chunk=self.episode_chunk(episode_index), episode_index=episode_index)
        return self.member(path)

    def video_file(self, episode_index: int, video_key: str) -> str:
        """Return the video member of one episode and camera (v2.x only)."""
        self._require_v2("video_file")
        if self.video_path is None:
            raise ValueError("the layout declares no video_path")
        path = self.video_path.format(
            episode_chunk=self.episode_chunk(episode_index), episode_index=episode_index, video_key=video_key
        )
        return self.member(path)

    def data_file_v3(self, chunk_index: int, file_index: int) -> str:
        return self.member(self.data_path.format(chunk_index=chunk_index, file_index=file_index))

    def video_file_v3(self, video_key: str, chunk_index: int, file_index: int) -> str:
        if self.video_path is None:
            raise ValueError("the layout declares no video_path")
        path = self.video_path.format(video_key=video_key, chunk_index=chunk_index, file_index=file_index)
        return self.member(path)

    def data_glob(self) -> str:
        """Return a glob matching every data file the `data_path` template can name."""
        return self.member(template_glob(self.data_path))

    def video_glob(self) -> str | None:
        if self.video_path is None:
            return None
        return self.member(template_glob(self.video_path))

    def data_file_indices(self, member: str) -> dict[str, int] | None:
        """Parse the template fields (chunk, episode or file index) out of a data member name."""
        if not member.startswith(self.root):
            return None
        match = template_regex(self.data_path).fullmatch(member[len(self.root):])
        if match is None:
            return None
        return {name: int(value) for name, value in match.groupdict().items()}

    def expected_data_files(self, episodes: Iterable[Any] | None = None) -> dict[str, list[int]]:
        """Map each data member the layout declares to the episodes stored in it.

        `episodes` are records from `worker.lerobot.episodes` (anything with
        `episode_index`, and for v3.0 `data_chunk_index`/`data_file_index`).
        Without them, v2.x assumes episodes ``0 .. total_episodes-1`` and v3.0
        can name no file, so it returns an empty mapping.
        """
        files: dict[str, list[int]] = {}
        if self.is_v3:
            for record in episodes or []:
                if record.data_chunk_index is None or record.data_file_index is None:
                    continue
                member = self.data_file_v3(record.data_chunk_index, record.data_file_index)
                files.setdefault(member, []).append(record.episode_index)
            return files
        for index in self._episode_indices(episodes):
            files.setdefault(self.data_file(index), []).append(index)
        return files

    def expected_videos(self, episodes: Iterable[Any] | None = None) -> list[ExpectedVideo]:
        """List every (episode, camera) video the layout declares, with its member.

        v3.0 reads file indices and timestamps from the episodes metadata
        records (`videos[key]`). An episode whose record lacks them for a key
        is listed at chunk 0, file 0, where LeRobot writes its first video.
        """
        keys = self.video_keys
        if not keys or self.video_path is None:
            return []
        if not self.is_v3:
            return [
                ExpectedVideo(index, key, self.video_file(index, key))
                for index in self._episode_indices(episodes)
                for key in keys
            ]
        expected = []
        for record in episodes or []:
            for key in keys:
                span = record.videos.get(key)
                if span is None:
                    expected.append(ExpectedVideo(record.episode_index, key, self.video_file_v3(key, 0, 0)))
                    continue
                member = self.video_file_v3(key, span.chunk_index or 0, span.file_index or 0)
                expected.append(
                    ExpectedVideo(record.episode_index, key, member, span.from_timestamp, span.to_timestamp)
                )
        return expected

    def _episode_indices(self, episodes: Iterable[Any] | None) -> list[int]:
        if episodes is None:
            return list(range(self.total_episodes))
        return [record.episode_index for record in episodes]

    def _require_v2(self, what: str) -> None:
        if self.is_v3:
            raise ValueError(f"{what} needs a v2.x layout; v3.0 file names come from the episodes metadata")


def template_fields(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def template_glob(template: str) -> str:
    """Turn a path template into a glob by replacing each ``{field}`` with ``*``."""
    return re.sub(r"\{[^{}]*\}", "*", template)


def template_regex(template: str) -> re.Pattern[str]:
    """Turn a path template into a regex with one named group per integer field."""
    parts = []
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is None:
            continue
        if field == "video_key":
            parts.append(r"(?:[^/]+)")
        else:
            parts.append(rf"(?P<{field}>\d+)")
    return re.compile("".join(parts))


def parse_splits(splits: dict[str, str]) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Parse ``{"train": "0:8"}`` into half-open episode ranges, with a problem per bad entry."""
    parsed: dict[str, tuple[int, int]] = {}
    problems = []
    for name, value in splits.items():
        match = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", str(value))
        if match is None:
            problems.append(f"splits.{name} is {value!r}, expected 'start:end' episode indices such as '0:8'")
            continue
        start, end = int(match.group(1)), int(match.group(2))
        if end < start:
            problems.append(f"splits.{name} is {value!r}: its end is before its start")
            continue
        parsed[name] = (start, end)
    return parsed, problems


_V2_DATA_FIELDS = {"episode_chunk", "episode_index"}
_V3_DATA_FIELDS = {"chunk_index", "file_index"}


def _check_templates(info: _Info) -> list[str]:
    problems = []
    data_fields = _V3_DATA_FIELDS if info.codebase_version == "v3.0" else _V2_DATA_FIELDS
    unknown = set(template_fields(info.data_path)) - data_fields
    if unknown:
        problems.append(
            f"data_path {info.data_path!r} uses unknown fields {sorted(unknown)} for {info.codebase_version} "
            f"(allowed: {sorted(data_fields)})"
        )
    has_video = any(spec.get("dtype") == "video" for spec in info.features.values())
    if has_video and not info.video_path:
        problems.append("features declare video streams but video_path is missing")
    if info.video_path:
        unknown = set(template_fields(info.video_path)) - data_fields - {"video_key"}
        if unknown:
            problems.append(f"video_path {info.video_path!r} uses unknown fields {sorted(unknown)}")
    return problems


def _parse_features(raw: dict[str, dict[str, Any]]) -> tuple[dict[str, Feature], list[str]]:
    features: dict[str, Feature] = {}
    problems = []
    for key, spec in raw.items():
        if not isinstance(spec, dict):
            problems.append(f"features.{key} is {type(spec).__name__}, expected an object with dtype and shape")
            continue
        try:
            features[key] = Feature(key=key, **{k: v for k, v in spec.items() if k != "key"})
        except ValidationError as error:
            for item in error.errors():
                where = ".".join(str(part) for part in item["loc"])
                problems.append(f"features.{key}.{where}: {item['msg']}")
    return features, problems


def parse_info(info: Any, root: str = "") -> LeRobotLayout:
    """Validate a decoded info.json and build the layout, or raise `LayoutError` listing every problem."""
    if not isinstance(info, dict):
        raise LayoutError([f"{INFO_PATH} contains a JSON {type(info).__name__}, expected an object"])
    try:
        parsed = _Info.model_validate(info)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"])
            problems.append(f"{where}: {item['msg']}" if item["type"] != "missing" else f"required key {where} is missing")
        raise LayoutError(problems) from error
    features, problems = _parse_features(parsed.features)
    splits, split_problems = parse_splits(parsed.splits)
    problems += split_problems + _check_templates(parsed)
    if problems:
        raise LayoutError(problems)
    return LeRobotLayout(
        version=parsed.codebase_version,
        fps=parsed.fps,
        total_episodes=parsed.total_episodes,
        total_frames=parsed.total_frames,
        total_tasks=parsed.total_tasks,
        total_videos=parsed.total_videos,
        total_chunks=parsed.total_chunks,
        chunks_size=parsed.chunks_size,
        splits=splits,
        features=features,
        data_path=parsed.data_path,
        video_path=parsed.video_path,
        robot_type=parsed.robot_type,
        root=root,
        info=info,
    )


def find_info_member(source: DatasetSource) -> str | None:
    """Find ``meta/info.json`` at the root, or in the only subfolder that contains one."""
    if source.member(INFO_PATH) is not None:
        return INFO_PATH
    candidates = [m.name for m in source.glob("**/" + INFO_PATH)]
    return candidates[0] if len(candidates) == 1 else None


def read_layout(source: DatasetSource) -> LeRobotLayout | None:
    """Read and parse the layout of a dataset, or return None when it has no ``meta/info.json``.

    Raises `LayoutError` when the file exists but is unreadable or invalid.
    """
    member = find_info_member(source)
    if member is None:
        return None
    root = member[: -len(INFO_PATH)]
    size = source.member(member).size  # type: ignore[union-attr]
    if size > MAX_INFO_BYTES:
        raise LayoutError([f"{member} is {size:,} bytes, larger than any real info.json (limit {MAX_INFO_BYTES:,})"])
    try:
        data = source.read_bytes(member)
    except ArchiveError as error:
        raise LayoutError([f"{member} cannot be read from the archive: {error}"]) from error
    if is_lfs_pointer(data):
        raise LayoutError([f"{member} is a Git LFS pointer file, not JSON; fetch the LFS objects before packing"])
    try:
        info = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LayoutError([f"{member} is not valid JSON: {error}"]) from error
    except RecursionError as error:
        raise LayoutError([f"{member} is not valid JSON: nested too deeply to parse"]) from error
    return parse_info(info, root=root)


def load_layout(ctx: Any) -> LeRobotLayout | None:
    """Return the dataset's layout, parsing ``meta/info.json`` once per dataset via `ctx.cache`.

    Returns None when the dataset has no info.json and raises `LayoutError`
    (the same one on every call) when it is invalid.
    """
    cached = ctx.cache.get(_CACHE_KEY)
    if cached is None:
        try:
            cached = read_layout(ctx.source)
        except LayoutError as error:
            cached = error
        ctx.cache[_CACHE_KEY] = cached if cached is not None else False
    if cached is False:
        return None
    if isinstance(cached, LayoutError):
        raise cached
    return cached
