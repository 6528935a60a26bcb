"""Frame sampling, black and frozen frame detection, and thumbnails on clips encoded in the test."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from worker.video.frame_faults import SamplePlan, black_finding, frozen_finding, frozen_run, windows_for_run
from worker.video.sampling import longest_run, sample_frames
from worker.video.synthetic import noise_frames, solid_frames, write_clip
from worker.video.thumbnails import grab_frames


@pytest.fixture
def mixed_clip(tmp_path: Path) -> Path:
    """Write 10 noise, 20 identical gray, 10 noise and 5 black frames at 10 fps."""
    frames = itertools.chain(noise_frames(10), solid_frames(20, 128), noise_frames(10, seed=1), solid_frames(5, 0))
    return write_clip(tmp_path / "mixed.mp4", frames, fps=10)


def test_sample_whole(mixed_clip: Path) -> None:
    sample = sample_frames(mixed_clip)
    assert sample.frames == 45
    assert sample.windows == 1
    assert sample.complete
    assert int((sample.mean_luma <= 16).sum()) == 5
    assert int(np.isnan(sample.diff_to_previous).sum()) == 1


def test_sample_windows(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "long.mp4", noise_frames(100), fps=10)
    sample = sample_frames(clip, max_frames=40, windows=4)
    assert sample.frames == 40
    assert sample.windows == 4
    assert int(np.isnan(sample.diff_to_previous).sum()) == 4
    # Windows of 10 frames start at 0 s and end at the last frame (9.9 s).
    assert sample.times_s[0] == pytest.approx(0.0)
    assert sample.times_s[10] == pytest.approx(3.0)
    assert sample.times_s[-1] == pytest.approx(9.9)


def test_sample_budget(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", noise_frames(30), fps=10)
    sample = sample_frames(clip, time_budget_s=0.0)
    assert not sample.complete
    assert sample.frames == 0


def test_longest_run() -> None:
    assert longest_run(np.array([True, False, True, True, True, False, True])) == (3, 2)
    assert longest_run(np.array([False, False])) == (0, -1)


def test_frozen_run(mixed_clip: Path) -> None:
    frames, start_s = frozen_run(sample_frames(mixed_clip), max_diff=0.2)
    assert frames == 20
    assert start_s == pytest.approx(1.0)


def test_frozen_finding(mixed_clip: Path) -> None:
    sample = sample_frames(mixed_clip)
    finding = frozen_finding("mixed.mp4", sample, max_diff=0.2, max_frozen_s=1.5)
    assert finding is not None
    assert finding.value == pytest.approx(2.0)
    assert "20 near-identical consecutive frames (2.00 s, allowed 1.5 s) from 1.00 s" in finding.text
    assert frozen_finding("mixed.mp4", sample, max_diff=0.2, max_frozen_s=2.0) is None


def test_black_finding(mixed_clip: Path) -> None:
    sample = sample_frames(mixed_clip)
    finding = black_finding("mixed.mp4", sample, max_luma=16, max_fraction=0.1)
    assert finding is not None
    assert finding.value == 5
    assert "5 of 45 sampled frames near-black (11%" in finding.text
    assert black_finding("mixed.mp4", sample, max_luma=16, max_fraction=0.12) is None


def test_windows_for_run() -> None:
    plan = SamplePlan(max_frames=300, windows=3, width=64)
    assert windows_for_run(plan, 30.0, 2.0) == 3
    assert windows_for_run(plan, 60.0, 2.0) == 2
    assert windows_for_run(plan, 30.0, 20.0) == 1
    assert windows_for_run(plan, None, 2.0) == 3


def test_grab_jpeg(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", noise_frames(30), fps=10)
    thumbnails = grab_frames(clip, count=3, width=32)
    assert len(thumbnails) == 3
    assert [t.mime_type for t in thumbnails] == ["image/jpeg"] * 3
    assert all(t.data.startswith(b"\xff\xd8") for t in thumbnails)
    assert (thumbnails[0].width, thumbnails[0].height) == (32, 24)
    assert [t.time_s for t in thumbnails] == pytest.approx([0.5, 1.5, 2.5])


def test_grab_png(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", noise_frames(10), fps=10)
    thumbnails = grab_frames(clip, count=1, image_format="png")
    assert len(thumbnails) == 1
    assert thumbnails[0].data.startswith(b"\x89PNG\r\n\x1a\n")
    assert (thumbnails[0].width, thumbnails[0].height) == (320, 240)


def test_grab_count_invalid(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", noise_frames(5), fps=10)
    with pytest.raises(ValueError, match="count must be at least 1"):
        grab_frames(clip, count=0)
