"""What the shoot already holds when we arrive, through the real gardener-resource-manager: a StorageClass
of our name with other (immutable) parameters, and the ManagedResources metal-stack's Go extension wrote."""

from __future__ import annotations

import asyncio
import contextlib

from kubernetes_asyncio import client as k8s

from controller.adoption import names as go
from controller.shoot_resources import names
from hack.go_extension_state import GO_MANAGED_RESOURCES, GoShoot, seed_kubernetes
from hack.localenv.gardener_objects import provider_config
from hack.localenv.resource_manager import CLUSTER_ID
from tests.shoot_side.conftest import APPLIED_AND_HEALTHY, ShootSide

GOLD = "/apis/storage.k8s.io/v1/storageclasses/ontap-gold"
ORIGIN = "resources.gardener.cloud/origin"
# charts/trident/resources/backends/storageclass.yaml of the Go extension.
GO_GOLD = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {"name": "ontap-gold", "labels": {"shoot.gardener.cloud/no-cleanup": "true"}},
    "provisioner": "csi.trident.netapp.io",
    "parameters": {
        "backendType": "ontap-san",
        "provisioningType": "thin",
        "selector": "luks=false",
        "fsType": "ext4",
    },
    "allowVolumeExpansion": True,
}


async def test_a_storage_class_with_other_parameters_is_replaced_by_ours(side: ShootSide) -> None:
    """StorageClass parameters are immutable; `delete-on-invalid-update` makes the resource manager delete
    the old class and create ours, with no manual step (PVs do not depend on the class object)."""
    await asyncio.to_thread(side.env.shoot.apply, GO_GOLD, "/apis/storage.k8s.io/v1/storageclasses")
    before = await side.env.shoot_get(GOLD)
    assert before is not None and before["parameters"]["provisioningType"] == "thin"

    await side.create()
    await side.shoot.reconcile()
    await side.env.wait_for_conditions(names.BACKEND_MR, APPLIED_AND_HEALTHY, limit=90)

    gold = await side.env.shoot_get(GOLD)
    assert gold is not None
    assert gold["metadata"]["uid"] != before["metadata"]["uid"], "deleted and re-created"
    assert gold["parameters"] == {"backendType": "ontap-san", "csi.storage.k8s.io/fstype": "ext4"}
    assert gold["metadata"]["annotations"][names.DELETE_ON_INVALID_UPDATE_ANNOTATION] == "true"
    assert (
        gold["metadata"]["annotations"][ORIGIN] == f"{CLUSTER_ID}:{side.shoot.namespace}/{names.BACKEND_MR}"
    )


async def test_the_resource_manager_applies_the_go_extensions_managed_resources(side: ShootSide) -> None:
    """The seeded Go state is what the resource manager of a real seed reads: plain files for `trident-*`,
    brotli-compressed `data.yaml.br` for the shoot webhooks; every one is applied into the shoot."""
    lifs = provider_config()["svmIpaddresses"]
    shoot = GoShoot(
        namespace=side.shoot.namespace,
        project_id=side.shoot.project_id,
        management_ip=lifs["managementLif"],
        data_ips=tuple(lifs["dataLifs"]),
        password="kQ4mZt7x",
    )
    await asyncio.to_thread(side.env.shoot.create_namespace, names.FIREWALL_NAMESPACE)
    try:
        await seed_kubernetes(side.env.seed.api_client, shoot)
        for name, _ in GO_MANAGED_RESOURCES:
            await side.env.wait_for_conditions(name, {"ResourcesApplied": "True"}, limit=90)
        svm = go.svm_name(shoot.project_id)
        tbc = await side.env.shoot_get(
            f"/apis/trident.netapp.io/v1/namespaces/kube-system/tridentbackendconfigs/ontap-{svm}-backend"
        )
        assert tbc is not None and tbc["spec"]["credentials"] == {"name": shoot.seed_secret_name}
        gold = await side.env.shoot_get(GOLD)
        assert gold is not None and gold["parameters"] == GO_GOLD["parameters"]
        webhook = await side.env.shoot_get(
            "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/gardener-extension-ontap-shoot"
        )
        assert webhook is not None, "the brotli-compressed data.yaml.br was read"
        assert webhook["metadata"]["annotations"][ORIGIN].endswith("/extension-ontap-shoot")
        secret = await side.env.shoot_secret_data("kube-system", shoot.seed_secret_name)
        assert secret == {"username": shoot.username, "password": "kQ4mZt7x"}
        policy = await side.env.shoot_get(
            "/apis/metal-stack.io/v1/namespaces/firewall/clusterwidenetworkpolicies/allow-to-ontap"
        )
        assert policy is not None and [e["ports"][0]["port"] for e in policy["spec"]["egress"]] == [443, 4420]
    finally:
        with contextlib.suppress(k8s.ApiException):
            await k8s.CoreV1Api(side.env.seed.api_client).delete_namespaced_secret(
                shoot.seed_secret_name, go.SEED_SECRET_NAMESPACE
            )
