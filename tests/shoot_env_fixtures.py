"""Pytest plugin: a second local apiserver as the shoot, the real gardener-resource-manager.

``shoot_kube_apiserver`` (session) starts one :func:`hack.localenv.resource_manager.shoot_apiserver` with the
shoot-side CRDs (``hack/crds/shoot/``). ``shoot_env`` (function) takes the test's fresh seed namespace
from ``kube``, writes gardenlet's ``generic-token-kubeconfig`` into it and starts a
gardener-resource-manager for that namespace with the shoot as its target, as Gardener runs one per shoot
(about 0.5 s); afterwards it stops the resource manager and sweeps the shoot back to empty, so every test
starts with an empty shoot. Tests using these fixtures are marked ``integration`` (they use ``kube``).
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hack.localenv.kube import KubeApiError, LocalKubeApiServer
from hack.localenv.resource_manager import (
    METAL_STACK_TARGET_NAMESPACES,
    ResourceManager,
    find_resource_manager,
    shoot_apiserver,
    write_generic_token_kubeconfig,
)
from hack.localenv.shoot_objects import ShootObject, list_shoot_objects, sweep_shoot
from tests.kube_fixtures import KubeTestEnv

MR_PATH = "/apis/resources.gardener.cloud/v1alpha1/namespaces/{ns}/managedresources"


def conditions_of(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`status.conditions` by type."""
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


@dataclass
class ShootEnv:
    """What a test gets from ``shoot_env``: the seed (``kube``), the shoot apiserver and the running GRM."""

    seed: KubeTestEnv
    shoot: LocalKubeApiServer
    grm: ResourceManager

    @property
    def namespace(self) -> str:
        """The shoot's seed namespace (the GRM's source namespace)."""
        return self.seed.namespace

    def another_resource_manager(
        self, *, cluster_id: str, extra_target_namespaces: tuple[str, ...] | None = None
    ) -> ResourceManager:
        """A second GRM for the same namespace and shoot (e.g. the new seed's after a migration), started.

        The caller stops it (the fixture's own GRM should be stopped first).
        """
        grm = ResourceManager(
            self.seed.apiserver,
            self.shoot,
            self.namespace,
            self.grm.workdir.parent / f"grm-{cluster_id}",
            binary=self.grm.binary,
            extra_target_namespaces=(
                self.grm.extra_target_namespaces
                if extra_target_namespaces is None
                else extra_target_namespaces
            ),
            cluster_id=cluster_id,
        )
        grm.start()
        return grm

    # -- reads --------------------------------------------------------------------------------------

    async def shoot_get(self, path: str) -> dict[str, Any] | None:
        """GET `path` from the shoot apiserver (as its admin); None on 404."""
        try:
            return await asyncio.to_thread(self.shoot.request, "GET", path)
        except KubeApiError as err:
            if err.status == 404:
                return None
            raise

    async def shoot_secret_data(self, namespace: str, name: str) -> dict[str, str] | None:
        """A shoot Secret's data, decoded; None if it does not exist."""
        secret = await self.shoot_get(f"/api/v1/namespaces/{namespace}/secrets/{name}")
        if secret is None:
            return None
        return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}

    async def shoot_objects(self, *kinds: str) -> list[ShootObject]:
        """What was deployed into the shoot (of `kinds`, default: everything `make run` shows)."""
        if kinds:
            return await asyncio.to_thread(list_shoot_objects, self.shoot, tuple(kinds))
        return await asyncio.to_thread(list_shoot_objects, self.shoot)

    async def managed_resource(self, name: str) -> dict[str, Any] | None:
        """A ManagedResource of the seed namespace; None if it does not exist."""
        try:
            path = MR_PATH.format(ns=self.namespace) + f"/{name}"
            return await asyncio.to_thread(self.seed.apiserver.request, "GET", path)
        except KubeApiError as err:
            if err.status == 404:
                return None
            raise

    # -- waits --------------------------------------------------------------------------------------

    async def wait_for(
        self, what: str, probe: Callable[[], Any], *, limit: float = 30.0, interval: float = 0.2
    ) -> Any:
        """Await `probe()` until it returns something truthy; fail naming `what` and the GRM log tail."""
        deadline = time.monotonic() + limit
        last: Any = None
        while time.monotonic() < deadline:
            last = await probe()
            if last:
                return last
            await asyncio.sleep(interval)
        tail = self.grm.log_file.read_text(errors="replace")[-2000:]
        raise AssertionError(
            f"timed out after {limit:.0f}s waiting for {what} (last: {last!r}); GRM log:\n{tail}"
        )

    async def wait_for_conditions(
        self, name: str, expected: dict[str, str], *, limit: float = 30.0, current: bool = True
    ) -> dict[str, Any]:
        """Wait until ManagedResource `name` has the condition statuses in `expected`.

        With `current` (default) GRM's `status.observedGeneration` must also match the generation, so a
        condition left from before a change does not count. GRM sets it only after a successful apply:
        pass `current=False` to wait for a failure.
        """

        seen: list[Any] = [None]

        async def probe() -> dict[str, Any] | None:
            mr = await self.managed_resource(name)
            seen[0] = mr and mr.get("status")
            if mr is None:
                return None
            if current and (mr.get("status") or {}).get("observedGeneration") != mr["metadata"].get(
                "generation"
            ):
                return None
            found = {t: c["status"] for t, c in conditions_of(mr).items()}
            return mr if all(found.get(t) == s for t, s in expected.items()) else None

        try:
            result: dict[str, Any] = await self.wait_for(
                f"ManagedResource {name} with {expected}", probe, limit=limit
            )
        except AssertionError as err:
            raise AssertionError(f"{err}\nlast status of {name}: {seen[0]!r}") from None
        return result

    async def wait_gone(self, path: str, *, limit: float = 30.0) -> None:
        """Wait until `path` answers 404 in the shoot."""

        async def probe() -> bool:
            return await self.shoot_get(path) is None

        await self.wait_for(f"{path} to disappear from the shoot", probe, limit=limit)


