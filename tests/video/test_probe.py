"""Probing and decoding of real video files encoded with PyAV in the test."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import numpy as np
import pytest

from worker.archive.source import open_source
from worker.video.decode import decode_video, frame_times
from worker.video.probe import VideoOpenError, normalize_codec, probe_video
from worker.video.synthetic import noise_frames, solid_frames, write_clip



def truncated_faststart_clip(path: Path, frames: int = 30, keep: float = 0.6) -> Path:
    """Write a clip with its index first, then cut it so the index names frames that are gone."""
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for rgb in noise_frames(frames):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(stream.encode(None))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def test_probe_h264(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", noise_frames(20), fps=10)
    probe = probe_video(clip)
    assert probe.codec == "h264"
    assert probe.pix_fmt == "yuv420p"
    assert (probe.width, probe.height) == (64, 48)
    assert probe.fps == 10.0
    assert probe.frame_count == 20
    assert probe.frame_count_source == "container"
    assert probe.duration_s == pytest.approx(2.0)


def test_probe_av1(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", noise_frames(12, 64, 64), fps=30, codec="libsvtav1")
    probe = probe_video(clip)
    assert probe.codec == "av1"
    assert probe.frame_count == 12
    assert probe.duration_s == pytest.approx(0.4)


def test_probe_counts_decoded(tmp_path: Path) -> None:
    clip = truncated_faststart_clip(tmp_path / "cut.mp4")
    probe = probe_video(clip, count_frames=True)
    assert probe.frame_count_source == "decoded"
    assert 0 < probe.frame_count < 30


def test_probe_garbage(tmp_path: Path) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(500))
    with pytest.raises(VideoOpenError, match="cannot parse the container"):
        probe_video(path)


def test_probe_audio_only(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(VideoOpenError, match="no video stream"):
        probe_video(path)


def test_codec_aliases() -> None:
    assert normalize_codec("libdav1d") == "av1"
    assert normalize_codec("AVC1") == "h264"
    assert normalize_codec("h265") == "hevc"
    assert normalize_codec("vp9") == "vp9"


def test_decode_full(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", noise_frames(25), fps=10)
    report = decode_video(clip)
    assert report.complete
    assert report.frames == 25
    assert report.packets == 25
    assert report.error is None
    assert report.last_time_s == pytest.approx(2.4)


def test_decode_keyframes(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", noise_frames(30), fps=10, options={"g": "10", "sc_threshold": "0"})
    report = decode_video(clip, mode="keyframes")
    assert report.complete
    assert report.frames == 3
    assert report.packets == 30


def test_decode_packets_only(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", noise_frames(30), fps=10)
    report = decode_video(clip, mode="packets")
    assert report.frames == 0
    assert report.packets == 30
    assert report.complete


def test_decode_budget(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", noise_frames(30), fps=10)
    report = decode_video(clip, time_budget_s=0.0)
    assert report.timed_out
    assert not report.complete
    assert report.frames < 30


def test_decode_truncated(tmp_path: Path) -> None:
    clip = truncated_faststart_clip(tmp_path / "cut.mp4")
    assert probe_video(clip).frame_count == 30
    report = decode_video(clip, mode="packets")
    assert report.complete
    assert report.packets < 30


def test_decode_corrupt(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", noise_frames(60), fps=30)
    data = bytearray(clip.read_bytes())
    start = len(data) // 3
    data[start : start + 2000] = bytes(b ^ 0x5A for b in data[start : start + 2000])
    clip.write_bytes(bytes(data))
    report = decode_video(clip)
    assert report.error is not None
    assert not report.complete
    assert report.frames < 60


def test_frame_times(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4", itertools.chain(noise_frames(4), solid_frames(4, 0)), fps=4)
    assert frame_times(clip) == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75])
    assert frame_times(clip, decoded=True) == pytest.approx(frame_times(clip))


def test_real_cockatoo(real_datasets_dir: Path, tmp_path: Path) -> None:
    with open_source(real_datasets_dir / "cockatoo-pov.zip", tmp_path) as source:
        probe = probe_video(source.local_path("video.mp4"))
    assert probe.codec == "h264"
    assert (probe.width, probe.height) == (1280, 720)
    assert probe.fps == 20.0
    assert probe.frame_count == 280
    assert probe.duration_s == pytest.approx(14.0)
