"""The fake answers at its SVMs' management LIFs, as ONTAP does, when their address is on loopback.

NetApp documents that an SVM-scoped account authenticates at a management interface of its own SVM
(netapp-ontap, `resources/account_password.py`: "The IP address in the URI must be same as one of the
interfaces owned by the SVM"; Trident's vsadmin backends name the SVM's management LIF). So the fake
listens, on the cluster address's port, on every management LIF address in 127.0.0.0/8, each with a
certificate from the fake's CA for that address, and `ontap.fake.auth` lets SVM accounts in only there.
Addresses outside loopback are never bound: nothing on this machine may answer for them.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Iterable

import structlog
from aiohttp import web

from ontap.fake.store import FakeState, Record
from ontap.fake.tls import FakeCertificateAuthority

log = structlog.get_logger("ontap.fake")

# Service policies whose LIFs serve ONTAP's management HTTPS (`management-https` service).
MANAGEMENT_POLICIES = frozenset({"default-management"})


def management_lif(record: Record) -> tuple[str, str] | None:
    """(address, owning SVM uuid) of an interface record that is an enabled management LIF."""
    policy = (record.get("service_policy") or {}).get("name")
    address = (record.get("ip") or {}).get("address")
    svm_uuid = (record.get("svm") or {}).get("uuid")
    if policy in MANAGEMENT_POLICIES and address and svm_uuid and record.get("enabled", True):
        return str(address), str(svm_uuid)
    return None


def management_lifs(state: FakeState) -> dict[str, str]:
    """Address -> owning SVM uuid of every enabled management LIF."""
    return dict(filter(None, map(management_lif, state.interfaces.values())))


def is_loopback(address: str) -> bool:
    """True for an IPv4 address in 127.0.0.0/8."""
    try:
        return ipaddress.IPv4Address(address).is_loopback
    except ipaddress.AddressValueError:
        return False


class LifListeners:
    """One listening site per loopback management LIF, on the cluster address's port."""

    def __init__(
        self,
        runner: web.AppRunner,
        port: int,
        ca: FakeCertificateAuthority | None,
        cluster_host: str,
    ) -> None:
        self._runner = runner
        self._port = port
        self._ca = ca
        self._cluster_host = cluster_host
        self._sites: dict[str, web.TCPSite] = {}
        # Requests that change LIFs sync concurrently; one at a time, or two would bind one address.
        self._syncing = asyncio.Lock()
        # Addresses a test cut off from the seed: the LIF exists, but nothing answers there.
        self.unreachable: set[str] = set()
        # The addresses last served completely, and the unreachable ones then (a repeat is skipped).
        self._applied: tuple[Iterable[str], frozenset[str]] | None = None

    @property
    def addresses(self) -> frozenset[str]:
        """The LIF addresses served now."""
        return frozenset(self._sites)

    async def sync(self, addresses: Iterable[str]) -> None:
        """Serve exactly the loopback addresses among `addresses` (besides the cluster address)."""
        await self.sync_current(lambda: addresses)

    async def sync_current(self, current: Callable[[], Iterable[str]]) -> None:
        """Like `sync`, with the addresses read by `current` once it is this call's turn (so a sync that
        waited never applies an older view over a newer one)."""
        async with self._syncing:
            addresses = current()
            applied = (addresses, frozenset(self.unreachable))
            if self._applied is not None and self._applied[0] is addresses and self._applied[1] == applied[1]:
                return  # the very view served already (`ontap.fake.index` keeps it while nothing changes)
            wanted = {
                a
                for a in addresses
                if is_loopback(a) and a != self._cluster_host and a not in self.unreachable
            }
            complete = await self._sync(wanted)
            self._applied = applied if complete else None

    async def _sync(self, wanted: set[str]) -> bool:
        complete = True
        for address in sorted(set(self._sites) - wanted):
            await self._sites.pop(address).stop()
            self._drop_connections(address)
        for address in sorted(wanted - set(self._sites)):
            context = self._ca.server_context((address,)) if self._ca is not None else None
            site = web.TCPSite(self._runner, address, self._port, ssl_context=context)
            try:
                await site.start()
            except OSError as exc:
                log.warning("cannot serve management LIF", address=address, port=self._port, error=str(exc))
                complete = False
                continue
            self._sites[address] = site
        return complete

    def _drop_connections(self, address: str) -> None:
        """Close kept-alive connections to a LIF that stopped answering (as a broken route would)."""
        server = self._runner.server
        for handler in list(server.connections if server is not None else ()):
            transport = handler.transport
            sockname = transport.get_extra_info("sockname") if transport is not None else None
            if sockname and sockname[0] == address:
                handler.force_close()
                if transport is not None:
                    transport.close()

    async def close(self) -> None:
        """Stop serving every LIF address."""
        await self.sync(())


LISTENERS_KEY = web.AppKey("fake_ontap_lif_listeners", LifListeners)
