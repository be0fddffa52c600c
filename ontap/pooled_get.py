"""A GET straight on the connection pool that the library's session would use for it.

`requests.Session.request` rebuilds everything per call: it merges session and request settings,
prepares the URL, cookies and hooks, and the adapter looks up its pool and re-checks the CA bundle on
disk; on a short read that costs about twice the request itself. The reads of every pass are plain
GETs, so here they are sent on the very pool (`urllib3`) the connection's mounted adapter built, with
the session's headers, the connection's credentials, the adapter's retry policy and the request's
timeouts, and answered as a `requests.Response`, with transport failures raised as the `requests`
exceptions the adapter raises for them (so error mapping and `NetAppRestError` work unchanged).

A connection that needs more than that goes through the session as before (`open_get` returns
None): a proxy, certificate authentication, or the library's own API call logging switched on.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
import urllib3
from netapp_ontap import utils as ontap_utils
from netapp_ontap.host_connection import HostConnection
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers, requote_uri
from urllib3 import exceptions as u3

_POOL_ATTRIBUTE = "_ontap_pooled_get"


@dataclass(frozen=True)
class _Route:
    """Where and how a connection's GETs go, worked out once per connection."""

    key: tuple[Any, ...]  # what it was worked out from (the adapter, verify, headers)
    pool: Any
    retries: Any
    headers: dict[str, str]


def open_get(
    connection: HostConnection, path: str, params: Mapping[str, str] | None, timeout: tuple[float, float]
) -> requests.Response | None:
    """Send `GET path?params` and return the streamed answer, or None when the session must send it."""
    route = _route(connection)
    if route is None:
        return None
    url = requote_uri(path)
    if params:
        url = f"{path}?{urlencode(list(params.items()))}"
    headers = dict(route.headers)
    auth = connection.basic_auth
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    full_url = f"{connection.origin}{url}"
    try:
        raw = route.pool.urlopen(
            "GET",
            url,
            headers=headers,
            redirect=False,
            assert_same_host=False,
            preload_content=False,
            decode_content=False,
            retries=route.retries,
            timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
            chunked=False,
        )
    except Exception as exc:
        raise _as_requests_error(exc) from None
    return _response(raw, full_url)


def _route(connection: HostConnection) -> _Route | None:
    if ontap_utils.LOG_ALL_API_CALLS or connection.cert_auth is not None or connection.bearer_auth:
        return None
    session = connection.session
    if any(session.proxies.values()):
        return None
    adapter = session.get_adapter(connection.origin)
    if not isinstance(adapter, HTTPAdapter):
        return None
    headers = {str(k): str(v) for k, v in session.headers.items()}
    key = (id(adapter), str(session.verify), tuple(sorted(headers.items())))
    route: _Route | None = getattr(connection, _POOL_ATTRIBUTE, None)
    if route is not None and route.key == key:
        return route
    probe = requests.PreparedRequest()
    probe.prepare(method="GET", url=f"{connection.origin}/")
    pool = adapter.get_connection_with_tls_context(probe, session.verify, proxies=None, cert=None)
    adapter.cert_verify(pool, probe.url, session.verify, None)
    route = _Route(key=key, pool=pool, retries=adapter.max_retries, headers=headers)
    setattr(connection, _POOL_ATTRIBUTE, route)
    return route


def _response(raw: Any, url: str) -> requests.Response:
    response = requests.Response()
    response.status_code = raw.status
    response.headers = CaseInsensitiveDict(raw.headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw = raw
    response.reason = raw.reason
    response.url = url
    return response


# What requests' HTTPAdapter.send raises for a urllib3 failure, first match wins: for the cause of a
# MaxRetryError (`_GAVE_UP`) and for a failure raised as it is (`_RAISED`).
_GAVE_UP: tuple[tuple[type[BaseException], type[Exception]], ...] = (
    (u3.ResponseError, requests.exceptions.RetryError),
    (u3.ProxyError, requests.exceptions.ProxyError),
    (u3.SSLError, requests.exceptions.SSLError),
)
_RAISED: tuple[tuple[type[BaseException], type[Exception]], ...] = (
    (u3.ClosedPoolError, requests.exceptions.ConnectionError),
    (u3.ProtocolError, requests.exceptions.ConnectionError),
    (u3.ProxyError, requests.exceptions.ProxyError),
    (u3.SSLError, requests.exceptions.SSLError),
    (u3.ReadTimeoutError, requests.exceptions.ReadTimeout),
    (u3.InvalidHeader, requests.exceptions.InvalidHeader),
    (OSError, requests.exceptions.ConnectionError),
)


def _as_requests_error(exc: Exception) -> Exception:
    """The exception `requests`' HTTPAdapter.send raises for a urllib3 failure (same classes)."""
    if isinstance(exc, u3.MaxRetryError):
        reason = exc.reason
        if isinstance(reason, u3.ConnectTimeoutError) and not isinstance(reason, u3.NewConnectionError):
            return requests.exceptions.ConnectTimeout(exc)
        return next((error(exc) for cause, error in _GAVE_UP if isinstance(reason, cause)), None) or (
            requests.exceptions.ConnectionError(exc)
        )
    return next((error(exc) for cause, error in _RAISED if isinstance(exc, cause)), exc)
