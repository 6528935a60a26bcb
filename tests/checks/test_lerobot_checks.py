"""The lerobot.* built-in checks on datasets built in the test and on the real deliveries."""

from __future__ import annotations

import json
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from worker.checks.registry import all_checks
from worker.checks.results import Severity, Status
from worker.lerobot.layout import LayoutError, LeRobotLayout, flatten_names, parse_info, template_glob

FRAME_CHECKS = [
    "lerobot.info_totals",
    "lerobot.feature_shapes",
    "lerobot.schema_consistency",
    "lerobot.frame_index",
    "lerobot.timestamp_step",
    "lerobot.index_contiguous",
    "lerobot.episode_lengths",
    "lerobot.episode_order",
    "lerobot.finite_values",
    "lerobot.constant_dimensions",
]
LEROBOT_CHECKS = sorted(name for name in all_checks() if name.startswith("lerobot."))
EPISODE_1 = "data/chunk-000/episode_000001.parquet"


def only(results):
    assert len(results) == 1, [r.message for r in results]
    return results[0]


# --- layout parsing ---------------------------------------------------------


def test_names_flat_nested_dict() -> None:
    assert flatten_names(["a", "b"]) == ["a", "b"]
    assert flatten_names([["a", "b", "c"]]) == ["a", "b", "c"]
    assert flatten_names({"motors": ["a", "b"]}) == ["a", "b"]
    assert flatten_names(None) is None


def test_template_glob() -> None:
    assert template_glob("videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4") == "videos/*/chunk-*/file-*.mp4"


def test_parse_info_problems(lerobot) -> None:
    info = lerobot().info
    info["splits"] = {"train": "zero:8"}
    info["fps"] = 0
    with pytest.raises(LayoutError) as raised:
        parse_info(info)
    assert len(raised.value.problems) == 1
    assert "fps" in raised.value.problems[0]
    info["fps"] = 30
    with pytest.raises(LayoutError) as raised:
        parse_info(info)
    assert raised.value.problems == ["splits.train is 'zero:8', expected 'start:end' episode indices such as '0:8'"]


def test_layout_v21_files(lerobot) -> None:
    layout = parse_info(lerobot().info)
    assert layout.data_file(1200) == "data/chunk-001/episode_001200.parquet"
    assert [v.member for v in layout.expected_videos()] == [
        f"videos/chunk-000/observation.images.front/episode_00000{e}.mp4" for e in range(3)
    ]
    assert layout.data_file_indices("data/chunk-000/episode_000002.parquet") == {"episode_chunk": 0, "episode_index": 2}


def test_layout_v30_needs_episodes(lerobot) -> None:
    layout = parse_info(lerobot(version="v3.0").info)
    assert layout.expected_data_files() == {}
    with pytest.raises(ValueError, match="v2.x"):
        layout.data_file(0)


def test_layout_cached(lerobot, run_check) -> None:
    root = lerobot().write()
    cache: dict = {}
    run_check(root, "lerobot.splits", cache=cache)
    assert isinstance(cache["lerobot.layout"], LeRobotLayout)
    assert "lerobot.frames" not in cache
    run_check(root, "lerobot.frame_index", cache=cache)
    assert cache["lerobot.frames"].num_rows == 15


# --- lerobot.layout ---------------------------------------------------------


@pytest.mark.parametrize("version", ["v2.0", "v2.1", "v3.0"])
def test_layout_pass(lerobot, run_check, version) -> None:
    result = only(run_check(lerobot(version=version).write(), "lerobot.layout"))
    assert result.status is Status.PASSED
    assert result.message == f"LeRobot {version} layout: 3 episodes, 15 frames at 30 fps, 1 video feature"


def test_layout_missing(tmp_path, run_check) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "table.csv").write_text("a\n1\n")
    layout = only(run_check(tmp_path / "data", "lerobot.layout"))
    assert layout.status is Status.FAILED
    assert "meta/info.json is missing" in layout.message
    skipped = only(run_check(tmp_path / "data", "lerobot.frame_index"))
    assert skipped.status is Status.SKIPPED
    assert "not a LeRobot dataset" in skipped.message
    required = only(run_check(tmp_path / "data", "lerobot.frame_index", require_layout=True))
    assert required.status is Status.FAILED


