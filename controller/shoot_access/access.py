"""Reads from a shoot through the access Gardener gives extensions, without holding up a pass.

The shoot-access Secret comes from the shoot-resources step's LIST of its secrets (no read of its own), so a
token the resource manager renews is used on the next pass. The generic token kubeconfig is read once and
reused for `refresh_interval` (a missing or unreadable one for `retry_interval`); a 401/403 from the shoot
drops it and the client at once. Every shoot request is bounded by the clients' timeout.
"""

from __future__ import annotations

import ssl
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from kubernetes_asyncio.client.exceptions import ApiException

from controller.kube.secrets import get_secret
from controller.shoot_access.client import ShootClients, ShootReadError
from controller.shoot_access.kubeconfig import (
    DATA_KEY_KUBECONFIG,
    DATA_KEY_TOKEN,
    ShootAccessError,
    ShootEndpoint,
    endpoint_from_secrets,
    generic_kubeconfig_secret_name,
)
from controller.shoot_access.names import ACCESS_SECRET


@dataclass(frozen=True)
class _Generic:
    name: str
    until: float
    data: dict[str, str] | None = field(repr=False)
    error: str = ""


class ShootAccess:
    """Shoot reads for the whole controller: cached generic kubeconfigs and a bounded set of clients."""

    def __init__(
        self,
        *,
        access_secret_name: str = ACCESS_SECRET,
        timeout: float,
        max_clients: int,
        refresh_interval: float,
        retry_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.access_secret_name = access_secret_name
        self.clients = ShootClients(max_clients=max_clients, timeout=timeout)
        self._refresh = refresh_interval
        self._retry = retry_interval
        self._clock = clock
        self._generic: OrderedDict[str, _Generic] = OrderedDict()

    async def get(
        self,
        api_client: Any,
        namespace: str,
        cluster: dict[str, Any] | None,
        access_data: dict[str, str] | None,
        path: str,
    ) -> Any:
        """GET `path` from the shoot of `namespace`: the object, or None when the shoot answers 404.

        `access_data`: the shoot-access Secret's data as listed in this pass (None: it does not exist).
        Raises `ShootAccessError` (the seed secrets do not allow it) or `ShootReadError` (the shoot did not
        answer or refused), both naming the secret or the apiserver.
        """
        endpoint = await self.endpoint(api_client, namespace, cluster, access_data)
        try:
            shoot_client = await self.clients.client_for(namespace, endpoint)
        except (ssl.SSLError, ValueError) as exc:
            raise ShootAccessError(f"the CA for {endpoint.server} cannot be used: {exc}") from None
        try:
            return await shoot_client.get(path)
        except ShootReadError as exc:
            if exc.unauthorized:
                self._generic.pop(namespace, None)
                await self.clients.forget(namespace)
            raise

    async def endpoint(
        self,
        api_client: Any,
        namespace: str,
        cluster: dict[str, Any] | None,
        access_data: dict[str, str] | None,
    ) -> ShootEndpoint:
        """Server and CA from the generic kubeconfig (cached), the token from the shoot-access Secret."""
        generic_name = generic_kubeconfig_secret_name(cluster)
        needs_generic = (
            access_data is not None
            and not access_data.get(DATA_KEY_KUBECONFIG)
            and bool(access_data.get(DATA_KEY_TOKEN, "").strip())
        )
        generic = await self._generic_data(api_client, namespace, generic_name) if needs_generic else None
        return endpoint_from_secrets(namespace, generic_name, generic, self.access_secret_name, access_data)

    async def _generic_data(self, api_client: Any, namespace: str, name: str) -> dict[str, str] | None:
        now = self._clock()
        cached = self._generic.get(namespace)
        if cached is not None and cached.name == name and now < cached.until:
            self._generic.move_to_end(namespace)
            if cached.error:
                raise ShootAccessError(cached.error)
            return cached.data
        try:
            stored = await get_secret(api_client, namespace, name)
        except ApiException as exc:
            error = f"reading Secret {namespace}/{name} failed: HTTP {exc.status} {exc.reason}"
            self._remember(namespace, _Generic(name, now + self._retry, None, error))
            raise ShootAccessError(error) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            error = f"reading Secret {namespace}/{name} failed: {type(exc).__name__}"
            self._remember(namespace, _Generic(name, now + self._retry, None, error))
            raise ShootAccessError(error) from None
        data = None if stored is None else stored.data
        self._remember(
            namespace, _Generic(name, now + (self._retry if data is None else self._refresh), data)
        )
        return data

    def _remember(self, namespace: str, entry: _Generic) -> None:
        self._generic[namespace] = entry
        self._generic.move_to_end(namespace)
        while len(self._generic) > self.clients.max_clients:
            self._generic.popitem(last=False)

    async def forget(self, namespace: str) -> None:
        """Drop what is cached for a shoot (its Extension is gone)."""
        self._generic.pop(namespace, None)
        await self.clients.forget(namespace)

    async def close(self) -> None:
        self._generic.clear()
        await self.clients.close()


def shoot_access_from_config(config: Any) -> ShootAccess:
    """The controller's one `ShootAccess`, from `shootHealth` of the configuration."""
    health = config.shoot_health
    return ShootAccess(
        timeout=health.timeout.total_seconds(),
        max_clients=health.max_clients,
        refresh_interval=health.credentials_refresh.total_seconds(),
        retry_interval=health.credentials_retry.total_seconds(),
    )
