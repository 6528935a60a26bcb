"""Hostile archives built by the tests: each is rejected with its exact error code.

The `sandbox` fixture fails any test that writes outside the work dir.
"""

from __future__ import annotations

import io
import random
import stat
import time
import unicodedata
import zipfile
import zlib
from pathlib import Path

import pytest

from worker.archive.errors import ArchiveError, ErrorCode
from worker.archive.summary import summarize

from .conftest import Sandbox, measure
from .zip_writer import RawEntry, deflated, stored, write_raw_zip, zeros_deflate

GIB = 1 << 30
MIB = 1 << 20


def zip_of(path: Path, files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def expect_rejected(sandbox: Sandbox, path: Path, code: ErrorCode, **limits: int) -> ArchiveError:
    with pytest.raises(ArchiveError) as caught:
        sandbox.open(path, **limits)
    assert caught.value.code == code, str(caught.value)
    assert sandbox.work_files() == []
    return caught.value


@pytest.fixture(scope="module")
def gigabyte_of_zeros() -> tuple[bytes, int]:
    return zeros_deflate(GIB)


# ZIP bombs


def test_bomb_rejected_from_header(sandbox: Sandbox, gigabyte_of_zeros: tuple[bytes, int]) -> None:
    payload, crc = gigabyte_of_zeros
    path = write_raw_zip(sandbox.path("bomb.zip"), [RawEntry("data/zeros.bin", payload, GIB, crc, method=8)])

    started = time.monotonic()
    peak, error = measure(lambda: sandbox.open(path))
    elapsed = time.monotonic() - started

    assert isinstance(error, ArchiveError)
    assert error.code == ErrorCode.ZIP_BOMB
    assert error.member == "data/zeros.bin"
    ratio = f"{GIB / len(payload):,.0f}x"
    assert str(error) == (
        f"member data/zeros.bin expands {ratio} (1,073,741,824 bytes from {len(payload):,}; limit 200x)"
    )
    assert elapsed < 1.0
    assert peak < 4 * MIB


def test_bomb_lying_size_caught_on_read(sandbox: Sandbox, gigabyte_of_zeros: tuple[bytes, int]) -> None:
    payload, _ = gigabyte_of_zeros
    declared = MIB
    entry = RawEntry("zeros.bin", payload, declared, zlib.crc32(bytes(declared)), method=8)
    source = sandbox.open(write_raw_zip(sandbox.path("liar.zip"), [entry]))
    assert source.member("zeros.bin").size == declared

    started = time.monotonic()
    peak, error = measure(lambda: source.read_bytes("zeros.bin"))
    assert isinstance(error, ArchiveError)
    assert error.code == ErrorCode.ZIP_BOMB
    assert str(error) == "member zeros.bin inflates beyond its declared size of 1,048,576 bytes"
    assert peak < 8 * MIB

    with pytest.raises(ArchiveError) as caught:
        source.local_path("zeros.bin")
    assert caught.value.code == ErrorCode.ZIP_BOMB
    assert sandbox.work_files() == []
    assert time.monotonic() - started < 2.0


def test_many_members_rejected(sandbox: Sandbox) -> None:
    path = zip_of(sandbox.path("many.zip"), {f"m/{i:03d}.txt": b"x" for i in range(51)})
    error = expect_rejected(sandbox, path, ErrorCode.TOO_MANY_MEMBERS, max_members=50)
    assert str(error) == "archive many.zip declares 51 entries (limit 50)"


def test_declared_entry_count_rejected(sandbox: Sandbox) -> None:
    path = write_raw_zip(sandbox.path("count.zip"), [stored("a.txt", b"a")], declared_entries=65_535)
    error = expect_rejected(sandbox, path, ErrorCode.TOO_MANY_MEMBERS, max_members=1_000)
    assert str(error) == "archive count.zip declares 65,535 entries (limit 1,000)"


def test_entry_count_checked_after_parse(sandbox: Sandbox) -> None:
    # The end record declares 2 entries, but the central directory contains 30.
    entries = [stored(f"f{i:02d}.txt", b"x") for i in range(30)]
    path = write_raw_zip(sandbox.path("lying-count.zip"), entries, declared_entries=2)
    error = expect_rejected(sandbox, path, ErrorCode.TOO_MANY_MEMBERS, max_members=10)
    assert str(error) == "archive lying-count.zip has 30 entries (limit 10)"


def test_central_directory_size_limit(sandbox: Sandbox) -> None:
    path = zip_of(sandbox.path("wide.zip"), {f"folder/file-{i:04d}.txt": b"x" for i in range(40)})
    error = expect_rejected(sandbox, path, ErrorCode.TOO_MANY_MEMBERS, max_central_directory_size=1_000)
    assert "limit 1,000" in str(error)


def test_total_ratio_rejected(sandbox: Sandbox) -> None:
    # Each member is under the 1 MiB per-member ratio threshold; together they expand 10 MiB.
    files = {f"part-{i:02d}.bin": bytes(512 * 1024) for i in range(20)}
    path = zip_of(sandbox.path("spread.zip"), files)
    error = expect_rejected(sandbox, path, ErrorCode.ZIP_BOMB)
    assert str(error).startswith("archive spread.zip expands ")
    assert "10,485,760 bytes" in str(error)


def test_overlapping_entries_rejected(sandbox: Sandbox) -> None:
    data = bytes(range(256)) * 4
    first = stored("a.bin", data)
    copies = [stored(f"copy-{i}.bin", data, central_only=True, offset_override=0) for i in range(3)]
    path = write_raw_zip(sandbox.path("overlap.zip"), [first, *copies])
    error = expect_rejected(sandbox, path, ErrorCode.ZIP_BOMB)
    assert "overlap" in str(error)


def test_member_size_limit(sandbox: Sandbox) -> None:
    path = zip_of(sandbox.path("big.zip"), {"a.bin": b"x" * 1_001})
    error = expect_rejected(sandbox, path, ErrorCode.TOO_LARGE, max_member_size=1_000)
    assert str(error) == "member a.bin is 1,001 bytes (limit 1,000)"


def test_total_size_limit(sandbox: Sandbox) -> None:
    path = zip_of(sandbox.path("total.zip"), {"a.bin": b"x" * 600, "b.bin": b"y" * 600})
    error = expect_rejected(sandbox, path, ErrorCode.TOO_LARGE, max_total_size=1_000)
    assert str(error) == "archive total.zip expands to 1,200 bytes (limit 1,000)"


# Nested archives


def nested_zip(sandbox: Sandbox, gigabyte_of_zeros: tuple[bytes, int]) -> tuple[Path, bytes]:
    payload, crc = gigabyte_of_zeros
    inner = sandbox.root / "inner.zip"
    write_raw_zip(inner, [RawEntry("zeros.bin", payload, GIB, crc, method=8)])
    inner_bytes = inner.read_bytes()
    inner.unlink()
    path = zip_of(
        sandbox.path("outer.zip"),
        {"data/a.csv": b"t,x\n0,1\n", "extra/inner.zip": inner_bytes},
        method=zipfile.ZIP_STORED,
    )
    return path, inner_bytes


def test_nested_archive_flagged(sandbox: Sandbox, gigabyte_of_zeros: tuple[bytes, int]) -> None:
    path, inner_bytes = nested_zip(sandbox, gigabyte_of_zeros)
    source = sandbox.open(path)

    assert source.inventory.nested_archives == ["extra/inner.zip"]
    assert source.inventory.total_size == len(inner_bytes) + 8
    summary = summarize(source)
    assert summary.nested_archives == ["extra/inner.zip"]
    assert summary.by_extension[".zip"].count == 1
    assert sandbox.work_files() == []


def test_nested_archive_counts_toward_limits(sandbox: Sandbox, gigabyte_of_zeros: tuple[bytes, int]) -> None:
    path, inner_bytes = nested_zip(sandbox, gigabyte_of_zeros)
    expect_rejected(sandbox, path, ErrorCode.TOO_LARGE, max_total_size=len(inner_bytes) + 7)


# Unsafe names


@pytest.mark.parametrize(
    "name",
    [
        "../evil.txt",
        "data/../../evil.txt",
        "/tmp/gerra-gate-absolute-evil.txt",
        "..\\..\\evil.txt",
        "data\\evil.txt",
        "C:/evil.txt",
        "c:evil.txt",
    ],
)
def test_traversal_name_rejected(sandbox: Sandbox, name: str) -> None:
    path = write_raw_zip(sandbox.path("traversal.zip"), [stored("ok.txt", b"ok"), stored(name, b"pwned")])
    error = expect_rejected(sandbox, path, ErrorCode.PATH_TRAVERSAL)
    assert repr(name) in str(error)
    assert not Path("/tmp/gerra-gate-absolute-evil.txt").exists()


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("data/\x01.csv", ErrorCode.INVALID_NAME),
        ("x" * 300 + ".csv", ErrorCode.PATH_TOO_LONG),
        ("/".join(["d" * 200] * 6), ErrorCode.PATH_TOO_LONG),
        ("/".join(["d"] * 40) + "/f.csv", ErrorCode.PATH_TOO_DEEP),
    ],
)
def test_bad_name_rejected(sandbox: Sandbox, name: str, code: ErrorCode) -> None:
    path = write_raw_zip(sandbox.path("names.zip"), [stored(name, b"x")])
    expect_rejected(sandbox, path, code)


