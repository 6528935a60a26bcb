"""Terminal progress: drawn on a real pseudo-terminal, silent on pipes and files."""

from __future__ import annotations

import io
import os
import pty
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from worker.progress import TerminalProgress, check_progress, format_bytes, terminal_progress


@contextmanager
def _terminal() -> Iterator[tuple[io.TextIOWrapper, int]]:
    """Open a pseudo-terminal; yield its writable side as a text stream and the reading fd."""
    reader, writer = pty.openpty()
    stream = os.fdopen(writer, "w")
    try:
        yield stream, reader
    finally:
        stream.close()
        os.close(reader)


def _read(reader: int) -> str:
    """Read everything written to the terminal so far; separate writes may arrive in separate reads."""
    chunks = []
    while select.select([reader], [], [], 0.2)[0]:
        chunks.append(os.read(reader, 65536))
    return b"".join(chunks).decode()


def test_terminal_gets_progress() -> None:
    with _terminal() as (stream, _reader):
        assert isinstance(terminal_progress(stream), TerminalProgress)


def test_pipe_and_file_get_none(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as pipe, open(tmp_path / "log", "w") as file:
        assert terminal_progress(pipe) is None
        assert terminal_progress(file) is None
    os.close(read_end)


def test_closed_stream_gets_none() -> None:
    stream = io.StringIO()
    stream.close()
    assert terminal_progress(stream) is None


def test_download_line_on_terminal() -> None:
    with _terminal() as (stream, reader):
        report = TerminalProgress(stream, min_interval_s=0.0).download("Pick cube")
        report(500_000, 2_000_000)
        first = _read(reader)
        report(2_000_000, 2_000_000)
        last = _read(reader)
    assert first.startswith("\rPick cube: downloaded 500.0 kB of 2.0 MB (25%), ")
    assert first.endswith(" MB/s\x1b[K")
    assert last.startswith("\rPick cube: downloaded 2.0 MB of 2.0 MB (100%), ")
    assert last.endswith("\x1b[K\r\n")


def test_updates_rate_limited() -> None:
    with _terminal() as (stream, reader):
        progress = TerminalProgress(stream, min_interval_s=60.0)
        progress.show("first")
        progress.show("second")
        progress.show("third", force=True)
        text = _read(reader)
    assert text == "\rfirst\x1b[K\rthird\x1b[K"


def test_check_progress_silent_off_terminal(capsys) -> None:
    with check_progress("Pick cube"):
        time.sleep(0.01)
    assert capsys.readouterr().err == ""


def test_format_bytes() -> None:
    assert format_bytes(999) == "999 B"
    assert format_bytes(1_500) == "1.5 kB"
    assert format_bytes(26_061_159) == "26.1 MB"
    assert format_bytes(5 * 10**12) == "5000.0 GB"


def test_check_progress_on_terminal(monkeypatch) -> None:
    with _terminal() as (stream, reader):
        monkeypatch.setattr("sys.stderr", stream)
        with check_progress("Pick cube"):
            time.sleep(1.3)
        text = _read(reader)
    assert text.startswith("\rPick cube: checking, 1 s\x1b[K")
    assert text.endswith("\r\n")
    assert "\rPick cube: checks finished in 1." in text