def test_layout_unknown_version(lerobot, run_check) -> None:
    builder = lerobot()
    builder.info["codebase_version"] = "v1.6"
    root = builder.write()
    result = only(run_check(root, "lerobot.layout"))
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert "'v1.6' is not a supported LeRobot version" in result.message
    dependent = only(run_check(root, "lerobot.frame_index"))
    assert dependent.status is Status.FAILED
    assert dependent.message.startswith("cannot check: meta/info.json is invalid")


def test_layout_missing_keys(lerobot, run_check) -> None:
    builder = lerobot()
    del builder.info["total_frames"]
    del builder.info["data_path"]
    result = only(run_check(builder.write(), "lerobot.layout"))
    assert result.failed_count == 2
    assert "required key total_frames is missing" in result.message
    assert "required key data_path is missing" in result.message


def test_layout_not_json(lerobot, run_check) -> None:
    root = lerobot().write()
    (root / "meta" / "info.json").write_text("{ not json")
    result = only(run_check(root, "lerobot.layout"))
    assert result.status is Status.FAILED
    assert "meta/info.json is not valid JSON" in result.message


def test_layout_required_features(lerobot, run_check) -> None:
    builder = lerobot()
    del builder.info["features"]["task_index"]
    root = builder.write()
    result = only(run_check(root, "lerobot.layout"))
    assert result.message == "meta/info.json: features lack task_index"
    narrowed = only(run_check(root, "lerobot.layout", required_features=["timestamp"], required_keys=["robot_type"]))
    assert narrowed.status is Status.PASSED
    versions = only(run_check(root, "lerobot.layout", versions=["v3.0"], required_features=[]))
    assert "codebase_version v2.1 is not accepted here (accepted: v3.0)" in versions.message


def test_layout_in_subfolder(lerobot, run_check, tmp_path) -> None:
    outer = tmp_path / "delivery"
    builder = lerobot()
    builder.root = outer / "g1"
    builder.write()
    (outer / "README.md").write_text("notes")
    for name in LEROBOT_CHECKS:
        for result in run_check(outer, name):
            assert result.status in (Status.PASSED, Status.SKIPPED), (name, result.message)


# --- lerobot.info_totals ----------------------------------------------------


def test_totals_pass(lerobot, run_check) -> None:
    result = only(run_check(lerobot().write(), "lerobot.info_totals"))
    assert result.status is Status.PASSED
    assert result.total_count == 4


def test_totals_fail(lerobot, run_check) -> None:
    builder = lerobot()
    builder.info["total_frames"] = 20
    builder.info["total_videos"] = 5
    result = only(run_check(builder.write(), "lerobot.info_totals"))
    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.total_count == 4
    assert "total_frames is 20 but there are 15 frames in the data" in result.message
    assert "total_videos is 5 but there are 3 video files" in result.message


def test_totals_missing_episode(lerobot, run_check) -> None:
    root = lerobot().write()
    (root / EPISODE_1).unlink()
    result = only(run_check(root, "lerobot.info_totals"))
    assert result.failed_count == 2
    assert "total_episodes is 3 but there are 2 episodes in the data" in result.message
    assert "total_frames is 15 but there are 11 frames in the data" in result.message


# --- lerobot.splits ---------------------------------------------------------


def test_splits_pass(lerobot, run_check) -> None:
    result = only(run_check(lerobot().write(), "lerobot.splits"))
    assert result.status is Status.PASSED


def test_splits_missing_episode(lerobot, run_check) -> None:
    builder = lerobot()
    builder.info["splits"] = {"train": "0:2"}
    result = only(run_check(builder.write(), "lerobot.splits"))
    assert result.status is Status.FAILED
    assert result.message == "splits (train 0:2) cover 2 of 3 episodes: 1 episode in no split (2)"
    assert result.failed_count == 1
    assert result.details["missing"] == [2]