def test_invalid_utf8_name_rejected(sandbox: Sandbox) -> None:
    entry = stored(b"data/\xff\xfe.csv", b"x", flags=0x800)
    path = write_raw_zip(sandbox.path("utf8.zip"), [entry])
    expect_rejected(sandbox, path, ErrorCode.INVALID_NAME)


# Entry types


def test_symlink_entry_rejected(sandbox: Sandbox) -> None:
    link = stored("data/passwd", b"/etc/passwd", external_attr=(stat.S_IFLNK | 0o777) << 16)
    path = write_raw_zip(sandbox.path("link.zip"), [stored("data/a.csv", b"a"), link])
    error = expect_rejected(sandbox, path, ErrorCode.SYMLINK)
    assert str(error) == "member data/passwd is a symbolic link"


def test_symlinked_folder_rejected(sandbox: Sandbox) -> None:
    link = stored("data/", b"", external_attr=(stat.S_IFLNK | 0o777) << 16)
    path = write_raw_zip(sandbox.path("link-dir.zip"), [link, stored("data/a.csv", b"a")])
    expect_rejected(sandbox, path, ErrorCode.SYMLINK)


@pytest.mark.parametrize("file_type", [stat.S_IFIFO, stat.S_IFCHR, stat.S_IFBLK, stat.S_IFSOCK, stat.S_IFDIR])
def test_special_entry_rejected(sandbox: Sandbox, file_type: int) -> None:
    special = stored("data/special", b"", external_attr=(file_type | 0o644) << 16)
    path = write_raw_zip(sandbox.path("special.zip"), [stored("data/a.csv", b"a"), special])
    error = expect_rejected(sandbox, path, ErrorCode.NOT_REGULAR)
    assert error.member == "data/special"


