"""Size, count and path limits an archive must meet before any member is read.

The defaults are generous for robot-learning deliveries (stored video and
Parquet, compressed JSON metadata). They are tight enough that a ZIP bomb
whose headers state its real size is rejected from the central directory
alone. A bomb with false sizes is caught while its member is read.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

DEFAULT_MAX_TOTAL_SIZE = 16 * GIB
DEFAULT_MAX_MEMBER_SIZE = 4 * GIB
DEFAULT_MAX_MEMBERS = 100_000
# NOTE: the ratio limits are estimates. Deflate reaches about 1,030x on
# constant data, while repetitive CSV telemetry compresses well under 100x.
DEFAULT_MAX_MEMBER_RATIO = 200.0
DEFAULT_MAX_TOTAL_RATIO = 100.0
DEFAULT_RATIO_MIN_SIZE = 1 * MIB
DEFAULT_MAX_PATH_LENGTH = 1024
DEFAULT_MAX_PATH_DEPTH = 32
# NAME_MAX of Linux file systems (ext4, xfs, tmpfs): a longer segment cannot be extracted.
DEFAULT_MAX_SEGMENT_BYTES = 255
# zipfile keeps every central directory entry in memory, so the directory size
# is capped before parsing. By estimate, 32 MiB fits 100,000 entries with names
# of about 250 characters.
DEFAULT_MAX_CENTRAL_DIRECTORY_SIZE = 32 * MIB


class ArchiveLimits(BaseModel):
    """Limits checked when an archive is opened; sizes are uncompressed bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_total_size: int = Field(
        DEFAULT_MAX_TOTAL_SIZE, gt=0, description="Max sum of member sizes, in bytes."
    )
    max_member_size: int = Field(
        DEFAULT_MAX_MEMBER_SIZE, gt=0, description="Max size of one member, in bytes."
    )
    max_members: int = Field(
        DEFAULT_MAX_MEMBERS, gt=0, description="Max number of entries, folders included."
    )
    max_member_ratio: float = Field(
        DEFAULT_MAX_MEMBER_RATIO,
        gt=1,
        description="Max uncompressed/compressed size of one member.",
    )
    max_total_ratio: float = Field(
        DEFAULT_MAX_TOTAL_RATIO,
        gt=1,
        description="Max sum of member sizes divided by the archive file size.",
    )
    ratio_min_size: int = Field(
        DEFAULT_RATIO_MIN_SIZE,
        ge=0,
        description="Members (and totals) smaller than this many bytes skip the ratio limits.",
    )
    max_path_length: int = Field(
        DEFAULT_MAX_PATH_LENGTH, gt=0, description="Max characters of a member name."
    )
    max_path_depth: int = Field(
        DEFAULT_MAX_PATH_DEPTH, gt=0, description="Max number of segments of a member name."
    )
    max_segment_bytes: int = Field(
        DEFAULT_MAX_SEGMENT_BYTES,
        gt=0,
        description="Max UTF-8 bytes of one segment (folder or file name).",
    )
    max_central_directory_size: int = Field(
        DEFAULT_MAX_CENTRAL_DIRECTORY_SIZE,
        gt=0,
        description="Max size of the ZIP central directory, in bytes.",
    )