def test_splits_overlap(lerobot, run_check) -> None:
    builder = lerobot()
    builder.info["splits"] = {"train": "0:3", "val": "1:3"}
    root = builder.write()
    result = only(run_check(root, "lerobot.splits"))
    assert result.failed_count == 2
    assert "2 episodes in more than one split (1-2)" in result.message
    assert only(run_check(root, "lerobot.splits", allow_overlap=True)).status is Status.PASSED


def test_splits_past_end(lerobot, run_check) -> None:
    builder = lerobot()
    builder.info["splits"] = {"train": "0:5"}
    result = only(run_check(builder.write(), "lerobot.splits"))
    assert result.failed_count == 1
    assert "reaches past the last episode 2" in result.message


# --- lerobot.feature_shapes -------------------------------------------------


def test_shapes_pass(lerobot, run_check) -> None:
    result = only(run_check(lerobot().write(), "lerobot.feature_shapes"))
    assert result.status is Status.PASSED
    assert result.total_count == 8


def test_shapes_names_mismatch(lerobot, run_check) -> None:
    builder = lerobot()
    builder.info["features"]["observation.state"]["names"] = ["shoulder", "elbow"]
    result = only(run_check(builder.write(), "lerobot.feature_shapes"))
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert "observation.state declares shape [3] but 2 names" in result.message


def test_shapes_width_mismatch(lerobot, run_check) -> None:
    builder = lerobot()
    builder.info["features"]["action"]["shape"] = [4]
    builder.info["features"]["action"]["names"] = ["a", "b", "c", "d"]
    result = only(run_check(builder.write(), "lerobot.feature_shapes"))
    assert result.failed_count == 1
    assert "action declares 4 values per frame but 3 of 3 data files have rows of 3" in result.message
    assert [e.member for e in result.examples] == [f"data/chunk-000/episode_00000{e}.parquet" for e in range(3)]


def test_shapes_ragged_list(lerobot, run_check) -> None:
    root = lerobot().write()
    table = pq.read_table(root / EPISODE_1)
    ragged = pa.array([[0.0, 1.0, 2.0], [0.0, 1.0], [0.0, 1.0, 2.0], [0.0, 1.0, 2.0]], type=pa.list_(pa.float32()))
    index = table.schema.get_field_index("action")
    pq.write_table(table.set_column(index, "action", ragged), root / EPISODE_1)
    result = only(run_check(root, "lerobot.feature_shapes"))
    assert result.failed_count == 1
    assert "action declares 3 values per frame but 1 of 3 data files have rows of 2" in result.message


def test_shapes_column_absent(lerobot, run_check) -> None:
    builder = lerobot()
    builder.info["features"]["observation.velocity"] = {"dtype": "float32", "shape": [3], "names": None}
    result = only(run_check(builder.write(), "lerobot.feature_shapes"))
    assert result.failed_count == 1
    assert "observation.velocity is declared but no data file has that column" in result.message


# --- lerobot.schema_consistency ---------------------------------------------


def test_schema_pass(lerobot, run_check) -> None:
    result = only(run_check(lerobot().write(), "lerobot.schema_consistency"))
    assert result.status is Status.PASSED