def test_dos_attributes_accepted(sandbox: Sandbox) -> None:
    # Windows archivers store MS-DOS attributes (0x20 = archive) and no Unix mode.
    entry = stored("a.csv", b"t\n1\n", create_system=0, external_attr=0x20)
    source = sandbox.open(write_raw_zip(sandbox.path("dos.zip"), [entry]))
    assert source.names() == ["a.csv"]
    assert source.read_bytes("a.csv") == b"t\n1\n"


# Encryption and compression methods


@pytest.mark.parametrize(("flags", "method"), [(0x01, 8), (0x41, 8), (0x01, 99)])
def test_encrypted_member_rejected(sandbox: Sandbox, flags: int, method: int) -> None:
    entry = deflated("secret.csv", b"a,b\n1,2\n", flags=flags)
    entry.method = method
    path = write_raw_zip(sandbox.path("encrypted.zip"), [entry])
    error = expect_rejected(sandbox, path, ErrorCode.ENCRYPTED)
    assert str(error) == "member secret.csv is encrypted"


def test_bzip2_member_rejected(sandbox: Sandbox) -> None:
    path = zip_of(sandbox.path("bzip2.zip"), {"a.csv": b"a,b\n1,2\n"}, method=zipfile.ZIP_BZIP2)
    error = expect_rejected(sandbox, path, ErrorCode.UNSUPPORTED_COMPRESSION)
    assert "compression method 12 (bzip2)" in str(error)


