"""Video checks report an unreadable video as "cannot check", not as the fault they look for."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gerra_emulator.demo.archive import write_zip
from gerra_emulator.demo.synthetic import generated_video_members, render_clip
from worker.archive.source import open_source
from worker.checks.context import CheckContext, DatasetInfo
from worker.checks.registry import get_check
from worker.checks.results import CheckResult, Status
from worker.video.synthetic import noise_frames, solid_frames, write_clip

CLIP_SECONDS = 3.0
CRC_REASON = "member video.mp4 fails its CRC-32 check: the data is corrupt"
CANNOT_CHECK = f"cannot check 1 of 1 videos: video.mp4 is not a readable video ({CRC_REASON})"
SAMPLED_CHECKS = ["video.black_frames", "video.frozen_frames"]
RULES = """\
suite: generated
applies_to:
  data_type: synthetic_pov
rules:
  - id: black
    check: video.black_frames
  - id: frozen
    check: video.frozen_frames
  - id: duration
    check: video.duration_matches_metadata
"""


def run(name: str, root: Path, **args: Any) -> CheckResult:
    """Run one registered check on a folder or ZIP that states a clip duration and return its only result."""
    spec = get_check(name)
    assert spec is not None, f"{name} is not registered"
    work_dir = root.parent / f"work-{root.name}"
    metadata = {"duration_seconds": CLIP_SECONDS}
    with open_source(root, work_dir) as source:
        ctx = CheckContext(
            source=source,
            dataset=DatasetInfo(id="d1", name="d1", data_type="synthetic_pov", metadata=metadata),
            work_dir=work_dir,
        )
        results = spec.function(ctx, spec.args_model(**args))
    assert len(results) == 1
    return results[0]


def demo_members() -> dict[str, bytes]:
    return generated_video_members(render_clip(np.random.default_rng(7), "pov", CLIP_SECONDS))


@pytest.fixture
def crc_archive(tmp_path: Path) -> Path:
    """Write a generated-video delivery whose stored video.mp4 fails its CRC-32 check."""
    path = write_zip(tmp_path / "vid.zip", demo_members())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("video.mp4")
    assert info.compress_type == zipfile.ZIP_STORED
    # The local header is 30 bytes, then the name and the extra field.
    data_start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(path.read_bytes())
    middle = data_start + info.file_size // 2
    damaged[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(damaged))
    return path


@pytest.fixture
def truncated_archive(tmp_path: Path) -> Path:
    members = demo_members()
    members["video.mp4"] = members["video.mp4"][: len(members["video.mp4"]) // 3]
    return write_zip(tmp_path / "truncated.zip", members)


def test_intact_clip_passes(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "ok.zip", demo_members())
    for name in [*SAMPLED_CHECKS, "video.duration_matches_metadata"]:
        assert run(name, path).status is Status.PASSED, name


@pytest.mark.parametrize("name", [*SAMPLED_CHECKS, "video.duration_matches_metadata"])
def test_crc_failure_cannot_check(crc_archive: Path, name: str) -> None:
    result = run(name, crc_archive)
    assert result.status is Status.FAILED
    assert result.message == CANNOT_CHECK
    assert result.failed_count == 1
    assert result.total_count == 1
    assert result.member == "video.mp4"


@pytest.mark.parametrize("name", [*SAMPLED_CHECKS, "video.duration_matches_metadata"])
def test_truncated_clip_cannot_check(truncated_archive: Path, name: str) -> None:
    result = run(name, truncated_archive)
    assert result.status is Status.FAILED
    assert result.message.startswith("cannot check 1 of 1 videos: video.mp4 is not a readable video (")
    assert result.failed_count == 1


def test_decodes_still_names_fault(crc_archive: Path) -> None:
    result = run("video.decodes", crc_archive)
    assert result.status is Status.FAILED
    assert result.message == f"1 of 1 videos do not decode: video.mp4 is not a readable video ({CRC_REASON})"


def test_fault_and_unreadable_separate(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "ok.mp4", noise_frames(20), fps=10)
    write_clip(root / "dark.mp4", itertools.chain(noise_frames(10), solid_frames(5, 0)), fps=10)
    members = demo_members()
    (root / "bad.mp4").write_bytes(members["video.mp4"][:500])

    result = run("video.black_frames", root)

    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.total_count == 3
    faults, unchecked = result.message.split("; cannot check ")
    assert faults.startswith("1 of 3 videos have too many near-black frames: dark.mp4 has 5 of 15 sampled frames near-black")
    assert unchecked.startswith("1 of 3 videos: bad.mp4 is not a readable video (")


def test_cli_reports_cannot_check(crc_archive: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "generated.yaml").write_text(RULES, encoding="utf-8")
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    args = [
        sys.executable, "-m", "worker", "check", str(crc_archive), "--data-type", "synthetic_pov",
        "--rules", str(rules), "--metadata", f"duration_seconds={CLIP_SECONDS}", "--json",
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)

    report = json.loads(done.stdout)
    assert report["verdict"] == "reject"
    messages = {result["rule"]: result["message"] for result in report["results"]}
    assert messages == {"black": CANNOT_CHECK, "frozen": CANNOT_CHECK, "duration": CANNOT_CHECK}
    assert "too many near-black frames" not in report["reason"]
    assert "videos freeze" not in report["reason"]
