"""Catalog loading: the real catalog as it is, and every validation error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from emulator_helpers import ACME_ORG, COCKATOO_V1, G1, dataset_entry, small_zip, write_catalog

from gerra_emulator.catalog import CatalogError, load_catalog

ID_A = "aaaaaaaa-0000-4000-8000-000000000001"
ID_B = "aaaaaaaa-0000-4000-8000-000000000002"
GROUP = "bbbbbbbb-0000-4000-8000-000000000001"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    return caught.value.problems


def test_real_catalog_loads(real_catalog: Path) -> None:
    catalog = load_catalog(real_catalog)

    assert len(catalog.organizations) == 2
    assert len(catalog.datasets) == 8
    assert len(catalog.files) == 8
    assert catalog.files[G1].name == "g1-pick-bottle-v21.zip"
    assert catalog.files[COCKATOO_V1] == (real_catalog.parent / "cockatoo-pov.zip").resolve()


def test_catalog_file_missing(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "nope.json")

    assert len(problems) == 1
    assert "catalog file not found" in problems[0]


def test_catalog_not_json(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text("{oops", encoding="utf-8")

    problems = problems_of(path)

    assert problems == ["not valid JSON at line 1 column 2: Expecting property name enclosed in double quotes"]


def test_archive_missing(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, [dataset_entry(ID_A, file="missing.zip")])

    problems = problems_of(path)

    assert len(problems) == 1
    assert f"dataset {ID_A}: file 'missing.zip' not found" in problems[0]


def test_duplicate_dataset_id(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, [dataset_entry(ID_A), dataset_entry(ID_A.upper())])

    problems = problems_of(path)

    assert problems == [f"duplicate dataset id '{ID_A}' (2 times); each must be unique"]


def test_unknown_organization(tmp_path: Path) -> None:
    stranger = "cccccccc-0000-4000-8000-000000000001"
    path = write_catalog(tmp_path, [dataset_entry(ID_A, organization_id=stranger)])

    problems = problems_of(path)

    assert len(problems) == 1
    assert f"unknown organization_id {stranger}" in problems[0]


def test_duplicate_api_key(tmp_path: Path) -> None:
    organizations = [
        {"id": ACME_ORG, "name": "Acme", "api_keys": ["gerra_same"]},
        {"id": "cccccccc-0000-4000-8000-000000000001", "name": "Copy", "api_keys": ["gerra_same"]},
    ]
    path = write_catalog(tmp_path, [dataset_entry(ID_A)], organizations=organizations)

    assert problems_of(path) == ["duplicate API key 'gerra_same' (2 times); each must be unique"]


def test_schema_error_names_dataset(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, [dataset_entry(ID_A, status="pendng")])

    problems = problems_of(path)

    assert len(problems) == 1
    assert problems[0].startswith(f"datasets[0].status (dataset {ID_A}): Input should be")
    assert "(got 'pendng')" in problems[0]


def test_unknown_field_rejected(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, [dataset_entry(ID_A, colour="red")])

    problems = problems_of(path)

    assert problems == [f"datasets[0].colour (dataset {ID_A}): Extra inputs are not permitted (got 'red')"]


def test_naive_timestamp_rejected(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, [dataset_entry(ID_A, date_created="2025-01-10T10:00:00")])

    problems = problems_of(path)

    assert len(problems) == 1
    assert "date_created" in problems[0]
    assert "timezone" in problems[0]


def test_file_name_clash(tmp_path: Path) -> None:
    archives = {"one/a.zip": small_zip(10), "two/a.zip": small_zip(20)}
    datasets = [dataset_entry(ID_A, file="one/a.zip"), dataset_entry(ID_B, file="two/a.zip")]
    path = write_catalog(tmp_path, datasets, archives=archives)

    problems = problems_of(path)

    assert len(problems) == 1
    assert "file name 'a.zip' is used by both" in problems[0]


def test_iteration_version_gap(tmp_path: Path) -> None:
    datasets = [
        dataset_entry(ID_A, iteration={"group_id": GROUP, "version": 0}),
        dataset_entry(ID_B, iteration={"group_id": GROUP, "version": 2, "parent_dataset_id": ID_A}),
    ]
    path = write_catalog(tmp_path, datasets)

    problems = problems_of(path)

    assert problems == [f"iteration group {GROUP}: versions [0, 2] must be 0..1 without gaps or repeats"]


def test_iteration_unknown_parent(tmp_path: Path) -> None:
    stranger = "cccccccc-0000-4000-8000-000000000001"
    datasets = [
        dataset_entry(ID_A, iteration={"group_id": GROUP, "version": 0}),
        dataset_entry(ID_B, iteration={"group_id": GROUP, "version": 1, "parent_dataset_id": stranger}),
    ]
    path = write_catalog(tmp_path, datasets)

    assert problems_of(path) == [
        f"dataset {ID_B}: parent_dataset_id {stranger} is not in iteration group {GROUP}"
    ]


def test_all_problems_reported(tmp_path: Path) -> None:
    datasets = [dataset_entry(ID_A, file="missing.zip"), dataset_entry(ID_A)]
    path = write_catalog(tmp_path, datasets)

    problems = problems_of(path)

    assert len(problems) == 2


def test_dataset_without_file(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, [dataset_entry(ID_A, file=None)])

    catalog = load_catalog(path)

    assert catalog.files == {}
    assert json.loads(path.read_text())["datasets"][0]["file"] is None
