"""Building the Kubernetes API client, and counting every request it makes.

`KubeRequestCounter` wraps the client's REST layer so that each request is counted by verb
(GET, LIST, WATCH, POST, PUT, PATCH, DELETE) and resource, in the counter object (for tests that
assert "a steady-state pass makes no writes") and in a Prometheus counter.

Every request without a timeout of its own gets `request_timeout`: an apiserver that accepts a
request and never answers must fail the pass (and back it off), not hold the shoot's key forever.
Watches pass their own `_request_timeout` and keep it.
"""

from __future__ import annotations

import functools
import json
import os
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.client.rest import RESTResponse

from controller.runtime import metrics

READ_VERBS = frozenset({"GET", "LIST", "WATCH", "HEAD", "OPTIONS"})
WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_REQUEST_TIMEOUT = 30.0


async def make_api_client(
    kubeconfig: Path | None = None,
    *,
    counter: KubeRequestCounter | None = None,
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
) -> Any:
    """An ApiClient from `kubeconfig`, else the in-cluster service account, else `$KUBECONFIG`/~/.kube.

    Requests that set no timeout of their own are bounded by `request_timeout` seconds (None: unbounded).
    When `counter` is given, every request the client makes is counted by it.
    """
    configuration = client.Configuration()
    if kubeconfig is not None:
        await config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    elif os.environ.get("KUBERNETES_SERVICE_HOST") and not os.environ.get("KUBECONFIG"):
        config.load_incluster_config(client_configuration=configuration)
    else:
        await config.load_kube_config(client_configuration=configuration)
    if configuration.proxy is None:
        configuration.proxy = environment_proxy(str(configuration.host or ""))
    api_client = client.ApiClient(configuration=configuration)
    # The proxy from the environment was resolved once, above; aiohttp would otherwise re-read the
    # proxy variables and ~/.netrc on every request (the client authenticates with its own token/cert).
    api_client.rest_client.pool_manager._trust_env = False
    if request_timeout is not None:
        bound_requests(api_client, request_timeout)
    if counter is not None:
        counter.attach(api_client)
    return api_client


def environment_proxy(server: str) -> str | None:
    """The proxy `HTTPS_PROXY`/`HTTP_PROXY` name for `server`, unless `NO_PROXY` exempts it."""
    parts = urlsplit(server)
    host = parts.hostname or ""
    if not host or urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parts.scheme or "https")


async def json_answer(call: Awaitable[Any]) -> dict[str, Any]:
    """The JSON body of a request made with `_preload_content=False`, without building client models.

    Deserializing into the client's model classes (timestamps parsed one by one) costs more CPU than the
    request itself, so the reads of every pass take the API server's JSON as it is. A non-2xx answer
    raises `ApiException` exactly as a preloaded call would.
    """
    response = await call
    try:
        body = await response.read()
    finally:
        response.release()
    if not 200 <= response.status <= 299:
        error = ApiException(http_resp=RESTResponse(response, body))  # type: ignore[arg-type]  # as the client does
        error.body = body.decode("utf-8", errors="replace")
        raise error
    answer: dict[str, Any] = json.loads(body)
    return answer


# The credential setting every Kubernetes API operation names (the generated clients' `auth_settings`).
_AUTH_SETTINGS = ["BearerToken"]


