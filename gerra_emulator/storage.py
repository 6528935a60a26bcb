"""The storage host behind signed URLs: token checks, ranges, streaming and download faults.

Signed URLs look like ``{base}/storage/datasets/<file name>?token=...``. The
token is checked only when a request starts, so a download that began before
expiry runs to completion.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from gerra_emulator.faults import DownloadPlan, FaultKind
from gerra_emulator.signing import TokenState
from gerra_emulator.deps import StoreDep
from gerra_emulator.store import DatasetNotFoundError
from gerra_emulator.wire import TRANSPORT_SCOPE_KEY, Scope, write_raw_response

log = structlog.get_logger(__name__)

CHUNK_BYTES = 256 * 1024
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def storage_error(status: int, error: str, message: str) -> JSONResponse:
    """Return a storage error body in the storage service's format."""
    return JSONResponse({"statusCode": str(status), "error": error, "message": message}, status_code=status)


@dataclass(frozen=True)
class ServedObject:
    """The bytes a download serves: the archive, possibly truncated, padded or corrupted."""

    path: Path
    file_size: int
    size: int
    flip_positions: tuple[int, ...] = ()

    @classmethod
    def plan(cls, path: Path, plan: DownloadPlan) -> ServedObject:
        """Apply the plan's object faults to the archive at `path`."""
        file_size = path.stat().st_size
        size = max(file_size - plan.truncate_bytes, 0) + plan.pad_bytes
        flips: tuple[int, ...] = ()
        content_size = min(size, file_size)
        if plan.flipped_bytes and content_size:
            # Evenly spread positions are the same on every request, so a
            # resumed or repeated download gets the same corrupt archive.
            count = min(plan.flipped_bytes, content_size)
            flips = tuple(sorted({(i + 1) * content_size // (count + 1) for i in range(count)}))
        return cls(path, file_size, size, flips)

    async def chunks(self, start: int, stop: int) -> AsyncIterator[bytes]:
        """Yield the bytes in [start, stop), reading the file in chunks off the event loop."""
        content_stop = min(stop, self.file_size, self.size)
        position = start
        with self.path.open("rb") as handle:
            handle.seek(start)
            while position < content_stop:
                chunk = await anyio.to_thread.run_sync(handle.read, min(CHUNK_BYTES, content_stop - position))
                if not chunk:
                    break
                yield self._flip(chunk, position)
                position += len(chunk)
        while position < stop:
            # Padding after the end of the archive.
            count = min(CHUNK_BYTES, stop - position)
            yield bytes(count)
            position += count

    def _flip(self, chunk: bytes, offset: int) -> bytes:
        inside = [p - offset for p in self.flip_positions if offset <= p < offset + len(chunk)]
        if not inside:
            return chunk
        data = bytearray(chunk)
        for index in inside:
            data[index] ^= 0xFF
        return bytes(data)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """Return the [start, stop) of a single byte range, None to serve everything, or "unsatisfiable".

    Multiple ranges and malformed headers are ignored (the whole object is
    served), which HTTP allows.
    """
    if not header:
        return None
    match = _RANGE_RE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(size - suffix, 0), size
    start = int(first)
    stop = size if not last else min(int(last) + 1, size)
    if last and int(last) < start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, stop


class DownloadResponse(Response):
    """Stream a `ServedObject` range, or write a faulty transfer straight to the socket."""

    def __init__(
        self, served: ServedObject, byte_range: tuple[int, int] | None, *, head: bool, plan: DownloadPlan, dataset_id: str
    ) -> None:
        super().__init__(media_type="application/zip")
        self.served = served
        self.start, self.stop = byte_range or (0, served.size)
        self.partial = byte_range is not None
        self.head = head
        self.plan = plan
        self.dataset_id = dataset_id

    def _headers(self) -> list[tuple[str, str]]:
        headers = [
            ("content-type", "application/zip"),
            ("content-length", str(self.stop - self.start)),
            ("accept-ranges", "bytes"),
        ]
        if self.partial:
            headers.append(("content-range", f"bytes {self.start}-{self.stop - 1}/{self.served.size}"))
        return headers

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        status = 206 if self.partial else 200
        wire = None if self.head else self.plan.wire
        log.info(
            "download_started",
            dataset_id=self.dataset_id,
            status=status,
            start=self.start,
            stop=self.stop,
            wire_fault=wire.kind.value if wire else None,
            truncate_bytes=self.plan.truncate_bytes,
            pad_bytes=self.plan.pad_bytes,
            flipped_bytes=len(self.served.flip_positions),
        )
        if wire is not None:
            await self._send_faulty(scope, receive, status, wire.kind, wire.cut_fraction, wire.length_delta_bytes)
            return

        raw_headers = [(name.encode(), value.encode()) for name, value in self._headers()]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        if not self.head:
            transport = scope.get(TRANSPORT_SCOPE_KEY)
            async for chunk in self.served.chunks(self.start, self.stop):
                if transport is not None and transport.is_closing():
                    log.info("download_abandoned", dataset_id=self.dataset_id)
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send_faulty(
        self, scope: Scope, receive: Any, status: int, kind: FaultKind, cut_fraction: float, delta: int
    ) -> None:
        length = self.stop - self.start
        if kind is FaultKind.DOWNLOAD_CUT:
            sent, extra, reset = int(length * cut_fraction), 0, True
        elif kind is FaultKind.DOWNLOAD_SHORT:
            sent, extra, reset = max(length - delta, 0), 0, False
        else:
            sent, extra, reset = length, delta, False
        log.info("fault_injected", kind=kind.value, endpoint="download", dataset_id=self.dataset_id, body_bytes=sent + extra)

        async def body() -> AsyncIterator[bytes]:
            async for chunk in self.served.chunks(self.start, self.start + sent):
                yield chunk
            if extra:
                yield bytes(extra)

        await write_raw_response(scope, receive, status=status, headers=self._headers(), body=body(), reset=reset)


storage_router = APIRouter(include_in_schema=False)


@storage_router.api_route("/storage/datasets/{file_name}", methods=["GET", "HEAD"])
def download(request: Request, store: StoreDep, file_name: str, token: str | None = None) -> Response:
    link = f"datasets/{file_name}"
    if not token:
        return storage_error(400, "InvalidRequest", "missing token query parameter")
    check = store.signer.verify(token, link, store.clock.timestamp())
    if check.state is TokenState.INVALID or check.dataset_id is None:
        return storage_error(400, "InvalidJWT", "invalid signature")
    if check.state is TokenState.EXPIRED:
        return storage_error(400, "InvalidJWT", "jwt expired")
    try:
        dataset = store.dataset(check.dataset_id)
    except DatasetNotFoundError:
        return storage_error(404, "not_found", "Object not found")
    if dataset.file_path is None or not dataset.file_path.is_file():
        log.warning("archive_missing", dataset_id=dataset.id, file=str(dataset.file_path))
        return storage_error(404, "not_found", "Object not found")

    head = request.method == "HEAD"
    plan = store.fault_engine.download_plan(dataset.id, include_wire=not head)
    served = ServedObject.plan(dataset.file_path, plan)
    byte_range = parse_range(request.headers.get("range"), served.size)
    if byte_range == "unsatisfiable":
        response = storage_error(416, "InvalidRange", f"range {request.headers.get('range')} not satisfiable")
        response.headers["content-range"] = f"bytes */{served.size}"
        return response
    assert not isinstance(byte_range, str)
    return DownloadResponse(served, byte_range, head=head, plan=plan, dataset_id=dataset.id)
