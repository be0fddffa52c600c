"""Builders for the shoot-webhook tests: Trident's node DaemonSet as Trident's operator makes it, a JSON patch
applier, and (from hack/localenv) a CA with a webhook server certificate."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from controller.shoot_webhook.server import ShootWebhookServer
from hack.localenv.webhook_tls import WebhookTls, webhook_tls

IMAGE = "registry.example/library/busybox:1.36"


def trident_node_daemonset(
    name: str = "trident-node-linux", namespace: str = "kube-system"
) -> dict[str, Any]:
    """The parts of Trident's node DaemonSet that matter here (NetApp/trident cli/k8s_client/yaml_factory.go
    `daemonSet120YAMLTemplateLinux`: label app=node.csi.trident.netapp.io, hostNetwork,
    dnsPolicy ClusterFirstWithHostNet, tolerate-everything tolerations)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": "node.csi.trident.netapp.io", "k8s_version": "v1.33.0"},
        },
        "spec": {
            "selector": {"matchLabels": {"app": "node.csi.trident.netapp.io"}},
            "template": {
                "metadata": {
                    "labels": {"app": "node.csi.trident.netapp.io"},
                    "annotations": {"openshift.io/required-scc": "trident-node-linux"},
                },
                "spec": {
                    "hostNetwork": True,
                    "dnsPolicy": "ClusterFirstWithHostNet",
                    "priorityClassName": "system-node-critical",
                    "tolerations": [
                        {"effect": "NoExecute", "operator": "Exists"},
                        {"effect": "NoSchedule", "operator": "Exists"},
                    ],
                    "containers": [{"name": "trident-main", "image": "netapp/trident:25.06.0"}],
                    "volumes": [{"name": "host-dir", "hostPath": {"path": "/"}}],
                },
            },
        },
    }


def apply_patch(document: Any, patch: list[dict[str, Any]]) -> Any:
    """Apply RFC 6902 add/remove/replace operations (an independent reading of the RFC, for checks)."""
    result = copy.deepcopy(document)
    for op in patch:
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in op["path"].split("/")[1:]]
        if not tokens:
            result = copy.deepcopy(op["value"])
            continue
        parent = result
        for token in tokens[:-1]:
            parent = parent[int(token)] if isinstance(parent, list) else parent[token]
        last = tokens[-1]
        if op["op"] == "remove":
            del parent[last]
        elif op["op"] == "add":
            parent[last] = copy.deepcopy(op["value"])
        elif op["op"] == "replace":
            if last not in parent:
                raise KeyError(f"replace of a missing member {op['path']}")
            parent[last] = copy.deepcopy(op["value"])
        else:
            raise ValueError(f"unexpected op {op['op']!r}")
    return result


__all__ = ["IMAGE", "WebhookTls", "apply_patch", "trident_node_daemonset", "webhook_tls"]


async def started_webhook_server(tls_dir: Path) -> tuple[ShootWebhookServer, WebhookTls]:
    """The controller's shoot-webhook listener on a random loopback port, with a fresh CA in `tls_dir`."""
    tls = webhook_tls(tls_dir)
    server = ShootWebhookServer(
        host="127.0.0.1",
        port=0,
        cert_file=tls.cert_file,
        key_file=tls.key_file,
        image=IMAGE,
        trident_namespace="kube-system",
    )
    await server.start()
    return server, tls
