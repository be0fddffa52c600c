"""Lease-based leader election (the algorithm of client-go's leaderelection package).

kubernetes_asyncio ships a `leaderelection` module, but it keeps no `leaseTransitions`, cannot
release the lease on shutdown, writes local wall-clock time with a `Z` suffix and puts no time limit
on a renewal request, so a hung request could keep a deposed leader working. This one:

- acquires the Lease when it does not exist, is released (no holder) or has not been renewed for
  `leaseDuration` as observed on *this* process's monotonic clock (no trust in other clocks);
- renews every `retryPeriod`; if no renewal succeeds within `renewDeadline` it stops leading and
  calls `on_stopped_leading` (renewDeadline < leaseDuration, so it stops before anyone else can
  take over);
- on graceful shutdown releases the Lease so a standby takes over at once.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from controller.runtime import metrics
from controller.runtime.leases import LeaseClient, LeaseConflict, micro_time

Callback = Callable[[], Awaitable[None]]

log = structlog.get_logger(__name__)

JITTER_FACTOR = 1.2


def default_identity() -> str:
    """Pod name (or host name) plus a random suffix, unique per process."""
    base = os.environ.get("POD_NAME") or socket.gethostname()
    return f"{base}_{secrets.token_hex(4)}"


class LeaderElector:
    """Competes for one Lease; see the module docstring for the rules."""

    def __init__(
        self,
        api_client: Any,
        *,
        namespace: str,
        name: str,
        identity: str | None = None,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        on_started_leading: Callback | None = None,
        on_stopped_leading: Callback | None = None,
    ) -> None:
        if not lease_duration > renew_deadline > retry_period > 0:
            raise ValueError("lease_duration > renew_deadline > retry_period > 0 must hold")
        self._leases = LeaseClient(api_client, namespace)
        self.namespace = namespace
        self.name = name
        self.identity = identity or default_identity()
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self._on_started = on_started_leading
        self._on_stopped = on_stopped_leading
        self._observed_record: tuple[Any, ...] | None = None
        self._observed_at = 0.0
        self.observed_holder: str | None = None
        self.is_leader = False
        self.started = asyncio.Event()
        self._log = log.bind(lease=f"{namespace}/{name}", identity=self.identity)

    async def run(self) -> None:
        """Wait to acquire the Lease, lead until it is lost, then return (after `on_stopped_leading`)."""
        self.started.set()
        await self._acquire()
        self._set_leader(True)
        self._log.info("became leader")
        try:
            if self._on_started is not None:
                await self._on_started()
            await self._renew_until_lost()
        finally:
            was_leader = self.is_leader
            self._set_leader(False)
        if was_leader:
            self._log.error("leader election lost: the lease could not be renewed in time")
            if self._on_stopped is not None:
                await self._on_stopped()

    async def release(self) -> bool:
        """Give the Lease up if this process holds it (graceful shutdown); True if released."""
        self._set_leader(False)
        try:
            lease = await self._leases.get(self.name, request_timeout=self.renew_deadline)
            if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                return False
            spec = dict(lease.get("spec") or {})
            now = micro_time()
            spec.update(
                {"holderIdentity": None, "leaseDurationSeconds": 1, "renewTime": now, "acquireTime": now}
            )
            await self._leases.replace(lease, spec, request_timeout=self.renew_deadline)
        except Exception as exc:
            self._log.warning(
                "could not release the leader-election lease", error=f"{type(exc).__name__}: {exc}"
            )
            return False
        self._log.info("released the leader-election lease")
        return True

    async def _acquire(self) -> None:
        while True:
            if await self._attempt(self.renew_deadline):
                return
            await asyncio.sleep(self.retry_period * random.uniform(1.0, JITTER_FACTOR))

    async def _renew_until_lost(self) -> None:
        while True:
            deadline = time.monotonic() + self.renew_deadline
            renewed = False
            while not renewed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                renewed = await self._attempt(remaining)
                if not renewed:
                    await asyncio.sleep(min(self.retry_period, max(deadline - time.monotonic(), 0.0)))
            await asyncio.sleep(self.retry_period)

    async def _attempt(self, budget: float) -> bool:
        try:
            async with asyncio.timeout(budget):
                return await self._try_acquire_or_renew(budget)
        except TimeoutError:
            self._log.warning("leader-election request timed out", timeout=round(budget, 2))
            return False
        except LeaseConflict:
            return False
        except Exception as exc:
            self._log.warning("leader-election request failed", error=f"{type(exc).__name__}: {exc}")
            return False

    async def _try_acquire_or_renew(self, budget: float) -> bool:
        now = micro_time()
        duration = math.ceil(self.lease_duration)
        lease = await self._leases.get(self.name, request_timeout=budget)
        if lease is None:
            spec = {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": duration,
                "acquireTime": now,
                "renewTime": now,
                "leaseTransitions": 0,
            }
            await self._leases.create(self.name, spec, request_timeout=budget)
            self._observe(spec)
            return True
        current = dict(lease.get("spec") or {})
        self._observe(current)
        holder = current.get("holderIdentity")
        held_for = float(current.get("leaseDurationSeconds") or self.lease_duration)
        if holder and holder != self.identity and self._observed_at + held_for > time.monotonic():
            return False
        transitions = int(current.get("leaseTransitions") or 0)
        ours = holder == self.identity
        spec = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": duration,
            "acquireTime": current.get("acquireTime") if ours and current.get("acquireTime") else now,
            "renewTime": now,
            "leaseTransitions": transitions if ours else transitions + 1,
        }
        await self._leases.replace(lease, spec, request_timeout=budget)
        self._observe(spec)
        return True

    def _observe(self, spec: dict[str, Any]) -> None:
        record = (
            spec.get("holderIdentity"),
            spec.get("renewTime"),
            spec.get("acquireTime"),
            spec.get("leaseTransitions"),
            spec.get("leaseDurationSeconds"),
        )
        if record != self._observed_record:
            self._observed_record = record
            self._observed_at = time.monotonic()
            if spec.get("holderIdentity") != self.observed_holder:
                self.observed_holder = spec.get("holderIdentity")
                self._log.info("leader observed", holder=self.observed_holder)

    def _set_leader(self, leading: bool) -> None:
        self.is_leader = leading
        metrics.IS_LEADER.set(1 if leading else 0)
