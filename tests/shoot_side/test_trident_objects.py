"""What a pass puts into the shoot: applied by the real gardener-resource-manager, accepted by its schemas."""

from __future__ import annotations

import asyncio
import base64

import yaml

from controller.shoot_resources import names
from hack.localenv.gardener_objects import provider_config
from hack.localenv.resource_manager import CLUSTER_ID
from tests.shoot_env_fixtures import conditions_of
from tests.shoot_side.conftest import APPLIED_AND_HEALTHY, TRIDENT_MRS, ShootSide

TRIDENT = names.DEFAULT_TRIDENT_NAMESPACE
ORIGIN = "resources.gardener.cloud/origin"


async def test_a_pass_puts_credentials_backend_and_storage_classes_into_the_shoot(side: ShootSide) -> None:
    await side.install_trident_namespace()
    await side.create()
    await side.shoot.reconcile()
    for mr in TRIDENT_MRS:
        applied = await side.env.wait_for_conditions(mr, APPLIED_AND_HEALTHY)
        found = conditions_of(applied)
        assert found["ResourcesApplied"]["reason"] == "ApplySucceeded", found
        assert found["ResourcesHealthy"]["reason"] == "ResourcesHealthy", found

    seed_secret = await side.shoot.secret()
    assert seed_secret is not None
    shoot_secret = await side.env.shoot_secret_data(TRIDENT, names.SHOOT_CREDENTIALS_SECRET)
    assert shoot_secret == {
        "username": seed_secret.data["username"],
        "password": seed_secret.data["password"],
    }, "the shoot's Trident gets the verified credentials of the seed secret"

    backend = await side.env.shoot_get(
        f"/apis/trident.netapp.io/v1/namespaces/{TRIDENT}/tridentbackendconfigs/{names.backend_name(side.shoot.svm_name)}"
    )
    assert backend is not None
    config = provider_config()
    assert backend["spec"]["svm"] == side.shoot.svm_name
    assert backend["spec"]["managementLIF"] == config["svmIpaddresses"]["managementLif"]
    assert backend["spec"]["credentials"] == {"name": names.SHOOT_CREDENTIALS_SECRET}
    assert backend["spec"]["storageDriverName"] == "ontap-san"
    assert backend["spec"]["deletionPolicy"] == "retain"
    origin = f"{CLUSTER_ID}:{side.shoot.namespace}/{names.BACKEND_MR}"
    assert backend["metadata"]["annotations"][ORIGIN] == origin, "applied by the resource manager for our MR"
    assert backend["metadata"]["labels"][names.NO_CLEANUP_LABEL] == "true", "injectLabels reached the shoot"

    gold = await side.env.shoot_get("/apis/storage.k8s.io/v1/storageclasses/ontap-gold")
    assert gold is not None
    assert gold["provisioner"] == names.TRIDENT_PROVISIONER
    assert gold["metadata"]["annotations"][names.DEFAULT_CLASS_ANNOTATION] == "true"
    assert gold["parameters"]["backendType"] == "ontap-san"

    refs = {o.ref for o in await side.env.shoot_objects("Secret", "TridentBackendConfig", "StorageClass")}
    assert refs == {
        f"Secret {TRIDENT}/{names.SHOOT_CREDENTIALS_SECRET}",
        f"TridentBackendConfig {TRIDENT}/{names.backend_name(side.shoot.svm_name)}",
        "StorageClass ontap-gold",
    }
    # The MR status lists exactly what the resource manager applied.
    backend_mr = await side.env.managed_resource(names.BACKEND_MR)
    assert backend_mr is not None
    listed = {(r["kind"], r.get("namespace", ""), r["name"]) for r in backend_mr["status"]["resources"]}
    assert listed == {
        ("TridentBackendConfig", TRIDENT, names.backend_name(side.shoot.svm_name)),
        ("StorageClass", "", "ontap-gold"),
        # What lets the extension's ServiceAccount read the backend's status (controller.shoot_health).
        ("Role", TRIDENT, "gardener-extension-ontap-health"),
        ("RoleBinding", TRIDENT, "gardener-extension-ontap-health"),
    }


async def test_the_shoot_schema_rejects_what_it_does_not_accept_and_grm_reports_it(side: ShootSide) -> None:
    """The shoot's CRDs validate: a ClusterwideNetworkPolicy with a port as text is refused by the shoot."""
    seed = side.env.seed.apiserver
    ns = side.env.namespace
    bad = {
        "apiVersion": "metal-stack.io/v1",
        "kind": "ClusterwideNetworkPolicy",
        "metadata": {"name": "bad", "namespace": "default"},
        "spec": {
            "egress": [{"ports": [{"port": "https", "protocol": "TCP"}], "to": [{"cidr": "10.0.0.1/32"}]}]
        },
    }
    data = {"cwnp.yaml": base64.b64encode(yaml.safe_dump(bad).encode()).decode()}
    await asyncio.to_thread(
        seed.apply,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "bad-policy", "namespace": ns},
            "data": data,
        },
        f"/api/v1/namespaces/{ns}/secrets",
    )
    await asyncio.to_thread(
        seed.apply,
        {
            "apiVersion": "resources.gardener.cloud/v1alpha1",
            "kind": "ManagedResource",
            "metadata": {"name": "bad-policy", "namespace": ns},
            "spec": {"secretRefs": [{"name": "bad-policy"}]},
        },
        f"/apis/resources.gardener.cloud/v1alpha1/namespaces/{ns}/managedresources",
    )
    mr = await side.env.wait_for_conditions(
        "bad-policy", {"ResourcesApplied": "False"}, limit=60, current=False
    )
    message = conditions_of(mr)["ResourcesApplied"]["message"]
    assert "ClusterwideNetworkPolicy" in message and "spec.egress[0].ports[0].port" in message, message
    assert (
        await side.env.shoot_get("/apis/metal-stack.io/v1/namespaces/default/clusterwidenetworkpolicies/bad")
        is None
    )


async def test_the_operator_bundle_is_applied_and_grm_names_the_unready_operator(side: ShootSide) -> None:
    """The sample bundle's ServiceAccount, Deployment and TridentOrchestrator land in the shoot; no pods run
    in the local shoot, so GRM's health check names the Deployment as not healthy."""
    side.use_operator_bundle()
    await side.create()
    await side.shoot.reconcile()
    mr = await side.env.wait_for_conditions(
        names.OPERATOR_MR, {"ResourcesApplied": "True", "ResourcesHealthy": "False"}
    )
    healthy = conditions_of(mr)["ResourcesHealthy"]
    assert healthy["reason"] == "DeploymentUnhealthy", healthy
    assert f'Deployment "{TRIDENT}/trident-operator" is unhealthy' in healthy["message"], healthy
    assert (
        await side.env.shoot_get(f"/apis/apps/v1/namespaces/{TRIDENT}/deployments/trident-operator")
        is not None
    )
    for name in TRIDENT_MRS:
        await side.env.wait_for_conditions(name, APPLIED_AND_HEALTHY, limit=60)
