"""The demo catalog: determinism, speed, catalog format and archive readability."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from gerra_emulator.catalog import load_catalog
from gerra_emulator.demo.generate import DEMO_API_KEY, OTHER_API_KEY, generate_catalog
from worker.archive.source import ArchiveError, open_source

DATASET_FIELDS = {
    "id",
    "organization_id",
    "name",
    "description",
    "data_type",
    "status",
    "file",
    "metadata",
    "date_created",
    "date_updated",
}


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_generate_same_seed_identical(tmp_path: Path) -> None:
    stale = tmp_path / "second" / "archives" / "left-over.zip"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")

    # CPU time rather than wall time, so other processes on the machine do not
    # make the test flaky.
    started = time.process_time()
    generate_catalog(tmp_path / "first", seed=7)
    cpu_s = time.process_time() - started
    generate_catalog(tmp_path / "second", seed=7)

    first = _digests(tmp_path / "first")
    second = _digests(tmp_path / "second")
    assert len(first) == 16  # 14 archives, catalog.json, expected.json
    assert first == second
    assert not stale.exists()
    # The whole demo set must build in a few seconds: about 1.5 s of CPU on a
    # 2-core container.
    assert cpu_s < 8.0


def test_generate_other_seed_differs(tmp_path: Path, demo_catalog: Path) -> None:
    generate_catalog(tmp_path, seed=1)

    seed_0 = _digests(demo_catalog.parent)
    seed_1 = _digests(tmp_path)
    changed = {name for name in seed_0 if seed_0[name] != seed_1[name]}
    # Every archive contains seeded data, so each one changes. The ids, and so the
    # expected outcome, do not depend on the seed.
    assert {name for name in changed if name.startswith("archives/")} == {n for n in seed_0 if n.startswith("archives/")}
    assert json.loads((tmp_path / "expected.json").read_text()) == json.loads(
        (demo_catalog.parent / "expected.json").read_text()
    )


def test_catalog_organizations(catalog_document: dict) -> None:
    organizations = {org["name"]: org for org in catalog_document["organizations"]}
    assert set(organizations) == {"Demo Robotics", "Other Robotics"}
    assert organizations["Demo Robotics"]["api_keys"] == [DEMO_API_KEY]
    assert organizations["Other Robotics"]["api_keys"] == [OTHER_API_KEY]

    other_id = organizations["Other Robotics"]["id"]
    others = [entry for entry in catalog_document["datasets"] if entry["organization_id"] == other_id]
    assert len(others) == 1


def test_catalog_entry_fields(catalog_document: dict, demo_catalog: Path) -> None:
    datasets = catalog_document["datasets"]
    assert len(datasets) == 17
    assert len({entry["id"] for entry in datasets}) == 17
    for entry in datasets:
        assert DATASET_FIELDS <= set(entry) <= DATASET_FIELDS | {"iteration"}, entry["name"]
        assert (demo_catalog.parent / entry["file"]).is_file(), entry["file"]
        assert entry["description"], entry["name"]


def test_catalog_statuses_and_types(catalog_document: dict) -> None:
    statuses: dict[str, int] = {}
    types: dict[str, int] = {}
    for entry in catalog_document["datasets"]:
        statuses[entry["status"]] = statuses.get(entry["status"], 0) + 1
        types[entry["data_type"]] = types.get(entry["data_type"], 0) + 1
    assert statuses == {"pending": 13, "accepted": 1, "superseded": 2, "for_admin_review": 1}
    assert types == {"episode": 10, "synthetic_pov": 3, "synthetic_third_person": 2, "telemetry": 2}


def test_catalog_iteration_group(catalog_document: dict) -> None:
    versions = sorted(
        (entry for entry in catalog_document["datasets"] if "iteration" in entry),
        key=lambda entry: entry["iteration"]["version"],
    )
    assert [entry["iteration"]["version"] for entry in versions] == [0, 1, 2]
    assert len({entry["iteration"]["group_id"] for entry in versions}) == 1
    assert [entry["status"] for entry in versions] == ["superseded", "superseded", "pending"]
    assert versions[0]["iteration"]["parent_dataset_id"] is None
    assert versions[1]["iteration"]["parent_dataset_id"] == versions[0]["id"]
    assert versions[2]["iteration"]["parent_dataset_id"] == versions[1]["id"]
    # A child's regeneration reason repeats its parent's superseded reason.
    assert versions[1]["iteration"]["regeneration_reason"] == versions[0]["iteration"]["superseded_reason"]
    assert versions[2]["iteration"]["regeneration_reason"] == versions[1]["iteration"]["superseded_reason"]
    assert versions[2]["iteration"]["superseded_reason"] is None


def test_expected_covers_catalog(catalog_document: dict, demo_catalog: Path) -> None:
    expected = json.loads(demo_catalog.with_name("expected.json").read_text())
    by_id = {entry["id"]: entry for entry in catalog_document["datasets"]}

    assert expected["api_key"] == DEMO_API_KEY
    assert set(expected["final_status"]) == set(by_id)
    for dataset_id, status in expected["final_status"].items():
        if by_id[dataset_id]["status"] != "pending":
            assert status == by_id[dataset_id]["status"], by_id[dataset_id]["name"]
    rejected = {dataset_id for dataset_id, status in expected["final_status"].items() if status == "rejected"}
    assert set(expected["reason_mentions"]) == rejected
    assert len(rejected) == 8


def test_catalog_loads_in_emulator(demo_catalog: Path) -> None:
    catalog = load_catalog(demo_catalog)

    assert len(catalog.datasets) == 17


def test_archives_open(catalog_document: dict, demo_catalog: Path, tmp_path: Path) -> None:
    files = sorted({entry["file"] for entry in catalog_document["datasets"]})
    assert len(files) == 14
    opened = []
    for file in files:
        path = demo_catalog.parent / file
        if path.name == "so100-pick-truncated.zip":
            with pytest.raises(ArchiveError):
                open_source(path, tmp_path / path.stem)
            continue
        with open_source(path, tmp_path / path.stem) as source:
            assert source.members, file
            opened.append(file)
    assert len(opened) == 13
