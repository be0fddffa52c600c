"""Serving the hostile answers of `ontap.fake.faults` (well-formed HTTP that proves nothing)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from typing import Any

from aiohttp import web

from ontap.fake.faults import (
    REWRITING_ACTIONS,
    HtmlAction,
    HugeBodyAction,
    TrickleAction,
    rewrite_answer,
)

HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>Service unavailable</title></head><body>"
    "<h1>The management service is not available</h1><p>Please sign in to continue.</p>"
    + "<!-- padding -->" * 64
    + "</body></html>"
)
_CHUNK = 64 * 1024


def _json_of(response: web.StreamResponse) -> Any:
    body = getattr(response, "body", None)
    if not isinstance(body, bytes | bytearray) or not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _body_of(response: web.StreamResponse) -> bytes:
    body = getattr(response, "body", None)
    return bytes(body) if isinstance(body, bytes | bytearray) else b""


def rewritten(response: web.StreamResponse, action: Any) -> web.StreamResponse:
    """The handler's answer with its JSON changed by a rewriting action (errors pass unchanged)."""
    data = _json_of(response)
    if data is None or response.status >= 400:
        return response
    return web.json_response(rewrite_answer(action, data), status=response.status)


def truncated(response: web.StreamResponse) -> web.Response:
    body = _body_of(response)
    return web.Response(
        status=response.status, body=body[: max(1, len(body) // 2)], content_type="application/json"
    )


def html(action: HtmlAction) -> web.Response:
    return web.Response(status=action.http_status, text=HTML_PAGE, content_type="text/html")


async def huge(request: web.Request, action: HugeBodyAction) -> web.StreamResponse:
    """A valid empty collection padded to `megabytes`, written in chunks."""
    head = b'{"records": [], "num_records": 0, "padding": "'
    tail = b'"}'
    total = max(len(head) + len(tail), int(action.megabytes * 1024 * 1024))
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    if action.announce:
        response.content_length = total
    else:
        response.enable_chunked_encoding()
    await response.prepare(request)
    padding = total - len(head) - len(tail)
    with contextlib.suppress(ConnectionError):
        await response.write(head)
        while padding > 0:
            size = min(_CHUNK, padding)
            await response.write(b"x" * size)
            padding -= size
        await response.write(tail)
        await response.write_eof()
    return response


async def trickle(
    request: web.Request, response: web.StreamResponse, action: TrickleAction, shutdown: asyncio.Event
) -> web.StreamResponse:
    """The handler's answer sent a few bytes at a time at `bytes_per_second` (Content-Length announced)."""
    body = _body_of(response)
    streamed = web.StreamResponse(status=response.status, headers={"Content-Type": "application/json"})
    streamed.content_length = len(body)
    await streamed.prepare(request)
    step = 0.1 if action.bytes_per_second >= 10 else 1.0 / action.bytes_per_second
    per_step = max(1, math.floor(action.bytes_per_second * step))
    loop = asyncio.get_running_loop()
    ends = loop.time() + action.seconds
    with contextlib.suppress(ConnectionError):
        for offset in range(0, len(body), per_step):
            if shutdown.is_set() or loop.time() > ends:
                break
            await streamed.write(body[offset : offset + per_step])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(shutdown.wait(), timeout=step)
        else:
            await streamed.write_eof()
            return streamed
    transport = request.transport
    if transport is not None:
        transport.abort()
    return streamed


def is_rewriting(action: Any) -> bool:
    return isinstance(action, REWRITING_ACTIONS)