def test_deflate64_member_rejected(sandbox: Sandbox) -> None:
    entry = deflated("a.csv", b"a,b\n1,2\n")
    entry.method = 9
    path = write_raw_zip(sandbox.path("deflate64.zip"), [entry])
    expect_rejected(sandbox, path, ErrorCode.UNSUPPORTED_COMPRESSION)


def test_stored_size_mismatch_rejected(sandbox: Sandbox) -> None:
    entry = stored("a.bin", b"12345")
    entry.file_size = 50
    path = write_raw_zip(sandbox.path("stored.zip"), [entry])
    expect_rejected(sandbox, path, ErrorCode.CORRUPT)


# Damaged data


def test_stored_crc_mismatch_on_read(sandbox: Sandbox) -> None:
    entry = stored("a.csv", b"t,x\n0,1\n1,2\n")
    entry.crc ^= 0xFFFF
    source = sandbox.open(write_raw_zip(sandbox.path("crc.zip"), [entry]))

    with pytest.raises(ArchiveError) as caught:
        source.read_bytes("a.csv")
    assert caught.value.code == ErrorCode.CRC_MISMATCH
    assert caught.value.member == "a.csv"

    with pytest.raises(ArchiveError) as extracted:
        source.local_path("a.csv")
    assert extracted.value.code == ErrorCode.CRC_MISMATCH
    assert sandbox.work_files() == []


def test_deflated_crc_mismatch_on_read(sandbox: Sandbox) -> None:
    entry = deflated("a.csv", b"t,x\n" + b"0,1\n" * 100_000)
    entry.crc ^= 1
    source = sandbox.open(write_raw_zip(sandbox.path("crc-deflate.zip"), [entry]))
    with source.open("a.csv") as handle:
        assert handle.read(4) == b"t,x\n"
        with pytest.raises(ArchiveError) as caught:
            handle.read()
    assert caught.value.code == ErrorCode.CRC_MISMATCH


def test_invalid_deflate_data_on_read(sandbox: Sandbox) -> None:
    entry = deflated("a.csv", b"t,x\n" + b"0,1\n" * 1_000)
    # Block type 3 is reserved in deflate, so any decoder stops at the first byte.
    entry.payload = b"\x07" + entry.payload[1:]
    source = sandbox.open(write_raw_zip(sandbox.path("bad-deflate.zip"), [entry]))
    with pytest.raises(ArchiveError) as caught:
        source.read_bytes("a.csv")
    assert caught.value.code == ErrorCode.CORRUPT


def test_short_member_data_on_read(sandbox: Sandbox) -> None:
    data = b"t,x\n" + b"0,1\n" * 1_000
    entry = deflated("a.csv", data)
    entry.file_size = len(data) + 100
    source = sandbox.open(write_raw_zip(sandbox.path("short.zip"), [entry]))
    with pytest.raises(ArchiveError) as caught:
        source.read_bytes("a.csv")
    assert caught.value.code == ErrorCode.TRUNCATED
    assert str(caught.value) == "member a.csv ends after 4,004 bytes, its header declares 4,104"


# Damaged structure


def valid_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(5):
            archive.writestr(f"data/f{i}.csv", b"t,x\n" + b"0,1\n" * 50)
    return buffer.getvalue()