@pytest.fixture(scope="session")
def shoot_kube_apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKubeApiServer]:
    """One etcd + kube-apiserver playing the shoot for the session, with hack/crds/shoot/ established."""
    server = shoot_apiserver(tmp_path_factory.mktemp("shoot"))
    server.start()
    try:
        server.install_crds()
        yield server
    finally:
        server.stop(remove_workdir=False)


@pytest.fixture(scope="session")
def resource_manager_binary() -> Path:
    """The gardener-resource-manager binary (built by hack/build-go-tool.sh on first use)."""
    return find_resource_manager()


@pytest.fixture
async def shoot_env(
    kube: KubeTestEnv,
    shoot_kube_apiserver: LocalKubeApiServer,
    resource_manager_binary: Path,
    tmp_path: Path,
) -> AsyncIterator[ShootEnv]:
    """A GRM for the test's seed namespace, the (empty) shared shoot its target; stopped and swept after."""
    leftovers = await asyncio.to_thread(sweep_shoot, shoot_kube_apiserver)
    assert not leftovers, f"the shoot was not empty at the start of the test: {leftovers}"
    await asyncio.to_thread(
        write_generic_token_kubeconfig, kube.apiserver, kube.namespace, shoot_kube_apiserver
    )
    grm = ResourceManager(
        kube.apiserver,
        shoot_kube_apiserver,
        kube.namespace,
        tmp_path / "grm",
        binary=resource_manager_binary,
        extra_target_namespaces=METAL_STACK_TARGET_NAMESPACES,
    )
    # Started from the main thread, so the process dies with pytest even if nothing cleans up.
    grm.start()
    try:
        yield ShootEnv(seed=kube, shoot=shoot_kube_apiserver, grm=grm)
    finally:
        grm.stop()
        await asyncio.to_thread(sweep_shoot, shoot_kube_apiserver)
