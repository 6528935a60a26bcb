"""Paging when the list moves between requests: new deliveries push seen datasets onto later pages.

The emulator cannot insert datasets between two page requests, so these tests
use a fake list server (an `httpx.MockTransport`) that serves fixed pages.
"""

from __future__ import annotations

from typing import Any

import httpx

from worker.gerra.client import GerraClient, RetryPolicy


def _dataset(index: int) -> dict[str, Any]:
    return {
        "id": f"770e8400-e29b-41d4-a716-44665544{index:04d}", "date_created": "2025-01-15T10:30:00Z",
        "date_updated": "2025-01-15T10:30:00Z", "organization_id": "660e8400-e29b-41d4-a716-446655440000",
        "data_type": "episode", "name": f"d{index}", "description": None, "status": "pending",
        "link": f"d{index}.zip", "data_byte_size": 1, "metadata": {},
    }


def _fake_server(pages: dict[int, list[int]], total: int | None) -> tuple[httpx.MockTransport, list[int]]:
    """Serve `pages` by offset; record the offsets requested."""
    requested: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        requested.append(offset)
        body: dict[str, Any] = {"datasets": [_dataset(i) for i in pages.get(offset, [])]}
        if total is not None:
            body["total"] = total
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handle), requested


def _client(transport: httpx.MockTransport) -> GerraClient:
    return GerraClient("http://127.0.0.1:9", "gerra_paging00000001", transport=transport,
                       retry=RetryPolicy(max_attempts=1, max_wait_s=0.1))


def test_known_page_with_total_continues() -> None:
    """Two new deliveries arrive after page one, so page two repeats it. `total` shows that more follow."""
    transport, requested = _fake_server({0: [1, 2], 2: [1, 2], 4: [3, 4], 6: [5]}, total=7)
    with _client(transport) as client:
        listed = client.list_pending(page_size=2)
    assert sorted(d.name for d in listed) == ["d1", "d2", "d3", "d4", "d5"]
    assert requested == [0, 2, 4, 6]


def test_known_page_without_total_stops() -> None:
    """A server that ignores `offset` returns the first page for ever. Without `total` the client stops."""
    transport, requested = _fake_server({offset: [1, 2] for offset in range(0, 100, 2)}, total=None)
    with _client(transport) as client:
        listed = client.list_pending(page_size=2)
    assert sorted(d.name for d in listed) == ["d1", "d2"]
    assert requested == [0, 2]


def test_offset_ignored_with_total_ends() -> None:
    transport, requested = _fake_server({offset: [1, 2] for offset in range(0, 100, 2)}, total=6)
    with _client(transport) as client:
        listed = client.list_pending(page_size=2)
    assert len(listed) == 2
    assert requested == [0, 2, 4]