def test_schema_differs(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episodes[2]["extra"] = np.zeros(6)
    builder.episodes[1]["task_index"] = builder.episodes[1]["task_index"].astype(np.int32)
    result = only(run_check(builder.write(), "lerobot.schema_consistency"))
    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.total_count == 3
    assert "2 of 3 data files have a schema that differs from the other 1" in result.message
    assert f"{EPISODE_1}: task_index is int32 instead of int64" in result.message
    assert "episode_000002.parquet: has extra extra" in result.message


# --- lerobot.frame_index ----------------------------------------------------


def test_frame_index_pass(lerobot, run_check) -> None:
    result = only(run_check(lerobot().write(), "lerobot.frame_index"))
    assert result.status is Status.PASSED
    assert result.total_count == 3


def test_frame_index_gap(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episodes[1]["frame_index"][2:] += 1
    result = only(run_check(builder.write(), "lerobot.frame_index"))
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.details["bad_steps"] == 1
    assert result.message == (
        f"frame_index breaks in 1 of 3 episodes: 1 step that is not +1 (e.g. episode 1, {EPISODE_1} row 2: 1 -> 3)"
    )
    assert result.examples[0].row == 2


def test_frame_index_start(lerobot, run_check) -> None:
    builder = lerobot(version="v3.0")
    builder.episodes[2]["frame_index"] += 1
    result = only(run_check(builder.write(), "lerobot.frame_index"))
    assert result.failed_count == 1
    assert result.details["bad_starts"] == 1
    assert result.details["bad_steps"] == 0
    assert "1 episode not starting at 0 (e.g. episode 2 starts at 1)" in result.message


# --- lerobot.timestamp_step -------------------------------------------------


def test_timestamp_pass(lerobot, run_check) -> None:
    result = only(run_check(lerobot().write(), "lerobot.timestamp_step"))
    assert result.status is Status.PASSED
    assert result.total_count == 12


def test_timestamp_jump(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episodes[2]["timestamp"][3:] += 0.5
    result = only(run_check(builder.write(), "lerobot.timestamp_step"))
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.total_count == 12
    assert result.observed == pytest.approx(0.5 + 1 / 30, abs=1e-6)
    assert "1 timestamp step of 12 is not 1/30 s = 33.3 ms (tolerance 3.3 ms), in 1 of 3 episodes" in result.message
    assert "largest jump 0.533 s at episode 2, data/chunk-000/episode_000002.parquet row 3 (0.067 -> 0.600 s)" in result.message


def test_timestamp_tolerance(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episodes[0]["timestamp"][2] += 0.002
    root = builder.write()
    assert only(run_check(root, "lerobot.timestamp_step")).status is Status.PASSED
    strict = only(run_check(root, "lerobot.timestamp_step", tolerance_s=0.001))
    assert strict.failed_count == 2
    loose_frames = only(run_check(root, "lerobot.timestamp_step", tolerance_frames=0.01))
    assert loose_frames.failed_count == 2


def test_timestamp_nan(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episodes[1]["timestamp"][1] = np.nan
    result = only(run_check(builder.write(), "lerobot.timestamp_step"))
    assert result.failed_count == 2


# --- lerobot.index_contiguous -----------------------------------------------


def test_index_pass(lerobot, run_check) -> None:
    result = only(run_check(lerobot().write(), "lerobot.index_contiguous"))
    assert result.status is Status.PASSED
    assert result.message == "index runs 0..14 without gaps over 15 frames"


def test_index_break(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episodes[2]["index"] += 1
    result = only(run_check(builder.write(), "lerobot.index_contiguous"))
    assert result.failed_count == 1
    assert "1 break in 1 episode (e.g. episode 2, data/chunk-000/episode_000002.parquet row 0: 8 -> 10)" in result.message


def test_index_start(lerobot, run_check) -> None:
    builder = lerobot()
    for columns in builder.episodes:
        columns["index"] += 10
    root = builder.write()
    result = only(run_check(root, "lerobot.index_contiguous"))
    assert result.failed_count == 1
    assert "it starts at 10, expected 0" in result.message
    assert only(run_check(root, "lerobot.index_contiguous", start=None)).status is Status.PASSED


# --- lerobot.episode_lengths ------------------------------------------------


def test_lengths_pass(lerobot, run_check) -> None:
    for version in ("v2.1", "v3.0"):
        result = only(run_check(lerobot(version=version).write(), "lerobot.episode_lengths"))
        assert result.status is Status.PASSED, result.message


def test_lengths_mismatch(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episode_rows[1]["length"] = 5
    del builder.episode_rows[2]
    result = only(run_check(builder.write(), "lerobot.episode_lengths"))
    assert result.failed_count == 2
    assert result.total_count == 3
    assert "episode 1 has 4 frames, length 5" in result.message
    assert "1 episode in the data but not in the metadata (2)" in result.message


def test_lengths_no_metadata(lerobot, run_check) -> None:
    root = lerobot().write()
    (root / "meta" / "episodes.jsonl").unlink()
    result = only(run_check(root, "lerobot.episode_lengths"))
    assert result.status is Status.FAILED
    assert result.message == "cannot check: the episodes metadata (meta/episodes.jsonl) is missing"


def test_lengths_bad_jsonl(lerobot, run_check) -> None:
    root = lerobot().write()
    with open(root / "meta" / "episodes.jsonl", "a") as handle:
        handle.write("{broken\n")
    result = only(run_check(root, "lerobot.episode_lengths"))
    assert "meta/episodes.jsonl line 4 is not valid JSON" in result.message


# --- lerobot.episode_order --------------------------------------------------


def test_order_pass(lerobot, run_check) -> None:
    result = only(run_check(lerobot().write(), "lerobot.episode_order"))
    assert result.status is Status.PASSED


def test_order_swapped_files(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episodes[1]["episode_index"][:] = 2
    builder.episodes[2]["episode_index"][:] = 1
    result = only(run_check(builder.write(), "lerobot.episode_order"))
    assert result.status is Status.FAILED
    assert "the data goes back from episode 2 to 1 1 time" in result.message
    assert "2 data files contain rows of another episode than the one in their name" in result.message
    assert f"(e.g. {EPISODE_1} row 0 has episode_index 2)" in result.message


def test_order_v3_interleaved(lerobot, run_check) -> None:
    builder = lerobot(version="v3.0")
    builder.episodes[1]["episode_index"][2:] = 0
    result = only(run_check(builder.write(), "lerobot.episode_order"))
    assert "the data goes back from episode 1 to 0 1 time" in result.message
    assert "1 episode split into several blocks of rows (0)" in result.message


def test_order_metadata(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episode_rows.reverse()
    result = only(run_check(builder.write(), "lerobot.episode_order"))
    assert result.message == (
        "episodes are out of order: the episodes metadata lists 2 episodes out of order (e.g. episode 1 after 2)"
    )


# --- lerobot.v3_indices -----------------------------------------------------


def test_v3_indices_pass(lerobot, run_check) -> None:
    result = only(run_check(lerobot(version="v3.0").write(), "lerobot.v3_indices"))
    assert result.status is Status.PASSED
    assert result.total_count == 3


def test_v3_indices_skip_v2(lerobot, run_check) -> None:
    result = only(run_check(lerobot().write(), "lerobot.v3_indices"))
    assert result.status is Status.SKIPPED
    assert "v2.1" in result.message


def test_v3_indices_row_range(lerobot, run_check) -> None:
    builder = lerobot(version="v3.0")
    builder.episode_rows[1]["dataset_to_index"] += 1
    result = only(run_check(builder.write(), "lerobot.v3_indices"))
    assert result.failed_count == 1
    assert "episode 1: dataset_from_index 5, dataset_to_index 10, but its 4 rows have index 5..8" in result.message


def test_v3_indices_video_span(lerobot, run_check) -> None:
    builder = lerobot(version="v3.0")
    key = "videos/observation.images.front"
    builder.episode_rows[2][f"{key}/to_timestamp"] += 0.5
    builder.episode_rows[1][f"{key}/from_timestamp"] -= 0.1
    result = only(run_check(builder.write(), "lerobot.v3_indices"))
    assert result.failed_count == 2
    assert result.total_count == 3
    assert "episode 2 observation.images.front: video span 0.300..1.000 s is 0.700 s, but 6 frames at 30 fps last 0.200 s" in result.message
    assert "episode 1 observation.images.front starts at 0.067 s, inside episode 0 (ends 0.167 s)" in str(result.examples)


def test_v3_indices_data_file(lerobot, run_check) -> None:
    builder = lerobot(version="v3.0")
    builder.episode_rows[0]["data/file_index"] = 1
    result = only(run_check(builder.write(), "lerobot.v3_indices"))
    assert result.failed_count == 1
    assert "episode 0 is declared in data/chunk-000/file-001.parquet but its rows are in data/chunk-000/file-000.parquet" in result.message


# --- lerobot.finite_values --------------------------------------------------


def test_finite_pass(lerobot, run_check) -> None:
    results = run_check(lerobot().write(), "lerobot.finite_values")
    assert [r.status for r in results] == [Status.PASSED, Status.PASSED]
    assert [r.total_count for r in results] == [45, 45]


def test_finite_nan_inf(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episodes[0]["observation.state"][1, 0] = np.nan
    builder.episodes[2]["observation.state"][[0, 3], 2] = np.nan
    builder.episodes[1]["action"][1, 1] = np.inf
    state, action = run_check(builder.write(), "lerobot.finite_values")
    assert state.failed_count == 3
    assert state.message == (
        "observation.state has 3 NaN and 0 infinite values in 2 of 3 dimensions, 2 episodes: "
        "shoulder (1 NaN), gripper (2 NaN); first at episode 0, data/chunk-000/episode_000000.parquet row 1"
    )
    assert state.details["nan_per_dimension"] == {"shoulder": 1, "gripper": 2}
    assert action.failed_count == 1
    assert "elbow (1 infinite)" in action.message
    assert "first at episode 1, data/chunk-000/episode_000001.parquet row 1" in action.message


def test_finite_unknown_column(lerobot, run_check) -> None:
    results = run_check(lerobot().write(), "lerobot.finite_values", columns=["observation.state", "observation.effort"])
    assert [r.status for r in results] == [Status.PASSED, Status.SKIPPED]


# --- lerobot.constant_dimensions --------------------------------------------


def test_constant_pass(lerobot, run_check) -> None:
    results = run_check(lerobot().write(), "lerobot.constant_dimensions")
    assert [r.status for r in results] == [Status.PASSED, Status.PASSED]


def test_constant_one_episode(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episodes[1]["observation.state"][:, 1] = 0.25
    root = builder.write()
    state, action = run_check(root, "lerobot.constant_dimensions")
    assert state.status is Status.FAILED
    assert state.severity is Severity.WARNING
    assert state.failed_count == 1
    assert state.message == (
        "observation.state: 1 of 3 dimensions are constant over a whole episode (std <= 0): elbow in 1 of 3 episodes"
    )
    assert state.examples[0].episode == 1
    assert action.status is Status.PASSED
    frequent_only = run_check(root, "lerobot.constant_dimensions", min_fraction=0.5)
    assert frequent_only[0].status is Status.PASSED


def test_constant_max_std(lerobot, run_check) -> None:
    builder = lerobot()
    builder.episodes[1]["observation.state"][:, 1] = 0.25 + np.array([0, 1e-4, 0, 1e-4], dtype=np.float32)
    root = builder.write()
    assert run_check(root, "lerobot.constant_dimensions")[0].status is Status.PASSED
    assert run_check(root, "lerobot.constant_dimensions", max_std=1e-3)[0].failed_count == 1


# --- lerobot.declared_videos_present and data_files_present -----------------


def test_videos_present(lerobot, run_check) -> None:
    for version in ("v2.1", "v3.0"):
        result = only(run_check(lerobot(version=version).write(), "lerobot.declared_videos_present"))
        assert result.status is Status.PASSED, result.message


def test_videos_one_missing(lerobot, run_check) -> None:
    root = lerobot().write()
    missing = "videos/chunk-000/observation.images.front/episode_000001.mp4"
    (root / missing).unlink()
    result = only(run_check(root, "lerobot.declared_videos_present"))
    assert result.failed_count == 1
    assert result.total_count == 3
    assert result.message == (
        f"1 of 3 declared video files missing (1 video feature x 1 episode), e.g. {missing}"
    )


def test_videos_v3_none_shipped(lerobot, run_check) -> None:
    builder = lerobot(version="v3.0", video_keys=["observation.images.front", "observation.images.top"])
    result = only(run_check(builder.write(videos=False), "lerobot.declared_videos_present"))
    assert result.status is Status.FAILED
    assert result.failed_count == 6
    assert result.message == (
        "6 of 6 declared episode videos missing (2 video features x 3 episodes) in 2 files, "
        "e.g. videos/observation.images.front/chunk-000/file-000.mp4"
    )


def test_videos_none_declared(lerobot, run_check) -> None:
    result = only(run_check(lerobot(video_keys=[]).write(), "lerobot.declared_videos_present"))
    assert result.status is Status.PASSED
    assert result.message == "the layout declares no video features"


def test_data_file_missing(lerobot, run_check) -> None:
    root = lerobot().write()
    (root / EPISODE_1).unlink()
    result = only(run_check(root, "lerobot.data_files_present"))
    assert result.failed_count == 1
    assert result.message == f"1 of 3 declared data files missing, holding 1 episode (1), e.g. {EPISODE_1}"


# --- unreadable inputs, ZIP archives, speed ---------------------------------


def test_corrupt_parquet(lerobot, run_check) -> None:
    root = lerobot().write()
    (root / EPISODE_1).write_bytes(b"PAR1 this is not a parquet file")
    for name in FRAME_CHECKS:
        result = run_check(root, name)[0]
        assert result.status is Status.FAILED, name
        assert "1 of 3 data files are unreadable" in result.message, name
        assert f"{EPISODE_1}: it is not a readable Parquet file" in result.message, name


def test_lfs_pointer_data(lerobot, run_check) -> None:
    root = lerobot().write()
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{'a' * 64}\nsize 82515\n"
    (root / EPISODE_1).write_text(pointer)
    result = only(run_check(root, "lerobot.frame_index"))
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert f"{EPISODE_1}: it is a Git LFS pointer file, not Parquet data" in result.message


def test_zip_all_pass(lerobot, run_check, zip_folder, tmp_path) -> None:
    root = lerobot().write()
    archive = zip_folder(root, tmp_path / "dataset.zip")
    for name in LEROBOT_CHECKS:
        for result in run_check(archive, name):
            expected = Status.SKIPPED if name == "lerobot.v3_indices" else Status.PASSED
            assert result.status is expected, (name, result.message)


def test_thousand_episodes_fast(lerobot, check_context, call_check, zip_folder, tmp_path) -> None:
    builder = lerobot(lengths=[20] * 1000, video_keys=[])
    archive = zip_folder(builder.write(), tmp_path / "big.zip")
    with check_context(archive) as ctx:
        started = time.perf_counter()
        for name in FRAME_CHECKS:
            for result in call_check(ctx, name):
                assert result.status is Status.PASSED, (name, result.message)
        elapsed = time.perf_counter() - started
    # About 2 s on a 2-core VM under load; the bound leaves room for slower CI machines.
    assert elapsed < 10, f"frame checks on 1,000 episode files took {elapsed:.1f} s"


# --- real deliveries --------------------------------------------------------


def test_real_g1_all_pass(real_datasets_dir, run_check) -> None:
    archive = real_datasets_dir / "g1-pick-bottle-v21.zip"
    cache: dict = {}
    for name in LEROBOT_CHECKS:
        for result in run_check(archive, name, cache=cache):
            expected = Status.SKIPPED if name == "lerobot.v3_indices" else Status.PASSED
            assert result.status is expected, (name, result.message)
    totals = only(run_check(archive, "lerobot.info_totals", cache=cache))
    assert totals.observed == {"total_episodes": 8, "total_frames": 2868, "total_tasks": 1, "total_videos": 8}


def test_real_lfs_stubs(real_datasets_dir, run_check) -> None:
    archive = real_datasets_dir / "new-test-lfs-stubs.zip"
    cache: dict = {}
    shapes = only(run_check(archive, "lerobot.feature_shapes", cache=cache))
    assert shapes.status is Status.FAILED
    assert shapes.failed_count == 2
    assert "observation.state declares shape [30] but 28 names" in shapes.message
    assert "action declares shape [30] but 28 names" in shapes.message
    splits = only(run_check(archive, "lerobot.splits", cache=cache))
    assert splits.message == "splits (train 0:37) cover 37 of 38 episodes: 1 episode in no split (37)"
    for name in FRAME_CHECKS:
        result = run_check(archive, name, cache=cache)[0]
        assert result.status is Status.FAILED, name
        assert "Git LFS pointer" in result.message, name
    lengths = only(run_check(archive, "lerobot.episode_lengths", cache=cache))
    assert lengths.failed_count == 38


def test_real_so101_v30(real_datasets_dir, run_check) -> None:
    archive = real_datasets_dir / "so101-record-v30.zip"
    cache: dict = {}
    videos = only(run_check(archive, "lerobot.declared_videos_present", cache=cache))
    assert videos.status is Status.FAILED
    assert videos.failed_count == 8
    assert "video" in videos.message
    assert videos.message.startswith("8 of 8 declared episode videos missing (2 video features x 4 episodes)")
    for name in LEROBOT_CHECKS:
        if name == "lerobot.declared_videos_present":
            continue
        for result in run_check(archive, name, cache=cache):
            assert result.status is Status.PASSED, (name, result.message)


def test_real_so101_episodes(real_datasets_dir, run_check) -> None:
    from worker.archive.source import open_source
    from worker.lerobot.episodes import read_episodes
    from worker.lerobot.layout import read_layout

    with open_source(real_datasets_dir / "so101-record-v30.zip", real_datasets_dir / "unused") as source:
        layout = read_layout(source)
        records = read_episodes(source, layout)
    assert [r.length for r in records] == [373, 374, 372, 373]
    assert [r.dataset_from_index for r in records] == [0, 373, 747, 1119]
    assert records[3].videos["observation.images.top"].from_timestamp == pytest.approx(37.3)
    assert json.dumps(sorted(records[0].videos)) == '["observation.images.front", "observation.images.top"]'


def test_totals_tasks_unreadable(lerobot, run_check) -> None:
    root = lerobot().write()
    (root / "meta" / "tasks.jsonl").write_text(f"version https://git-lfs.github.com/spec/v1\noid sha256:{'d' * 64}\nsize 64\n")
    result = only(run_check(root, "lerobot.info_totals"))
    assert result.failed_count == 1
    assert result.total_count == 4
    assert "total_tasks cannot be compared: meta/tasks.jsonl is a Git LFS pointer file" in result.message


def test_totals_tasks_from_data(lerobot, run_check) -> None:
    builder = lerobot(version="v3.0")
    builder.info["total_tasks"] = 2
    root = builder.write()
    (root / "meta" / "tasks.parquet").unlink()
    result = only(run_check(root, "lerobot.info_totals"))
    assert result.failed_count == 1
    assert result.message == "1 of 3 totals in meta/info.json disagree with the data: total_tasks is 2 but there are 1 distinct task_index values"


def test_shapes_no_data(lerobot, run_check) -> None:
    root = lerobot().write()
    for path in (root / "data").rglob("*.parquet"):
        path.unlink()
    result = only(run_check(root, "lerobot.feature_shapes"))
    assert result.status is Status.FAILED
    assert result.message == "cannot check column widths: no data files match data/chunk-*/episode_*.parquet"


def test_no_layout_all_skip(tmp_path, run_check) -> None:
    root = tmp_path / "clip"
    root.mkdir()
    (root / "video.mp4").write_bytes(b"not a LeRobot dataset")
    for name in LEROBOT_CHECKS:
        if name == "lerobot.layout":
            continue
        skipped = only(run_check(root, name))
        assert skipped.status is Status.SKIPPED, name
        assert skipped.message == "no meta/info.json in the archive, so it is not a LeRobot dataset", name
        required = only(run_check(root, name, require_layout=True))
        assert required.status is Status.FAILED, name
