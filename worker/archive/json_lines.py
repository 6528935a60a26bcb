"""Pre-scan of JSON Lines data for nesting depth and UTF-8 validity.

pyarrow's JSON reader recurses once per nesting level. In pyarrow 26 it
crashes the process with a segmentation fault on a line nested 100,000 deep,
and it accepts invalid UTF-8 inside strings. This scan reads the data before
pyarrow does and rejects both.
"""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

from worker.archive.errors import UnreadableTable, format_count

DEFAULT_MAX_JSON_DEPTH = 100
_SCAN_CHUNK = 1024 * 1024
# Only these bytes change nesting or string state, so the scan skips the rest.
_STRUCTURAL = re.compile(rb'[\[\]{}"\\\n]')
_OPENERS = frozenset(b"[{")
_CLOSERS = frozenset(b"]}")
_QUOTE, _BACKSLASH, _NEWLINE = ord('"'), ord("\\"), ord("\n")


class _DepthScanner:
    """Track nesting depth across chunks, ignoring brackets inside strings."""

    def __init__(self, member: str, max_depth: int) -> None:
        self.member = member
        self.max_depth = max_depth
        self.line = 1
        self._depth = 0
        self._in_string = False
        # Position in the next chunk of a byte escaped by a trailing backslash.
        self._escaped_position = -1

    def feed(self, chunk: bytes) -> None:
        escaped = self._escaped_position
        self._escaped_position = -1
        for match in _STRUCTURAL.finditer(chunk):
            position = match.start()
            if position == escaped:
                continue
            byte = chunk[position]
            if byte == _NEWLINE:
                # JSON strings cannot contain a raw newline, so each line starts afresh.
                self.line += 1
                self._depth = 0
                self._in_string = False
            elif self._in_string:
                if byte == _BACKSLASH:
                    escaped = position + 1
                elif byte == _QUOTE:
                    self._in_string = False
            elif byte == _QUOTE:
                self._in_string = True
            elif byte in _OPENERS:
                self._depth += 1
                if self._depth > self.max_depth:
                    raise UnreadableTable(
                        self.member,
                        f"line {format_count(self.line)} is nested more than {self.max_depth} levels deep",
                    )
            elif byte in _CLOSERS:
                self._depth = max(self._depth - 1, 0)
        if escaped == len(chunk):
            self._escaped_position = 0


def check_json_lines(stream: BinaryIO, member: str, max_depth: int = DEFAULT_MAX_JSON_DEPTH) -> None:
    """Read the stream to its end and raise UnreadableTable for deep nesting or invalid UTF-8."""
    scanner = _DepthScanner(member, max_depth)
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    while chunk := stream.read(_SCAN_CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            # The decoder counts from the bytes it kept back from the previous chunk.
            position = max(error.start - pending, 0)
            line = scanner.line + chunk.count(b"\n", 0, position)
            raise UnreadableTable(
                member, f"invalid UTF-8 at byte {format_count(offset + position)} (line {format_count(line)})"
            ) from error
        scanner.feed(chunk)
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise UnreadableTable(member, "the data ends inside a UTF-8 character") from error
