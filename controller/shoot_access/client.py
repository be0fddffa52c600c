"""A bounded set of HTTPS clients for shoot kube-apiservers: one per shoot, each request time-limited.

A client is kept per seed namespace while its endpoint (server, CA, token) stays the same, and replaced when
it changes; beyond `max_clients` the least recently used one is closed. A shoot that does not answer costs at
most `timeout` seconds and never raises anything but `ShootReadError`, whose message names the apiserver
(never the token).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections import OrderedDict
from typing import Any

import aiohttp

from controller.shoot_access.kubeconfig import ShootEndpoint

MAX_RESPONSE_BYTES = 1 << 20


class ShootReadError(Exception):
    """The shoot's apiserver could not be asked or refused; `status` is its HTTP status when it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def unauthorized(self) -> bool:
        """The credentials were refused (an expired or revoked token): read them again."""
        return self.status in (401, 403)


class ShootClient:
    """GETs against one shoot's kube-apiserver."""

    def __init__(self, endpoint: ShootEndpoint, timeout: float) -> None:
        self.endpoint = endpoint
        self.server = endpoint.server.rstrip("/")
        context = ssl.create_default_context(cadata=endpoint.ca_pem)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=context, limit=2),
            timeout=aiohttp.ClientTimeout(total=timeout),
            headers={"Authorization": f"Bearer {endpoint.token}", "Accept": "application/json"},
        )
        self._timeout = timeout

    async def get(self, path: str) -> dict[str, Any] | None:
        """The object at `path`, or None when the shoot answers 404."""
        where = f"GET {self.server}{path}"
        try:
            async with self._session.get(f"{self.server}{path}") as response:
                if response.status == 404:
                    return None
                if response.status != 200:
                    raise ShootReadError(
                        f"{where} answered HTTP {response.status} {response.reason}", response.status
                    )
                # `read(n)` returns what has arrived so far; an answer in several chunks is read to its end.
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(64 * 1024):
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        break
                    chunks.append(chunk)
                body = b"".join(chunks)
        except TimeoutError:
            raise ShootReadError(f"{where}: no answer within {self._timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise ShootReadError(f"{where}: {type(exc).__name__}: {exc}") from None
        if size > MAX_RESPONSE_BYTES:
            raise ShootReadError(f"{where}: answer larger than {MAX_RESPONSE_BYTES} bytes")
        try:
            obj = json.loads(body)
        except ValueError:
            raise ShootReadError(f"{where}: the answer is not JSON") from None
        if not isinstance(obj, dict):
            raise ShootReadError(f"{where}: the answer is not an object")
        return obj

    async def close(self) -> None:
        await self._session.close()


class ShootClients:
    """At most `max_clients` shoot clients, by seed namespace, least recently used closed first."""

    def __init__(self, *, max_clients: int, timeout: float) -> None:
        self.max_clients = max_clients
        self.timeout = timeout
        self._clients: OrderedDict[str, tuple[str, ShootClient]] = OrderedDict()
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._clients)

    async def client_for(self, namespace: str, endpoint: ShootEndpoint) -> ShootClient:
        """The client for this shoot and endpoint (made, or replaced when the endpoint changed)."""
        async with self._lock:
            entry = self._clients.get(namespace)
            if entry is not None and entry[0] == endpoint.fingerprint:
                self._clients.move_to_end(namespace)
                return entry[1]
            stale = [entry[1]] if entry is not None else []
            shoot_client = ShootClient(endpoint, self.timeout)
            self._clients[namespace] = (endpoint.fingerprint, shoot_client)
            self._clients.move_to_end(namespace)
            while len(self._clients) > self.max_clients:
                _, (_, evicted) = self._clients.popitem(last=False)
                stale.append(evicted)
        for old in stale:
            await old.close()
        return shoot_client

    async def forget(self, namespace: str) -> None:
        """Close and drop the shoot's client (its shoot is gone or its credentials were refused)."""
        async with self._lock:
            entry = self._clients.pop(namespace, None)
        if entry is not None:
            await entry[1].close()

    async def close(self) -> None:
        async with self._lock:
            clients = [c for _, c in self._clients.values()]
            self._clients.clear()
        for shoot_client in clients:
            await shoot_client.close()
