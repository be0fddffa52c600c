"""Node preparation for NVMe/TCP: the shoot's MutatingWebhookConfiguration, carried by a ManagedResource.

Only SAN backends speaking NVMe/TCP need it, and only when the controller serves the webhook
(`shootWebhook` in its configuration). The CA bundle is read from `shootWebhook.caFile` on every pass, so a
renewed CA reaches every shoot on its next pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.config import ShootWebhookConfig
from controller.shoot_resources import names
from controller.shoot_resources.managed_resource import DesiredManagedResource, desired_managed_resource
from controller.shoot_resources.trident import TridentInputs
from controller.shoot_resources.webhook_configuration import (
    CONFIGURATION_NAME,
    mutating_webhook_configuration,
)


class NodePrepError(ValueError):
    """The webhook's CA bundle cannot be read; the message names the file."""


@dataclass(frozen=True)
class NodePrepDecision:
    """Whether the shoot gets the webhook, and in words why (for the condition)."""

    wanted: bool
    reason: str


def node_prep_decision(inputs: TridentInputs, webhook: ShootWebhookConfig | None) -> NodePrepDecision:
    """Only `sanType: nvme` SAN backends need nvme-tcp on the nodes; the webhook must be configured."""
    if inputs.san_protocol != "nvme":
        protocol = inputs.san_protocol or "NAS"
        return NodePrepDecision(
            False, f"nodes need no NVMe/TCP preparation ({inputs.storage_driver}, {protocol})"
        )
    if webhook is None:
        return NodePrepDecision(
            False,
            "nodes are NOT prepared for NVMe/TCP: the shoot webhook is not configured (shootWebhook), "
            "so nvme-tcp must be loaded on the nodes by other means",
        )
    return NodePrepDecision(True, "nodes load nvme-tcp before Trident's node plugin starts")


def read_ca_bundle(webhook: ShootWebhookConfig) -> bytes:
    """The PEM CA bundle the shoots' kube-apiservers verify the webhook's certificate with."""
    try:
        data = webhook.ca_file.read_bytes()
    except OSError as exc:
        raise NodePrepError(
            f"cannot read shootWebhook.caFile {str(webhook.ca_file)!r}: {exc.strerror}"
        ) from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise NodePrepError(f"shootWebhook.caFile {str(webhook.ca_file)!r} holds no PEM certificate")
    return data


def render_node_prep(
    webhook: ShootWebhookConfig, technical_id: str, trident_namespace: str
) -> DesiredManagedResource:
    """MR `extension-ontap-shoot-webhooks`: the MutatingWebhookConfiguration for Trident's node plugin."""
    configuration = mutating_webhook_configuration(
        url=webhook.url,
        technical_id=technical_id,
        ca_bundle=read_ca_bundle(webhook),
        failure_policy=webhook.failure_policy,
        timeout_seconds=webhook.timeout_seconds,
        trident_namespace=trident_namespace,
    )
    return desired_managed_resource(
        names.SHOOT_WEBHOOKS_MR,
        [configuration],
        f"MutatingWebhookConfiguration {CONFIGURATION_NAME} (DaemonSet "
        f"{trident_namespace}/{names.TRIDENT_NODE_DAEMONSET} loads nvme-tcp first)",
    )
