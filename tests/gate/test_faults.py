"""Resource failures of this machine propagate from the parsers; corrupt data becomes a data fault."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest

from worker.faults import gate_side

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "real"

# Opens file descriptors until none is left, then opens a video through the gate's
# wrapper and a Parquet file through pyarrow, whose OSError must carry the errno.
EXHAUST = """
import os, resource, sys, zipfile
import pyarrow as pa, pyarrow.parquet as pq
from worker.video.probe import VideoOpenError, open_container

work = sys.argv[1]
pq.write_table(pa.table({"a": [1, 2]}), work + "/t.parquet")
with zipfile.ZipFile(sys.argv[2]) as archive:
    video = next(name for name in archive.namelist() if name.endswith(".mp4"))
    archive.extract(video, work)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
descriptors = []
try:
    while True:
        descriptors.append(os.open("/dev/null", os.O_RDONLY))
except OSError:
    pass
for name, call in (("video", lambda: open_container(__import__("pathlib").Path(work, video))),
                   ("parquet", lambda: pq.ParquetFile(work + "/t.parquet"))):
    try:
        call()
        print(name, "opened")
    except VideoOpenError as error:
        print(name, "data-fault", error)
    except OSError as error:
        print(name, "gate-side", error.errno)
"""


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError(errno.EMFILE, "Too many open files"), True),
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (MemoryError(), True),
        (OSError("Couldn't deserialize thrift"), False),
        (ValueError("invalid data"), False),
    ],
)
def test_gate_side_classifies(error: BaseException, expected: bool) -> None:
    assert gate_side(error) is expected


def test_parser_errors_classified() -> None:
    import av.error
    import pyarrow as pa

    assert gate_side(av.error.MemoryError(errno.ENOMEM, "Cannot allocate memory"))
    assert gate_side(av.error.OSError(errno.EIO, "Input/output error"))
    assert not gate_side(av.error.InvalidDataError(-1094995529, "Invalid data found when processing input"))
    assert gate_side(pa.ArrowMemoryError("malloc of size 1 failed"))
    assert not gate_side(pa.ArrowInvalid("Parquet magic bytes not found"))


def test_descriptor_exhaustion_not_data_fault(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", EXHAUST, str(tmp_path), str(REAL / "cockatoo-pov.zip")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["video"] == f"gate-side {errno.EMFILE}"
    assert lines["parquet"] == f"gate-side {errno.EMFILE}"
