"""Models parse documented responses and tolerate what Gerra may add or omit."""

from __future__ import annotations

from datetime import date, datetime, timezone

from worker.gerra.models import (
    Dataset,
    DatasetPage,
    DatasetStatus,
    IterationHistory,
    Stats,
    StatusChange,
)

DOCUMENTED_DATASET = {
    "id": "770e8400-e29b-41d4-a716-446655440000",
    "date_created": "2025-01-15T10:30:00Z",
    "date_updated": "2025-01-15T14:45:00Z",
    "organization_id": "660e8400-e29b-41d4-a716-446655440000",
    "data_type": "episode",
    "name": "Robot Arm Sensor Data Q1 2025",
    "description": "Telemetry data from robot arm sensors during Q1 operations",
    "status": "pending",
    "link": "datasets/robot-arm-q1-2025.zip",
    "signed_url": "https://storage.example.com/datasets/robot-arm-q1-2025.zip?token=xyz123",
    "data_byte_size": 257355776,
    "metadata": {"episode": 1, "location": "factory_floor_3", "sensor_type": "thermal"},
}


def test_dataset_documented_fields() -> None:
    dataset = Dataset.model_validate(DOCUMENTED_DATASET)
    assert dataset.id == "770e8400-e29b-41d4-a716-446655440000"
    assert dataset.date_created == datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)
    assert dataset.status == DatasetStatus.PENDING
    assert dataset.is_pending
    assert dataset.data_byte_size == 257355776
    assert dataset.metadata["episode"] == 1
    assert dataset.signed_url is not None
    assert dataset.signed_url.get_secret_value().endswith("token=xyz123")


def test_dataset_hides_token_in_repr() -> None:
    dataset = Dataset.model_validate(DOCUMENTED_DATASET)
    assert "xyz123" not in repr(dataset)
    assert "xyz123" not in str(dataset)
    assert "xyz123" not in dataset.model_dump_json()


def test_dataset_extra_fields_ignored() -> None:
    dataset = Dataset.model_validate({**DOCUMENTED_DATASET, "owner_email": "a@b.c", "hours": 3})
    assert not hasattr(dataset, "owner_email")
    assert dataset.name == "Robot Arm Sensor Data Q1 2025"


def test_dataset_optional_fields_missing() -> None:
    minimal = {"id": "x", "status": "pending", "data_type": "episode"}
    dataset = Dataset.model_validate(minimal)
    assert dataset.description is None
    assert dataset.link is None
    assert dataset.signed_url is None
    assert dataset.data_byte_size == 0
    assert dataset.metadata == {}
    assert dataset.rejection_reason is None


def test_dataset_unknown_status_and_type() -> None:
    dataset = Dataset.model_validate(
        {**DOCUMENTED_DATASET, "status": "quarantined", "data_type": "lidar_sweep"}
    )
    assert dataset.status == "quarantined"
    assert dataset.data_type == "lidar_sweep"
    assert not dataset.is_pending


def test_dataset_rejection_reason() -> None:
    metadata = {"rejection_reason": "too short: 3 of 8 episodes"}
    dataset = Dataset.model_validate({**DOCUMENTED_DATASET, "status": "rejected", "metadata": metadata})
    assert dataset.rejection_reason == "too short: 3 of 8 episodes"


def test_page_without_total() -> None:
    page = DatasetPage.model_validate({"datasets": [DOCUMENTED_DATASET]})
    assert page.total is None
    assert len(page.datasets) == 1


def test_stats_missing_keys_count_zero() -> None:
    stats = Stats.model_validate(
        {
            "total_datasets": 3,
            "total_size_bytes": 10,
            "by_status": {"pending": 3},
            "by_data_type": {"episode": 3},
            "daily_volume_last_7_days": [{"date": "2025-01-15", "count": 3}],
            "total_hours_captured": 12.5,
        }
    )
    assert stats.status_count("pending") == 3
    assert stats.status_count("discarded") == 0
    assert stats.data_type_count("telemetry") == 0
    assert stats.daily_volume_last_7_days[0].date == date(2025, 1, 15)


def test_iterations_documented_example() -> None:
    history = IterationHistory.model_validate(
        {
            "iteration_group_id": "880e8400-e29b-41d4-a716-446655440000",
            "total_versions": 3,
            "latest_version": 2,
            "iterations": [
                {
                    "dataset_id": "770e8400-e29b-41d4-a716-446655440000",
                    "version": 0,
                    "status": "superseded",
                    "created_at": "2025-01-10T10:00:00Z",
                    "prompt": "Person cooking breakfast in kitchen",
                    "parent_dataset_id": None,
                    "regeneration_reason": None,
                    "superseded_reason": "Hand rendering artifacts",
                    "preview_urls": {"gif": "https://s/v0.gif", "pose_frame": None},
                    "download_url": "https://s/v0.zip?token=abc",
                    "metadata": {"perspective": "pov", "duration_seconds": 5.0},
                },
                {"dataset_id": "y", "version": 1, "status": "brand_new_state"},
            ],
        }
    )
    assert history.total_versions == 3
    assert len(history.iterations) == 2
    assert history.iterations[0].preview_urls.gif == "https://s/v0.gif"
    assert history.iterations[0].preview_urls.pose_frame is None
    assert "abc" not in repr(history)
    assert history.iterations[1].status == "brand_new_state"
    assert history.iterations[1].download_url is None


def test_status_change_parses() -> None:
    change = StatusChange.model_validate(
        {"id": "x", "status": "accepted", "message": "Dataset accepted successfully", "extra": 1}
    )
    assert change.status == "accepted"
