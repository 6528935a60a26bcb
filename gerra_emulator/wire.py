"""Connection-level actions that ASGI cannot express: closing or resetting a socket.

ASGI offers no way to drop a connection without a response, or to send a body
that disagrees with its Content-Length. The emulator's outermost ASGI layer
therefore stores uvicorn's asyncio transport in the scope (`attach_transport`),
and the helpers here write to it directly.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Any

TRANSPORT_SCOPE_KEY = "gerra_emulator.transport"
DISCONNECT_WAIT_S = 5.0
WRITE_BUFFER_HIGH_BYTES = 1 << 20

Scope = dict[str, Any]


def attach_transport(scope: Scope, send: Any) -> None:
    """Store the connection's asyncio transport in `scope`, when the server exposes it."""
    # NOTE: uvicorn's `send` is a bound method of its request cycle, which
    # keeps the transport in `.transport` (checked in uvicorn 0.55 with the
    # h11 protocol). The fault tests fail if that changes.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None:
        scope[TRANSPORT_SCOPE_KEY] = transport


def reason_phrase(status: int) -> str:
    """Return the standard reason phrase of `status`, or a generic one for unassigned codes."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Server Error" if status >= 500 else "Unknown"


def _transport(scope: Scope) -> asyncio.Transport:
    transport = scope.get(TRANSPORT_SCOPE_KEY)
    if transport is None:
        raise RuntimeError(
            "the connection's transport is not available, so the fault cannot be injected; "
            "serve the emulator with uvicorn through create_app()"
        )
    return transport


async def close_connection(scope: Scope, receive: Any, *, reset: bool = False) -> None:
    """Close the client connection at once; with `reset`, send a TCP RST instead of FIN."""
    transport = _transport(scope)
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0 makes close() discard unsent data and send RST.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    await _wait_disconnected(receive)


async def write_raw_response(
    scope: Scope,
    receive: Any,
    *,
    status: int,
    headers: list[tuple[str, str]],
    body: AsyncIterator[bytes],
    reset: bool = False,
) -> None:
    """Write a hand-made HTTP/1.1 response, whatever its Content-Length header claims, then close.

    The body is written exactly as `body` yields it; the connection then
    closes with FIN, or with RST when `reset` is true.
    """
    transport = _transport(scope)
    lines = [f"HTTP/1.1 {status} {reason_phrase(status)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += ["connection: close", "", ""]
    transport.write("\r\n".join(lines).encode("latin-1"))
    async for chunk in body:
        if transport.is_closing():
            break
        transport.write(chunk)
        while transport.get_write_buffer_size() > WRITE_BUFFER_HIGH_BYTES and not transport.is_closing():
            await asyncio.sleep(0.001)
    if reset:
        # Give the kernel the written bytes before the reset discards its queue.
        while transport.get_write_buffer_size() and not transport.is_closing():
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.05)
    await close_connection(scope, receive, reset=reset)


async def _wait_disconnected(receive: Any) -> None:
    """Wait until uvicorn reports the disconnect, so it sends nothing after us."""
    try:
        async with asyncio.timeout(DISCONNECT_WAIT_S):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return
