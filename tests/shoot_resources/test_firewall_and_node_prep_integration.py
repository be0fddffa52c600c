"""The firewall policy and the node-preparation webhook through the shoot-resources step, against a real
kube-apiserver (no resource manager: the ManagedResources are only stored)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from controller.config import ControllerConfig
from controller.shoot_resources import names
from controller.steps.base import ConditionStatus, StepError
from controller.steps.context import StepContext
from controller.steps.shoot_resources import ShootResourcesStep
from tests.shoot_resources import test_step_integration as base
from tests.shoot_resources.helpers import SAMPLE_BUNDLE, controller_config, provider_config
from tests.shoot_resources.test_step_integration import GRM_FINALIZER, Bed, decoded_manifests
from tests.shoot_webhook.support import webhook_tls

pytestmark = pytest.mark.integration

bed = base.bed


def metal(ctx: StepContext, provider_type: str = "metal", **provider: Any) -> StepContext:
    """The context of a shoot on `provider_type`, with the providerConfig's LIFs changed as asked."""
    shoot = ctx.shoot.model_copy(update={"provider_type": provider_type})
    config = provider_config(**provider) if provider else ctx.provider_config
    return dataclasses.replace(ctx, shoot=shoot, provider_config=config)


def with_webhook(tmp_path: Path, **trident: Any) -> ControllerConfig:
    tls = webhook_tls(tmp_path)
    return ControllerConfig.model_validate(
        {
            "ontapClusters": [
                {"name": "c1", "endpoint": "https://ontap.example", "username": "admin", "password": "secret"}
            ],
            "trident": {"operatorBundleFile": str(SAMPLE_BUNDLE), **trident},
            "shootWebhook": {
                "certFile": str(tls.cert_file),
                "keyFile": str(tls.key_file),
                "caFile": str(tls.ca_file),
                "url": "https://gardener-extension-ontap.extension-ontap:443",
            },
            "images": [{"name": "nvme-tcp-init", "repository": "registry.example/busybox", "tag": "1.37"}],
        }
    )


async def stored_objects(bed: Bed, mr: str) -> list[dict[str, Any]]:
    ref = (await bed.managed_resources())[mr]["spec"]["secretRefs"][0]["name"]
    return decoded_manifests((await bed.secrets())[ref])


async def test_a_metal_shoot_gets_the_firewall_policy(bed: Bed) -> None:
    outcome = await ShootResourcesStep().reconcile(metal(bed.context(), management="127.0.0.10"))

    assert outcome.status is ConditionStatus.TRUE
    (policy,) = await stored_objects(bed, names.FIREWALL_MR)
    assert policy["kind"] == "ClusterwideNetworkPolicy"
    assert policy["metadata"] == {"name": "allow-to-ontap", "namespace": "firewall"}
    assert policy["spec"]["egress"][0]["to"] == [{"cidr": "127.0.0.10/32"}]
    assert [to["cidr"] for to in policy["spec"]["egress"][1]["to"]] == ["127.0.0.11/32", "127.0.0.12/32"]
    assert "runs behind metal-stack's firewall" in outcome.message


async def test_a_changed_lif_updates_the_policy_and_then_nothing_is_written(bed: Bed) -> None:
    step = ShootResourcesStep()
    await step.reconcile(metal(bed.context()))
    before = (await bed.managed_resources())[names.FIREWALL_MR]
    bed.counter.reset()

    moved = await step.reconcile(metal(bed.context(), data=("127.0.0.11", "127.0.0.42")))

    assert moved.changed
    after = await bed.managed_resources()
    assert after[names.FIREWALL_MR]["spec"]["secretRefs"] != before["spec"]["secretRefs"]
    (policy,) = await stored_objects(bed, names.FIREWALL_MR)
    assert [to["cidr"] for to in policy["spec"]["egress"][1]["to"]] == ["127.0.0.11/32", "127.0.0.42/32"]
    bed.counter.reset()
    steady = await step.reconcile(metal(bed.context(), data=("127.0.0.11", "127.0.0.42")))
    assert bed.counter.writes == 0, bed.counter.write_requests()
    assert not steady.changed


async def test_a_non_metal_shoot_gets_no_policy_even_with_a_firewall_namespace_in_the_seed(bed: Bed) -> None:
    # The Go extension looked for a `firewall` namespace in the seed; the seed says nothing about the shoot.
    await asyncio.to_thread(bed.kube.apiserver.create_namespace, "firewall")

    outcome = await ShootResourcesStep().reconcile(metal(bed.context(), provider_type="aws"))

    assert names.FIREWALL_MR not in await bed.managed_resources()
    assert "does not run behind metal-stack's firewall" in outcome.message


