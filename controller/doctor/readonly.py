"""Clients that cannot write: the doctor's guarantee that looking never changes anything.

Both guards sit below every caller: on the Kubernetes client's REST layer (every request passes there)
and on each ONTAP client's `run`, through which every ONTAP request goes, with its `mutating` flag.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ontap.client import OntapClients

KUBE_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteRefused(RuntimeError):
    """A write was attempted through a read-only client (a bug in the doctor, never expected)."""


def forbid_kube_writes(api_client: Any) -> Any:
    """Make every non-GET request of `api_client` raise `WriteRefused` before it is sent."""
    rest_client = api_client.rest_client
    original: Callable[..., Awaitable[Any]] = rest_client.request

    async def read_only(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if method.upper() not in KUBE_READ_METHODS:
            raise WriteRefused(f"the doctor is read-only: {method.upper()} {url} refused")
        return await original(method, url, *args, **kwargs)

    rest_client.request = read_only
    return api_client


def forbid_ontap_writes(clients: OntapClients) -> OntapClients:
    """Make every mutating request of each client raise before it is sent (its logins stay reads)."""
    for name in clients:
        client = clients[name]
        original = client.run

        async def read_only(
            fn: Any,
            *,
            operation: str,
            target: str,
            mutating: bool,
            _run: Any = original,
            _name: str = name,
            **kwargs: Any,
        ) -> Any:
            if mutating:
                raise WriteRefused(f"the doctor is read-only: {operation} on ONTAP cluster {_name} refused")
            return await _run(fn, operation=operation, target=target, mutating=mutating, **kwargs)

        client.run = read_only  # type: ignore[method-assign]
    return clients
