"""The MutatingWebhookConfiguration that makes a shoot's kube-apiserver call this extension for Trident's node
plugin DaemonSet (pure).

Shape from Gardener's shoot webhooks (gardener/gardener extensions/pkg/webhook/registration.go
`BuildWebhookConfigs`, `InitialWebhookConfig`): name `gardener-extension-<name>-shoot`, label
`remediation.webhook.shoot.gardener.cloud/exclude=true`, `sideEffects: None`, `matchPolicy: Exact`,
`timeoutSeconds: 10`, CREATE and UPDATE, a URL client config with the CA bundle. Narrower than
Gardener's default selectors: only the Trident namespace (`kubernetes.io/metadata.name`, set by the
kube-apiserver on every namespace) and only objects labelled as Trident's node plugin
(`app=node.csi.trident.netapp.io`, NetApp/trident operator/controllers/orchestrator/installer/config.go).
"""

from __future__ import annotations

import base64
from typing import Any

from controller.shoot_resources import names

CONFIGURATION_NAME = "gardener-extension-ontap-shoot"
WEBHOOK_NAME = "trident-node.ontap.extensions.gardener.cloud"
REMEDIATION_EXCLUDE_LABEL = "remediation.webhook.shoot.gardener.cloud/exclude"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
# The server's route; the shoot's technical ID follows, so every request is logged with its shoot.
PATH_PREFIX = "/webhooks/trident-node"


def webhook_path(technical_id: str) -> str:
    """The path one shoot's kube-apiserver calls."""
    return f"{PATH_PREFIX}/{technical_id}"


def mutating_webhook_configuration(
    *,
    url: str,
    technical_id: str,
    ca_bundle: bytes,
    failure_policy: str,
    timeout_seconds: int,
    trident_namespace: str,
) -> dict[str, Any]:
    """The shoot's webhook configuration: Trident's node DaemonSet in the Trident namespace, nothing else."""
    label_key, label_value = names.TRIDENT_NODE_LABEL
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": CONFIGURATION_NAME, "labels": {REMEDIATION_EXCLUDE_LABEL: "true"}},
        "webhooks": [
            {
                "name": WEBHOOK_NAME,
                "admissionReviewVersions": ["v1"],
                "clientConfig": {
                    "url": f"{url}{webhook_path(technical_id)}",
                    "caBundle": base64.b64encode(ca_bundle).decode("ascii"),
                },
                "rules": [
                    {
                        "apiGroups": ["apps"],
                        "apiVersions": ["v1"],
                        "resources": ["daemonsets"],
                        "operations": ["CREATE", "UPDATE"],
                        "scope": "Namespaced",
                    }
                ],
                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: trident_namespace}},
                "objectSelector": {"matchLabels": {label_key: label_value}},
                "failurePolicy": failure_policy,
                "matchPolicy": "Exact",
                "sideEffects": "None",
                "timeoutSeconds": timeout_seconds,
                "reinvocationPolicy": "Never",
            }
        ],
    }