def test_cut_in_half_is_truncated(sandbox: Sandbox) -> None:
    data = valid_zip_bytes()
    path = sandbox.path("half.zip")
    path.write_bytes(data[: len(data) // 2])
    error = expect_rejected(sandbox, path, ErrorCode.TRUNCATED)
    assert "cut off" in str(error)


def test_central_directory_cut_is_truncated(sandbox: Sandbox) -> None:
    data = valid_zip_bytes()
    end = data.rfind(b"PK\x05\x06")
    path = sandbox.path("cd-cut.zip")
    path.write_bytes(data[: end - 40] + data[end:])
    expect_rejected(sandbox, path, ErrorCode.TRUNCATED)


def test_oversized_central_directory_is_truncated(sandbox: Sandbox) -> None:
    entries = [stored("a.txt", b"a"), stored("b.txt", b"b")]
    path = write_raw_zip(sandbox.path("cd-size.zip"), entries, declared_cd_size=10_000)
    expect_rejected(sandbox, path, ErrorCode.TRUNCATED)


def test_member_data_past_directory_is_truncated(sandbox: Sandbox) -> None:
    entry = deflated("a.csv", b"t,x\n0,1\n")
    entry.compress_size_override = 5_000
    path = write_raw_zip(sandbox.path("past.zip"), [entry])
    error = expect_rejected(sandbox, path, ErrorCode.TRUNCATED)
    assert error.member == "a.csv"


def test_corrupt_central_directory(sandbox: Sandbox) -> None:
    data = bytearray(valid_zip_bytes())
    second = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)
    data[second : second + 4] = b"XX\x01\x02"
    path = sandbox.path("bad-cd.zip")
    path.write_bytes(bytes(data))
    error = expect_rejected(sandbox, path, ErrorCode.CORRUPT)
    assert "central directory" in str(error)


def test_random_bytes_not_zip(sandbox: Sandbox) -> None:
    path = sandbox.path("random.zip")
    path.write_bytes(random.Random(7).randbytes(4_096).replace(b"PK", b"pk"))
    error = expect_rejected(sandbox, path, ErrorCode.NOT_ZIP)
    assert str(error).startswith("archive random.zip is not a ZIP file (it starts with bytes ")


def test_zero_byte_file_empty(sandbox: Sandbox) -> None:
    path = sandbox.path("zero.zip")
    path.write_bytes(b"")
    error = expect_rejected(sandbox, path, ErrorCode.EMPTY)
    assert str(error) == "archive zero.zip is 0 bytes long"


def test_empty_zip_empty(sandbox: Sandbox) -> None:
    path = zip_of(sandbox.path("empty.zip"), {})
    error = expect_rejected(sandbox, path, ErrorCode.EMPTY)
    assert str(error) == "archive empty.zip contains no files"


def test_folders_only_empty(sandbox: Sandbox) -> None:
    path = zip_of(sandbox.path("folders.zip"), {"data/": b"", "meta/": b""})
    expect_rejected(sandbox, path, ErrorCode.EMPTY)


# Duplicates


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("data/a.csv", "data/a.csv"),
        ("data/a.csv", "data//a.csv"),
        ("data/a.csv", "./data/a.csv"),
        (unicodedata.normalize("NFC", "café.csv"), unicodedata.normalize("NFD", "café.csv")),
        ("data/Episode.csv", "data/episode.csv"),
        ("data", "data/a.csv"),
    ],
)
def test_duplicate_name_rejected(sandbox: Sandbox, first: str, second: str) -> None:
    path = write_raw_zip(sandbox.path("dup.zip"), [stored(first, b"1"), stored(second, b"2")])
    expect_rejected(sandbox, path, ErrorCode.DUPLICATE_NAME)


# Harmless but odd members


def test_broken_mp4_is_plain_member(sandbox: Sandbox) -> None:
    broken = b"\x00\x00\x00\x18ftypmp42" + b"\xde\xad\xbe\xef" * 64
    path = zip_of(sandbox.path("video.zip"), {"video.mp4": broken, "meta.json": b"{}"}, zipfile.ZIP_STORED)
    source = sandbox.open(path)
    assert source.names() == ["meta.json", "video.mp4"]
    assert source.read_bytes("video.mp4") == broken
    assert summarize(source).by_extension[".mp4"].size == len(broken)


def test_fuzzed_archives_raise_archive_error(sandbox: Sandbox) -> None:
    # Random byte damage must end in a clean ArchiveError, never another exception.
    original = valid_zip_bytes()
    generator = random.Random(2024)
    outcomes = {"opened": 0, "rejected": 0}
    paths = []
    for attempt in range(300):
        data = bytearray(original)
        for _ in range(generator.randint(1, 8)):
            data[generator.randrange(len(data))] = generator.randrange(256)
        paths.append(sandbox.path(f"fuzz-{attempt}.zip"))
        paths[-1].write_bytes(bytes(data))

    for path in paths:
        try:
            source = sandbox.open(path)
            for name in source.names():
                source.read_bytes(name)
            outcomes["opened"] += 1
        except ArchiveError:
            outcomes["rejected"] += 1
    assert outcomes["opened"] + outcomes["rejected"] == 300
    assert outcomes["opened"] > 0
    assert outcomes["rejected"] > 0
