"""The hostile deliveries: how each archive is built and the verdict a correct gate reaches on it.

Most cases start from a valid tiny delivery (telemetry tables, a LeRobot
v2.1 layout or a generated clip) and add or break one thing, so the verdict
and the reason can only come from that one thing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gerra_emulator.demo.lerobot import v21_members
from gerra_emulator.demo.recording import SO100, simulate_recording
from gerra_emulator.demo.synthetic import generated_video_members, render_clip
from gerra_emulator.demo.telemetry import RATE_HZ, simulate_arm_log, telemetry_members

from .zips import ENCRYPTED_FLAG, SYMLINK, Entry, deflated, stored, write_zip, zeros_deflated, zip_bytes

GIB = 1024**3
# The gate's limit on entries is lowered to this for the many-members case.
MAX_MEMBERS = 500
DEEP_JSON_LEVELS = 5_000
# A unique absolute path, so its absence after the run proves nothing was written there.
ABSOLUTE_TARGET = f"/tmp/gerra-hostile-{uuid.uuid4().hex}/pwned.txt"
ESCAPE_NAME = f"escape-{uuid.uuid4().hex}.txt"

Members = dict[str, bytes]
TELEMETRY = ("telemetry", {"robot_type": "ur5e", "sample_rate_hz": RATE_HZ})
EPISODE = ("episode", {"robot_type": "so100", "episodes": 2, "fps": 30})
CLIP = ("synthetic_pov", {"duration_seconds": 1.0, "fps": 20})


@dataclass(frozen=True)
class HostileCase:
    """One hostile delivery: its archive builder, Gerra fields and expected outcome."""

    slug: str
    data_type: str
    metadata: dict[str, Any]
    build: Callable[[Path], Path]
    verdict: str
    reason_words: tuple[str, ...] = ()


def _telemetry() -> Members:
    joints, temperatures = simulate_arm_log(np.random.default_rng(3), 2.0)
    return telemetry_members(joints, temperatures)


def _episode() -> Members:
    return v21_members(simulate_recording(np.random.default_rng(4), SO100, ["Pick up the cube"], (), [20, 22], 30))


def _entries(members: Members) -> list[Entry]:
    return [deflated(name, data) for name, data in sorted(members.items())]


def _with(members: Members, *extra: Entry, replace: dict[str, Entry] | None = None) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        replaced = replace or {}
        entries = [replaced.get(entry.name, entry) for entry in _entries(members)]
        return write_zip(path, entries + list(extra))

    return build


def _nested_bomb() -> bytes:
    return zip_bytes([zeros_deflated("zeros.bin", GIB)])


def _deep_json() -> bytes:
    return b"[" * DEEP_JSON_LEVELS + b"]" * DEEP_JSON_LEVELS


def _broken_parquet_footer(members: Members) -> Entry:
    data = members["joints.parquet"]
    # The last 8 bytes are the footer length and the magic "PAR1".
    return stored("joints.parquet", data[:-8] + b"\xff\xff\xff\x7fNOPE")


def _ragged_csv(members: Members) -> Entry:
    lines = members["temperatures.csv"].decode().splitlines()
    lines[5] = lines[5] + ",1.0,2.0"
    return deflated("temperatures.csv", ("\n".join(lines) + "\n").encode())


def _invalid_utf8_csv(members: Members) -> Entry:
    lines = members["temperatures.csv"].splitlines()
    lines[0] = lines[0].replace(b"timestamp", b"times\xff\xfetamp")
    return deflated("temperatures.csv", b"\n".join(lines) + b"\n")


def _crc_mismatch(members: Members) -> Entry:
    entry = stored("temperatures.csv", members["temperatures.csv"])
    entry.crc ^= 0xDEADBEEF
    return entry


def _broken_mp4() -> Members:
    members = generated_video_members(render_clip(np.random.default_rng(5), "pov", 1.0))
    video = bytearray(members["video.mp4"])
    # Keep the ftyp box, overwrite the box headers after it with garbage.
    video[32:160] = bytes(range(128))
    members["video.mp4"] = bytes(video)
    return members


def build_cases() -> list[HostileCase]:
    """Return every hostile case."""
    telemetry = _telemetry()
    episode = _episode()
    encrypted = deflated("joints.parquet", telemetry["joints.parquet"], flags=ENCRYPTED_FLAG)
    deep_info = dict(episode, **{"meta/info.json": _deep_json()})
    return [
        HostileCase("bomb-ratio", *TELEMETRY, _with(telemetry, zeros_deflated("raw/joints-dump.bin", GIB)),
                    "reject", ("expands", "limit 200x")),
        HostileCase("bomb-hidden", *TELEMETRY,
                    _with(telemetry, zeros_deflated("raw/currents.csv", GIB, declared_size=4096)),
                    "reject", ("raw/currents.csv", "inflates beyond its declared size")),
        HostileCase("many-members", *TELEMETRY,
                    _with(telemetry, *[stored(f"notes/{index:04d}.txt", b"x") for index in range(MAX_MEMBERS)]),
                    "reject", ("entries", f"limit {MAX_MEMBERS}")),
        HostileCase("nested-bomb", *TELEMETRY, _with(telemetry, stored("backup/inner.zip", _nested_bomb())),
                    "accept"),
        HostileCase("dot-dot-path", *TELEMETRY, _with(telemetry, stored(f"../../{ESCAPE_NAME}", b"pwned")),
                    "reject", ("'..' segment",)),
        HostileCase("absolute-path", *TELEMETRY, _with(telemetry, stored(ABSOLUTE_TARGET, b"pwned")),
                    "reject", ("absolute path",)),
        HostileCase("symlink", *TELEMETRY,
                    _with(telemetry, stored("channels-link.json", b"/etc/passwd", external_attr=SYMLINK)),
                    "reject", ("symbolic link",)),
        HostileCase("encrypted", *TELEMETRY, _with(telemetry, replace={"joints.parquet": encrypted}),
                    "reject", ("encrypted",)),
        HostileCase("crc-error", *TELEMETRY, _with(telemetry, replace={"temperatures.csv": _crc_mismatch(telemetry)}),
                    "reject", ("temperatures.csv fails its CRC-32 check",)),
        HostileCase("duplicate-name", *TELEMETRY, _with(telemetry, stored("temperatures.csv", b"timestamp\n0.0\n")),
                    "reject", ("temperatures.csv appears more than once",)),
        HostileCase("truncated-directory", *TELEMETRY, _truncated_directory(telemetry), "reject",
                    ("central directory", "the file was cut")),
        HostileCase("parquet-footer", *TELEMETRY,
                    _with(telemetry, replace={"joints.parquet": _broken_parquet_footer(telemetry)}),
                    "reject", ("joints.parquet", "Parquet magic bytes not found in footer")),
        HostileCase("csv-ragged", *TELEMETRY, _with(telemetry, replace={"temperatures.csv": _ragged_csv(telemetry)}),
                    "reject", ("temperatures.csv", "Expected 7 columns, got 9")),
        HostileCase("csv-invalid-utf8", *TELEMETRY,
                    _with(telemetry, replace={"temperatures.csv": _invalid_utf8_csv(telemetry)}),
                    "reject", ("temperatures.csv", "not valid UTF-8")),
        HostileCase("jsonl-deep", *TELEMETRY, _with(telemetry, stored("events.jsonl", _deep_json() + b"\n")),
                    "reject", ("events.jsonl", "nested too deeply")),
        HostileCase("info-json-deep", *EPISODE, _with(deep_info), "reject", ("meta/info.json", "not valid JSON")),
        HostileCase("mp4-broken-header", *CLIP, _with(_broken_mp4()), "reject", ("video.mp4 is not a readable video",)),
    ]


def _truncated_directory(members: Members) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        return write_zip(path, _entries(members), central_directory_cut=30)

    return build
