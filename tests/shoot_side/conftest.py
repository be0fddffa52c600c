"""The reconciler of tests/e2e for a shoot whose seed namespace a real gardener-resource-manager watches."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client as k8s

from controller.reconciler import ExtensionReconciler
from controller.runtime.result import RequeueAfter
from controller.shoot_resources import names
from hack.localenv.gardener_objects import GROUP, VERSION
from hack.localenv.resource_manager import write_generic_token_kubeconfig
from ontap.fake.testing import FakeOntapServer
from tests.e2e.conftest import Shoot, World
from tests.kube_fixtures import new_api_client
from tests.shoot_env_fixtures import ShootEnv

REPO = Path(__file__).resolve().parents[2]
SAMPLE_BUNDLE = REPO / "hack" / "samples" / "trident-operator-bundle.yaml"
TRIDENT_MRS = (names.CREDENTIALS_MR, names.BACKEND_MR)
APPLIED_AND_HEALTHY = {"ResourcesApplied": "True", "ResourcesHealthy": "True"}


@dataclass
class ShootSide:
    """One shoot end to end: the reconciler (`world`), its Extension (`shoot`) and the shoot side (`env`)."""

    world: World
    shoot: Shoot
    env: ShootEnv

    def configure(self, **updates: Any) -> None:
        """Reconcile from now on with these controller configuration fields changed (a new reconciler)."""
        self.world.config = self.world.config.model_copy(update=updates)
        self.world.runtime.config = self.world.config
        self.world.reconciler = ExtensionReconciler(self.world.runtime, repeat_limit=3)

    def use_operator_bundle(self, bundle: Path = SAMPLE_BUNDLE) -> None:
        """Reconcile from now on with `trident.operatorBundleFile` set."""
        self.configure(trident=self.world.config.trident.model_copy(update={"operator_bundle_file": bundle}))

    async def create(self, config: dict[str, Any] | None = None) -> None:
        """The Cluster and Extension, and gardenlet's generic-token-kubeconfig annotation on the Cluster."""
        await self.shoot.create(config)
        await asyncio.to_thread(
            write_generic_token_kubeconfig, self.env.seed.apiserver, self.shoot.namespace, self.env.shoot
        )

    async def install_trident_namespace(self) -> None:
        """What installing Trident by other means leaves in the shoot: its namespace (kube-system by
        default, which every shoot has)."""
        await asyncio.to_thread(self.env.shoot.create_namespace, self.world.config.trident.namespace)

    async def reconcile_until(
        self,
        what: str,
        done: Callable[[dict[str, Any] | None], bool],
        *,
        passes: int = 40,
        interval: float = 0.25,
    ) -> int:
        """Pass after pass, as the work queue retries (`RequeueAfter` while the resource manager works), until
        `done(extension)`; returns the number of passes."""
        for attempt in range(1, passes + 1):
            with contextlib.suppress(RequeueAfter):
                await self.shoot.reconcile()
            if done(await self.shoot.extension()):
                return attempt
            await asyncio.sleep(interval)
        raise AssertionError(f"{what}: not reached after {passes} passes")

    async def reconcile_until_gone(self) -> int:
        """Reconcile the deleted Extension until its finalizer is released."""
        return await self.reconcile_until("the Extension released", lambda ext: ext is None)

    async def seed_password(self) -> str:
        secret = await self.shoot.secret()
        assert secret is not None, "no seed secret"
        return str(secret.data["password"])


@pytest.fixture
async def side(shoot_env: ShootEnv, fake_ontap: FakeOntapServer) -> AsyncIterator[ShootSide]:
    fake_ontap.set_job_timing(seconds=0.05)
    test_client = await new_api_client(shoot_env.seed.kubeconfig)
    world = World(shoot_env.seed, fake_ontap, test_client)
    try:
        yield ShootSide(world=world, shoot=world.shoot(), env=shoot_env)
    finally:
        await world.client.close()
        await test_client.close()
        with contextlib.suppress(k8s.ApiException):
            await k8s.CustomObjectsApi(shoot_env.seed.api_client).delete_cluster_custom_object(
                GROUP, VERSION, "clusters", shoot_env.namespace
            )
