"""Download a dataset archive through its signed URL, safely and in constant memory.

The archive streams into ``<dest>.part`` while its SHA-256 is computed, and
is renamed to ``dest`` only after its size is verified and its bytes are on
disk. A cut-off transfer resumes with a ``Range`` request. If the storage
ignores the range and returns 200, the file restarts from byte 0.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import httpx
import structlog

from worker.gerra.errors import (
    DownloadError,
    DownloadSizeMismatch,
    InsufficientDiskSpace,
    SignedUrlRejected,
    error_for_response,
    response_detail,
    translated_httpx_errors,
)
from worker.gerra.retry import is_transient

if TYPE_CHECKING:
    from worker.gerra.client import GerraClient

log = structlog.get_logger(__name__)

STORAGE_OPERATION = "GET signed URL"
_CONTENT_RANGE_RE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DownloadResult:
    """A verified archive on disk. `attempts` counts storage requests."""

    path: Path
    size: int
    sha256: str
    attempts: int


class _UrlRejected(Exception):
    """Internal signal: storage returned a 4xx for the current signed URL."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail


class _PartFile:
    """The ``.part`` file being written and the SHA-256 of its bytes so far."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self._hasher = hashlib.sha256()
        self._file: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed in finish/discard

    def append(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._hasher.update(chunk)
        self.size += len(chunk)

    def restart(self) -> None:
        self._file.seek(0)
        self._file.truncate()
        self.size = 0
        self._hasher = hashlib.sha256()

    def hexdigest(self) -> str:
        return self._hasher.hexdigest()

    def finish(self) -> None:
        """Flush and fsync, so the rename never publishes a file with missing bytes."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


def check_disk_space(directory: Path, required: int) -> None:
    """Raise `InsufficientDiskSpace` when ``directory`` has fewer than ``required`` free bytes."""
    free = shutil.disk_usage(directory).free
    if free < required:
        raise InsufficientDiskSpace(path=directory, required=required, free=free)


