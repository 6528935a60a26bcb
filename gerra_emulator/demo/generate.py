"""Generate the demo catalog: archives, `catalog.json` and `expected.json`.

The catalog follows the emulator's seed format: `organizations` with their API
keys, and `datasets` with the Gerra dataset fields plus `file` (the archive's
path relative to the catalog) and an optional `iteration`. `expected.json`
states, in the same format as the real deliveries' expected outcome, what a
correct gate does to each dataset when it runs once with the demo key.

Run `python -m gerra_emulator.demo.generate OUT_DIR [--seed N]` to build it on
its own.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer

from gerra_emulator.demo.deliveries import build_archives
from gerra_emulator.demo.entries import ARCHIVE_DIR, DEMO_ORG_ID, OTHER_ORG_ID, demo_datasets

log = structlog.get_logger(__name__)

DEMO_API_KEY = "gerra_demo000000000000001"
OTHER_API_KEY = "gerra_demoother0000000001"
CATALOG_FILE = "catalog.json"
EXPECTED_FILE = "expected.json"


def generate_catalog(out_dir: Path, seed: int = 0) -> Path:
    """Write the demo archives, `catalog.json` and `expected.json` into `out_dir`; return the catalog path.

    The same seed gives byte-identical files. The catalog is written last, so
    its presence means a complete catalog.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    catalog_path = out_dir / CATALOG_FILE
    catalog_path.unlink(missing_ok=True)
    archive_dir = out_dir / ARCHIVE_DIR
    if archive_dir.exists():
        shutil.rmtree(archive_dir)

    archives = build_archives(archive_dir, seed)
    datasets = demo_datasets(archives)
    expected = {
        "api_key": DEMO_API_KEY,
        "final_status": {dataset.entry["id"]: dataset.expected_status for dataset in datasets},
        "reason_mentions": {dataset.entry["id"]: dataset.reason_words for dataset in datasets if dataset.reason_words},
    }
    catalog = {
        "organizations": [
            {"id": DEMO_ORG_ID, "name": "Demo Robotics", "api_keys": [DEMO_API_KEY]},
            {"id": OTHER_ORG_ID, "name": "Other Robotics", "api_keys": [OTHER_API_KEY]},
        ],
        "datasets": [dataset.entry for dataset in datasets],
    }
    _write_json(out_dir / EXPECTED_FILE, expected)
    _write_json(catalog_path, catalog)
    log.info("demo_catalog_written", path=str(catalog_path), datasets=len(datasets), archives=len(archives), seed=seed)
    return catalog_path


def _write_json(path: Path, document: Any) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(document, indent=2) + "\n")
    partial.replace(path)


def _generate_command(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write catalog.json, expected.json and archives/ into.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives identical files.")] = 0,
) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    path = generate_catalog(out_dir, seed)
    typer.echo(f"catalog written to {path}")


def main() -> None:
    """Build the demo catalog from the command line."""
    typer.run(_generate_command)


if __name__ == "__main__":
    main()
