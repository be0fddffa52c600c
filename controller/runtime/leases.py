"""coordination.k8s.io/v1 Leases as plain dicts, with times in the API's MicroTime format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

Lease = dict[str, Any]


class LeaseConflict(Exception):
    """The Lease changed (or was created) since it was read; re-read before trying again."""


def micro_time(moment: datetime | None = None) -> str:
    """`moment` (default now) as RFC 3339 with microseconds in UTC, as MicroTime fields require."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_micro_time(value: str | None) -> datetime | None:
    """Parse a MicroTime/Time string; None when absent or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class LeaseClient:
    """Reads and writes Leases in one namespace; writes are guarded by resourceVersion."""

    def __init__(self, api_client: Any, namespace: str) -> None:
        self._api: Any = client.CoordinationV1Api(api_client)
        self.namespace = namespace

    async def get(self, name: str, *, request_timeout: float | None = None) -> Lease | None:
        """The Lease `name`, or None if it does not exist."""
        response = await self._api.read_namespaced_lease(
            name, self.namespace, _preload_content=False, _request_timeout=request_timeout
        )
        try:
            if response.status == 404:
                return None
            body = await response.read()
            if response.status != 200:
                raise ApiException(status=response.status, reason=body[:300].decode("utf-8", "replace"))
            lease: Lease = json.loads(body)
            return lease
        finally:
            response.close()

    async def create(self, name: str, spec: dict[str, Any], *, request_timeout: float | None = None) -> Lease:
        """Create the Lease; `LeaseConflict` if it already exists."""
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": name},
            "spec": spec,
        }
        return await self._write("create", body, request_timeout)

    async def replace(
        self, lease: Lease, spec: dict[str, Any], *, request_timeout: float | None = None
    ) -> Lease:
        """Replace the spec of a Lease read before; `LeaseConflict` if it changed in between."""
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": lease["metadata"]["name"],
                "resourceVersion": lease["metadata"]["resourceVersion"],
            },
            "spec": spec,
        }
        return await self._write("replace", body, request_timeout)

    async def _write(self, verb: str, body: Lease, request_timeout: float | None) -> Lease:
        name = body["metadata"]["name"]
        if verb == "create":
            response = await self._api.create_namespaced_lease(
                self.namespace, body, _preload_content=False, _request_timeout=request_timeout
            )
        else:
            response = await self._api.replace_namespaced_lease(
                name, self.namespace, body, _preload_content=False, _request_timeout=request_timeout
            )
        try:
            data = await response.read()
            if response.status == 409:
                raise LeaseConflict(f"Lease {self.namespace}/{name} changed concurrently")
            if response.status not in (200, 201):
                raise ApiException(status=response.status, reason=data[:300].decode("utf-8", "replace"))
            written: Lease = json.loads(data)
            return written
        finally:
            response.close()
