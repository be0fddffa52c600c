"""One REST call under bounds: a total deadline, a size limit, JSON in and out (`send_json`).

`requests` only bounds each socket read (`readTimeout`), so an answer trickling in a byte at a time
would hold a worker thread, and the pass, for as long as the server likes; and a huge body would be
held in memory whole. Here the answer is streamed and counted against a monotonic deadline and
`maxResponseBytes`, and reading stops with an error naming the call.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
import urllib3.exceptions as urllib3_exceptions
from netapp_ontap.error import NetAppRestError
from netapp_ontap.host_connection import HostConnection

from ontap.answers import parse_body, size_text
from ontap.errors import OntapDeadlineExceeded, OntapUnexpectedAnswer
from ontap.pooled_get import open_get

if TYPE_CHECKING:
    from ontap.config import OntapClusterConfig


@dataclass(frozen=True)
class RequestLimits:
    """The bounds of one REST call: a total deadline (not only per socket read) and a size limit."""

    connect_timeout: float = 6.0
    read_timeout: float = 45.0
    total_timeout: float = 60.0
    max_bytes: int = 32 * 1024 * 1024

    @classmethod
    def of(cls, config: OntapClusterConfig) -> RequestLimits:
        """The limits configured for a cluster."""
        return cls(
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            total_timeout=config.request_timeout,
            max_bytes=config.max_response_bytes,
        )


LIMITS_ATTRIBUTE = "ontap_request_limits"
_CHUNK = 64 * 1024


def limits_of(connection: HostConnection) -> RequestLimits:
    """The limits the client gave `connection` (the defaults for a connection made elsewhere)."""
    limits = getattr(connection, LIMITS_ATTRIBUTE, None)
    return limits if isinstance(limits, RequestLimits) else RequestLimits()


def send_json(
    connection: HostConnection,
    method: str,
    path: str,
    *,
    body: Mapping[str, Any] | None = None,
    params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One REST request through the library's connection (auth, TLS, timeouts), JSON in and out.

    A GET is sent on the pool of the connection's session directly (`ontap.pooled_get`), anything
    else through the session.

    The answer is streamed under the connection's `RequestLimits`: reading stops with an error naming
    the call when the whole answer has not arrived within the total deadline (a trickle) or exceeds
    the size limit. A 2xx body that is not a JSON object is `OntapUnexpectedAnswer`; HTTP errors are
    raised as `NetAppRestError`, exactly like the library's own calls. Used for every read (the
    collection envelopes are checked by `ontap.answers`) and the asynchronous SVM calls (whose job
    uuid is wanted at once, without the library's blocking poll).
    """
    limits = limits_of(connection)
    call = f"{method} {path.split('?', 1)[0]}"
    deadline = time.monotonic() + limits.total_timeout
    timeout = (limits.connect_timeout, min(limits.read_timeout, limits.total_timeout))
    try:
        response = open_get(connection, path, params, timeout) if method == "GET" and body is None else None
        if response is None:
            response = connection.session.request(
                method,
                f"{connection.origin}{path}",
                json=dict(body) if body is not None else None,
                params=params,
                stream=True,
                timeout=timeout,
            )
    except requests.exceptions.RequestException as exc:
        raise NetAppRestError(cause=exc) from None
    try:
        content = _read_bounded(response, deadline, limits, call)
    finally:
        response.close()
    response._content = content
    response._content_consumed = True  # type: ignore[attr-defined]
    try:
        response.raise_for_status()
    except requests.exceptions.HTTPError as exc:
        raise NetAppRestError(cause=exc) from None
    return parse_body(response.status_code, response.headers.get("Content-Type"), content, call)


def _read_bounded(response: requests.Response, deadline: float, limits: RequestLimits, call: str) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise _too_large(call, limits, f"announces {size_text(int(declared))}")
    chunks: list[bytes] = []
    received = 0
    while True:
        if time.monotonic() > deadline:
            raise OntapDeadlineExceeded(
                f"no complete answer within requestTimeout {limits.total_timeout:g}s "
                f"({size_text(received)} received) for {call}",
                http_status=response.status_code,
            )
        try:
            chunk = response.raw.read1(_CHUNK, decode_content=True)
        except urllib3_exceptions.ReadTimeoutError as exc:
            raise NetAppRestError(cause=requests.exceptions.ReadTimeout(str(exc))) from None
        except urllib3_exceptions.HTTPError as exc:
            cause = requests.exceptions.ChunkedEncodingError(type(exc).__name__)
            raise NetAppRestError(cause=cause) from None
        if not chunk:
            return b"".join(chunks)
        received += len(chunk)
        if received > limits.max_bytes:
            raise _too_large(call, limits, f"exceeds {size_text(received)}")
        chunks.append(chunk)


def _too_large(call: str, limits: RequestLimits, how: str) -> OntapUnexpectedAnswer:
    return OntapUnexpectedAnswer(
        f"the answer to {call} {how}, more than maxResponseBytes ({size_text(limits.max_bytes)}); not read"
    )