def download_dataset(
    client: GerraClient,
    dataset_id: str,
    dest: Path,
    *,
    expected_size: int,
    progress: Progress | None = None,
) -> DownloadResult:
    """Download the archive of ``dataset_id`` to ``dest`` and verify its size.

    Fetches a fresh signed URL first, and once more whenever storage returns
    a 4xx for the current one. Transient failures (timeouts, dropped
    connections, 5xx, 429, a wrong byte count) are retried under the client's
    `RetryPolicy`. ``progress(bytes_written, expected_size)`` is called after
    each chunk. Chunks are written as they arrive from the socket, so memory
    stays constant and a cut-off transfer keeps every byte received.

    Raises `InsufficientDiskSpace` before any request, `SignedUrlRejected`,
    `DownloadSizeMismatch`, or the API and transport errors of the last
    failed attempt.
    """
    if expected_size < 0:
        raise ValueError(f"expected_size must be zero or positive bytes, got {expected_size}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    check_disk_space(dest.parent, expected_size)

    started = time.monotonic()
    part = _PartFile(dest.with_suffix(".part"))
    job = _Download(client, dataset_id, part, expected_size, progress)
    try:
        job.run()
        part.finish()
    except BaseException:
        part.discard()
        raise
    os.replace(part.path, dest)
    _fsync_directory(dest.parent)

    result = DownloadResult(path=dest, size=part.size, sha256=part.hexdigest(), attempts=job.attempts)
    log.info(
        "archive_downloaded",
        dataset_id=dataset_id,
        size=result.size,
        sha256=result.sha256,
        attempts=result.attempts,
        elapsed_s=round(time.monotonic() - started, 3),
    )
    return result


class _Download:
    """State of one download across attempts: URL, partial file, counters."""

    def __init__(
        self,
        client: GerraClient,
        dataset_id: str,
        part: _PartFile,
        expected_size: int,
        progress: Progress | None,
    ) -> None:
        self.client = client
        self.dataset_id = dataset_id
        self.part = part
        self.expected = expected_size
        self.progress = progress
        self.attempts = 0
        self.url = ""

    def run(self) -> None:
        self.url = self._fresh_url()
        retrying = self.client.retry_policy.retrying(
            retry_on=_is_retryable,
            operation=STORAGE_OPERATION,
            dataset_id=self.dataset_id,
        )
        retrying(self._attempt)

    def _fresh_url(self) -> str:
        dataset = self.client.get_dataset(self.dataset_id)
        if dataset.signed_url is None:
            raise DownloadError(
                f"dataset {self.dataset_id} has no file (signed_url is null). "
                "Ask Gerra to attach the archive."
            )
        if dataset.data_byte_size != self.expected:
            log.warning(
                "dataset_size_changed",
                dataset_id=self.dataset_id,
                expected_size=self.expected,
                data_byte_size=dataset.data_byte_size,
            )
        return dataset.signed_url.get_secret_value()

    def _attempt(self) -> None:
        """Run one transfer, and after a 4xx fetch a fresh URL and try exactly once more."""
        try:
            self._transfer()
        except _UrlRejected as first:
            log.warning(
                "download_url_refreshed",
                dataset_id=self.dataset_id,
                status_code=first.status_code,
                detail=first.detail,
            )
            self.url = self._fresh_url()
            try:
                self._transfer()
            except _UrlRejected as second:
                raise SignedUrlRejected(
                    second.status_code, second.detail, dataset_id=self.dataset_id
                ) from None

    def _transfer(self) -> None:
        self.attempts += 1
        resume_from = self.part.size
        headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        if resume_from:
            headers["Range"] = f"bytes={resume_from}-"

        with translated_httpx_errors(STORAGE_OPERATION):
            with self.client.http.stream(
                "GET", self.url, headers=headers, follow_redirects=True
            ) as response:
                self._check_status(response, resume_from)
                self._receive(response)
        self._check_complete()

    def _check_status(self, response: httpx.Response, resume_from: int) -> None:
        status = response.status_code
        if status == 206:
            self._check_partial(response, resume_from)
            return
        if status == 200:
            if resume_from:
                log.warning("download_restarted", dataset_id=self.dataset_id, offset=resume_from)
                self.part.restart()
            self._check_content_length(response)
            return
        response.read()
        if status == 416 and resume_from:
            self.part.restart()
            raise DownloadSizeMismatch(
                dataset_id=self.dataset_id, expected=self.expected, actual=resume_from,
                source="storage refused to resume (HTTP 416) after",
            )
        if 400 <= status < 500 and status != 429:
            raise _UrlRejected(status, response_detail(response))
        raise error_for_response(response, operation=STORAGE_OPERATION)

    def _check_content_length(self, response: httpx.Response) -> None:
        announced = response.headers.get("Content-Length")
        if announced is not None and announced.isdigit() and int(announced) != self.expected:
            raise DownloadSizeMismatch(
                dataset_id=self.dataset_id, expected=self.expected, actual=int(announced),
                source="storage announced a Content-Length of",
            )

    def _check_partial(self, response: httpx.Response, resume_from: int) -> None:
        match = _CONTENT_RANGE_RE.match(response.headers.get("Content-Range", ""))
        if match is None or int(match.group(1)) != resume_from:
            # The storage sent some other range, so restart rather than splice bytes.
            self.part.restart()
            raise DownloadSizeMismatch(
                dataset_id=self.dataset_id, expected=self.expected, actual=resume_from,
                source="storage returned an unusable range after",
            )
        total = match.group(3)
        if total != "*" and int(total) != self.expected:
            self.part.restart()
            raise DownloadSizeMismatch(
                dataset_id=self.dataset_id, expected=self.expected, actual=int(total),
                source="storage announced a total size of",
            )
        log.info("download_resumed", dataset_id=self.dataset_id, offset=resume_from)

    def _receive(self, response: httpx.Response) -> None:
        for chunk in response.iter_bytes():
            if self.part.size + len(chunk) > self.expected:
                actual = self.part.size + len(chunk)
                self.part.restart()
                raise DownloadSizeMismatch(
                    dataset_id=self.dataset_id, expected=self.expected, actual=actual,
                    source="storage sent at least",
                )
            self.part.append(chunk)
            if self.progress is not None:
                self.progress(self.part.size, self.expected)

    def _check_complete(self) -> None:
        # A body without Content-Length can end early without a protocol error.
        # The bytes so far are kept and the next attempt requests the rest.
        if self.part.size != self.expected:
            raise DownloadSizeMismatch(
                dataset_id=self.dataset_id, expected=self.expected, actual=self.part.size,
                source="storage sent",
            )


def _is_retryable(error: BaseException) -> bool:
    return is_transient(error) or isinstance(error, DownloadSizeMismatch)


def _fsync_directory(directory: Path) -> None:
    """Persist the rename itself, except where directories cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
