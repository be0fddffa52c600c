"""Gardener's extension heartbeat: the Lease `gardener-extension-heartbeat` renewed every interval.

gardenlet reads its renewTime to decide whether the extension's health conditions are fresh; the
holderIdentity is the extension's name and leaseDurationSeconds the renew interval, as in
gardener's `extensions/pkg/controller/heartbeat` reconciler.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import structlog

from controller.runtime import metrics
from controller.runtime.leases import LeaseClient, LeaseConflict, micro_time

log = structlog.get_logger(__name__)


class Heartbeat:
    """Renews the heartbeat Lease every `renew_interval` seconds until cancelled."""

    def __init__(
        self,
        api_client: Any,
        *,
        namespace: str,
        holder_identity: str,
        renew_interval: float = 30.0,
        lease_name: str = "gardener-extension-heartbeat",
    ) -> None:
        self._leases = LeaseClient(api_client, namespace)
        self.namespace = namespace
        self.lease_name = lease_name
        self.holder_identity = holder_identity
        self.renew_interval = renew_interval
        self.renewals = 0
        self.last_renewed: float | None = None
        self._log = log.bind(lease=f"{namespace}/{lease_name}")

    async def renew_once(self) -> None:
        """Create or renew the Lease now."""
        spec = {
            "holderIdentity": self.holder_identity,
            "leaseDurationSeconds": max(1, math.ceil(self.renew_interval)),
            "renewTime": micro_time(),
        }
        timeout = max(self.renew_interval, 5.0)
        lease = await self._leases.get(self.lease_name, request_timeout=timeout)
        if lease is None:
            await self._leases.create(self.lease_name, spec, request_timeout=timeout)
        else:
            await self._leases.replace(lease, {**(lease.get("spec") or {}), **spec}, request_timeout=timeout)
        self.renewals += 1
        self.last_renewed = time.time()
        metrics.HEARTBEAT_RENEWED.set(self.last_renewed)

    async def run(self) -> None:
        """Renew now and then every interval; failures are logged and retried at the next tick."""
        while True:
            try:
                await self.renew_once()
            except asyncio.CancelledError:
                raise
            except LeaseConflict:
                self._log.info("heartbeat lease changed concurrently; renewing at the next tick")
            except Exception as exc:
                self._log.warning("heartbeat renewal failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.renew_interval)