async def get_json(api_client: Any, path: str, query: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    """GET `path` (e.g. `/api/v1/namespaces/<ns>/secrets`) and return the API server's JSON as it is.

    The request goes through the client's own REST layer: its credentials (refreshed as the client
    refreshes them), TLS, proxy, default timeout and request counting; what it skips is the generated
    API's per-call parameter checking and model building, which cost more than the request on the reads
    every pass makes. A non-2xx answer raises `ApiException` as the generated API would.
    """
    headers: dict[str, str] = {**api_client.default_headers, "Accept": "application/json"}
    queries = list(query)
    await api_client.update_params_for_auth(headers, queries, _AUTH_SETTINGS)
    url = f"{api_client.configuration.host}{quote(path)}"
    return await json_answer(
        api_client.rest_client.request(
            "GET", url, query_params=queries, headers=headers, _preload_content=False
        )
    )


def bound_requests(api_client: Any, seconds: float) -> None:
    """Give every request of `api_client` that has no `_request_timeout` a total timeout of `seconds`."""
    rest_client = api_client.rest_client
    original: Callable[..., Awaitable[Any]] = rest_client.request
    default = aiohttp.ClientTimeout(total=seconds)

    async def bounded_request(*args: Any, _request_timeout: Any = None, **kwargs: Any) -> Any:
        return await original(*args, _request_timeout=_request_timeout or default, **kwargs)

    rest_client.request = bounded_request


def request_verb(method: str, url: str, query_params: Iterable[tuple[str, Any]] | None) -> str:
    """The Kubernetes verb of a request: GET on a collection is LIST, with `watch=true` it is WATCH."""
    return request_verb_and_resource(method, url, query_params)[0]


def request_resource(url: str) -> str:
    """The resource a request is about, e.g. `extensions`, `extensions/status`, `leases`."""
    resource, _ = _resource_and_names(url)
    return resource


def request_verb_and_resource(
    method: str, url: str, query_params: Iterable[tuple[str, Any]] | None
) -> tuple[str, str]:
    """`request_verb` and `request_resource` of one request, the URL taken apart once."""
    resource, names = _resource_and_names(url)
    method = method.upper()
    if method != "GET":
        return method, resource
    params = dict(query_params or ())
    if str(params.get("watch", "")).lower() in ("true", "1"):
        return "WATCH", resource
    return ("GET" if names else "LIST"), resource


def _resource_and_names(url: str) -> tuple[str, list[str]]:
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if segments[:1] == ["api"]:
        rest = segments[2:]
    elif segments[:1] == ["apis"]:
        rest = segments[3:]
    else:
        return (segments[0] if segments else "/"), []
    if len(rest) > 2 and rest[0] == "namespaces":
        rest = rest[2:]
    if not rest:
        return "discovery", []
    resource = rest[0]
    names = rest[1:2]
    if len(rest) > 2:
        resource = f"{resource}/{rest[2]}"
    return resource, names


@functools.lru_cache(maxsize=1024)
def _kube_requests_series(verb: str, resource: str) -> Any:
    # Verbs and resources are few: each series is looked up once, not on every request.
    return metrics.KUBE_REQUESTS.labels(verb=verb, resource=resource)


class KubeRequestCounter:
    """Counts the requests made through the ApiClients it is attached to."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def attach(self, api_client: Any) -> KubeRequestCounter:
        """Count every request of `api_client` from now on (several counters may share one client)."""
        rest_client = api_client.rest_client
        original: Callable[..., Awaitable[Any]] = rest_client.request

        async def counted_request(
            method: str, url: str, query_params: Any = None, *args: Any, **kwargs: Any
        ) -> Any:
            self.record(method, url, query_params)
            return await original(method, url, query_params, *args, **kwargs)

        rest_client.request = counted_request
        return self

    def record(self, method: str, url: str, query_params: Iterable[tuple[str, Any]] | None = None) -> None:
        """Count one request."""
        verb, resource = request_verb_and_resource(method, url, query_params)
        self._counts[(verb, resource)] += 1
        _kube_requests_series(verb, resource).inc()

    @property
    def writes(self) -> int:
        """POST, PUT, PATCH and DELETE requests."""
        return sum(n for (verb, _), n in self._counts.items() if verb in WRITE_VERBS)

    @property
    def reads(self) -> int:
        """GET, LIST and WATCH requests."""
        return sum(n for (verb, _), n in self._counts.items() if verb in READ_VERBS)

    @property
    def total(self) -> int:
        """All requests."""
        return sum(self._counts.values())

    def by_verb(self) -> dict[str, int]:
        """Requests per verb."""
        result: Counter[str] = Counter()
        for (verb, _), n in self._counts.items():
            result[verb] += n
        return dict(result)

    def by_resource(self) -> dict[tuple[str, str], int]:
        """Requests per (verb, resource)."""
        return dict(self._counts)

    def write_requests(self) -> list[tuple[str, str]]:
        """The (verb, resource) pairs that were writes, for a readable assertion message."""
        return sorted(key for key in self._counts if key[0] in WRITE_VERBS)

    def reset(self) -> None:
        """Start counting from zero."""
        self._counts.clear()
