"""Node preparation and the metal-stack firewall policy, deployed by a pass and applied by the real GRM.

The node-preparation webhook is served in-process by the controller's shoot-webhook listener; the shoot
apiserver calls it when Trident's node DaemonSet is created, as a shoot's kube-apiserver would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from controller.config import ShootWebhookConfig
from controller.shoot_resources import names
from controller.shoot_resources.webhook_configuration import CONFIGURATION_NAME
from controller.shoot_webhook.server import ShootWebhookServer
from hack.localenv.gardener_objects import GROUP, VERSION, provider_config
from tests.shoot_side.conftest import APPLIED_AND_HEALTHY, TRIDENT_MRS, ShootSide
from tests.shoot_webhook.support import IMAGE, started_webhook_server, trident_node_daemonset

TRIDENT = names.DEFAULT_TRIDENT_NAMESPACE


@pytest.fixture
async def webhook(side: ShootSide, tmp_path: Path) -> AsyncIterator[ShootWebhookServer]:
    """The controller's shoot-webhook listener on a random port, and the configuration naming it."""
    server, tls = await started_webhook_server(tmp_path / "webhook-tls")
    side.configure(
        shoot_webhook=ShootWebhookConfig(
            port=server.port,
            cert_file=tls.cert_file,
            key_file=tls.key_file,
            ca_file=tls.ca_file,
            url=f"https://127.0.0.1:{server.port}",
            timeout_seconds=30,
        )
    )
    try:
        yield server
    finally:
        await server.stop()


async def test_the_node_preparation_webhook_lands_in_the_shoot_and_prepares_tridents_node_plugin(
    side: ShootSide, webhook: ShootWebhookServer
) -> None:
    await side.install_trident_namespace()
    await side.create()
    await side.shoot.reconcile()
    await side.env.wait_for_conditions(names.SHOOT_WEBHOOKS_MR, APPLIED_AND_HEALTHY)
    configuration = await side.env.shoot_get(
        f"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{CONFIGURATION_NAME}"
    )
    assert configuration is not None
    [hook] = configuration["webhooks"]
    assert hook["clientConfig"]["url"].startswith(f"https://127.0.0.1:{webhook.port}/")
    assert side.shoot.namespace in hook["clientConfig"]["url"]

    # Trident's operator creates the node DaemonSet; the shoot apiserver asks the webhook first.
    created = await asyncio.to_thread(
        side.env.shoot.request,
        "POST",
        f"/apis/apps/v1/namespaces/{TRIDENT}/daemonsets",
        trident_node_daemonset(),
    )
    spec = created["spec"]["template"]["spec"]
    assert spec["dnsPolicy"] == "Default"
    [init] = spec["initContainers"]
    assert init["image"] == IMAGE and init["securityContext"]["privileged"] is True
    assert any(m["mountPath"] == "/lib/modules" for m in init.get("volumeMounts", [])), init
    # Another DaemonSet in the same namespace is left alone.
    other = trident_node_daemonset(name="something-else")
    other["metadata"]["labels"] = {"app": "other"}
    other["spec"]["selector"]["matchLabels"] = {"app": "other"}
    other["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    untouched = await asyncio.to_thread(
        side.env.shoot.request, "POST", f"/apis/apps/v1/namespaces/{TRIDENT}/daemonsets", other
    )
    assert "initContainers" not in untouched["spec"]["template"]["spec"]


async def test_a_metal_stack_shoot_gets_the_firewall_policy_its_schema_accepts(side: ShootSide) -> None:
    await side.install_trident_namespace()
    # metal-stack's firewall-controller lives in namespace `firewall` of every metal shoot.
    await asyncio.to_thread(side.env.shoot.create_namespace, names.FIREWALL_NAMESPACE)
    await side.create()
    cluster = await side.shoot.api.get_cluster_custom_object(GROUP, VERSION, "clusters", side.shoot.namespace)
    cluster["spec"]["shoot"]["spec"]["provider"] = {"type": "metal"}
    await side.shoot.api.replace_cluster_custom_object(
        GROUP, VERSION, "clusters", side.shoot.namespace, cluster
    )
    await side.shoot.reconcile()
    for mr in (*TRIDENT_MRS, names.FIREWALL_MR):
        await side.env.wait_for_conditions(mr, APPLIED_AND_HEALTHY)
    policy = await side.env.shoot_get(
        f"/apis/metal-stack.io/v1/namespaces/{names.FIREWALL_NAMESPACE}/clusterwidenetworkpolicies/{names.FIREWALL_POLICY}"
    )
    assert policy is not None
    egress = policy["spec"]["egress"]
    addresses = provider_config()["svmIpaddresses"]
    opened = {(to["cidr"], port["port"]) for rule in egress for to in rule["to"] for port in rule["ports"]}
    assert (f"{addresses['managementLif']}/32", 443) in opened
    for lif in addresses["dataLifs"]:
        assert (f"{lif}/32", 4420) in opened, opened