async def test_configuration_always_and_never_override_the_shoot(bed: Bed) -> None:
    step = ShootResourcesStep()
    always = controller_config(operatorBundleFile=str(SAMPLE_BUNDLE))
    always = always.model_copy(update={"firewall": always.firewall.model_copy(update={"policy": "always"})})
    await step.reconcile(metal(bed.context(config=always), provider_type="aws"))
    assert names.FIREWALL_MR in await bed.managed_resources()

    never = always.model_copy(update={"firewall": always.firewall.model_copy(update={"policy": "never"})})
    outcome = await step.reconcile(metal(bed.context(config=never)))
    assert names.FIREWALL_MR not in await bed.managed_resources()  # retired: deleted
    assert (
        f"deleted ManagedResource {bed.kube.namespace}/{names.FIREWALL_MR} (no longer needed)"
        in outcome.actions
    )
    # Its content secret goes once the ManagedResource is gone; then the steady state writes nothing.
    await step.reconcile(metal(bed.context(config=never)))
    assert not [s for s in await bed.secrets() if s.startswith(f"managedresource-{names.FIREWALL_MR}-")]
    bed.counter.reset()
    await step.reconcile(metal(bed.context(config=never)))
    assert bed.counter.writes == 0


async def test_deletion_removes_the_policy_after_the_backend_and_migrate_keeps_it(bed: Bed) -> None:
    step = ShootResourcesStep()
    await step.reconcile(metal(bed.context()))
    await bed.patch_mr(names.BACKEND_MR, {"metadata": {"finalizers": [GRM_FINALIZER]}})

    with pytest.raises(Exception, match="waiting for the resource manager"):
        await step.delete(bed.context(verified=False))
    assert names.FIREWALL_MR in await bed.managed_resources()  # still open while Trident releases the backend

    await bed.patch_mr(names.BACKEND_MR, {"metadata": {"finalizers": None}})
    await step.delete(bed.context(verified=False))
    assert await bed.managed_resources() == {}
    assert await bed.secrets() == {}


async def test_migrate_sets_keep_objects_on_the_policy_before_deleting_it(bed: Bed) -> None:
    step = ShootResourcesStep()
    await step.reconcile(metal(bed.context()))
    await bed.patch_mr(names.FIREWALL_MR, {"metadata": {"finalizers": [GRM_FINALIZER]}})

    with pytest.raises(Exception, match="resource manager"):
        await step.migrate(bed.context(verified=False))

    held = (await bed.managed_resources())[names.FIREWALL_MR]
    assert held["spec"]["keepObjects"] is True
    assert held["metadata"].get("deletionTimestamp")


async def test_an_nvme_shoot_gets_the_node_preparation_webhook(bed: Bed, tmp_path: Path) -> None:
    config = with_webhook(tmp_path)
    outcome = await ShootResourcesStep().reconcile(bed.context(config=config))

    (configuration,) = await stored_objects(bed, names.SHOOT_WEBHOOKS_MR)
    assert configuration["kind"] == "MutatingWebhookConfiguration"
    (hook,) = configuration["webhooks"]
    assert hook["clientConfig"]["url"].endswith(f"/webhooks/trident-node/{bed.kube.namespace}")
    assert "load nvme-tcp" in outcome.message
    bed.counter.reset()
    await ShootResourcesStep().reconcile(bed.context(config=config))
    assert bed.counter.writes == 0, bed.counter.write_requests()


async def test_an_iscsi_shoot_gets_no_node_preparation_and_an_old_one_is_removed(
    bed: Bed, tmp_path: Path
) -> None:
    step = ShootResourcesStep()
    await step.reconcile(bed.context(config=with_webhook(tmp_path)))
    assert names.SHOOT_WEBHOOKS_MR in await bed.managed_resources()

    iscsi = with_webhook(tmp_path, sanType="iscsi")
    outcome = await step.reconcile(bed.context(config=iscsi))

    assert names.SHOOT_WEBHOOKS_MR not in await bed.managed_resources()
    assert "no NVMe/TCP preparation" in outcome.message


async def test_without_webhook_configuration_the_condition_says_nodes_are_not_prepared(bed: Bed) -> None:
    outcome = await ShootResourcesStep().reconcile(bed.context())
    assert names.SHOOT_WEBHOOKS_MR not in await bed.managed_resources()
    assert "NOT prepared for NVMe/TCP" in outcome.message


async def test_an_unreadable_webhook_ca_is_reported_after_the_rest_is_deployed(
    bed: Bed, tmp_path: Path
) -> None:
    step = ShootResourcesStep()
    config = with_webhook(tmp_path)
    await step.reconcile(bed.context(config=config))
    assert config.shoot_webhook is not None
    config.shoot_webhook.ca_file.write_text("garbage")

    with pytest.raises(StepError) as raised:
        await step.reconcile(bed.context(config=config, password="Rotated-0123456789-password-abcd"))

    assert raised.value.reason == "ShootWebhookCaInvalid"
    assert "shootWebhook.caFile" in raised.value.message
    mrs = await bed.managed_resources()
    assert names.SHOOT_WEBHOOKS_MR in mrs  # left as it was
    (secret,) = await stored_objects(bed, names.CREDENTIALS_MR)
    assert base64.b64decode(secret["data"]["password"]).decode() == "Rotated-0123456789-password-abcd"
