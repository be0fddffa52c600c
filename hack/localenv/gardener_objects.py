"""The Gardener objects the tests create: providerConfig, the shoot's Cluster, the Extension."""

from __future__ import annotations

from typing import Any

from controller.provider_config import API_VERSION, KIND

GROUP, VERSION = "extensions.gardener.cloud", "v1alpha1"
PROJECT_ANNOTATION = "cluster.metal-stack.io/project"
EXTENSION_NAME = "ontap"


def provider_config(offset: int = 10) -> dict[str, Any]:
    """A TridentConfig asking for a management LIF and two data LIFs."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "svmIpaddresses": {
            "managementLif": f"127.0.0.{offset}",
            "dataLifs": [f"127.0.0.{offset + 1}", f"127.0.0.{offset + 2}"],
        },
    }


def requested_ips(config: dict[str, Any]) -> set[str]:
    """Every LIF address a providerConfig asks for."""
    addresses = config["svmIpaddresses"]
    return {addresses["managementLif"], *addresses["dataLifs"]}


def cluster_object(namespace: str, project_id: str, provider_type: str = "") -> dict[str, Any]:
    """Gardener's Cluster for the shoot whose seed namespace is `namespace`, in project `project_id`.

    `provider_type` sets the shoot's `spec.provider.type` (`metal`: behind metal-stack's firewall).
    """
    spec: dict[str, Any] = {"purpose": "evaluation"}
    if provider_type:
        spec["provider"] = {"type": provider_type}
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Cluster",
        "metadata": {"name": namespace},
        "spec": {
            "cloudProfile": {},
            "seed": {},
            "shoot": {
                "apiVersion": "core.gardener.cloud/v1beta1",
                "kind": "Shoot",
                "metadata": {
                    "name": namespace.split("--")[-1],
                    "namespace": f"garden-{project_id}",
                    "uid": f"uid-{namespace}",
                    "annotations": {PROJECT_ANNOTATION: project_id},
                },
                "spec": spec,
                "status": {"technicalID": namespace},
            },
        },
    }


def extension_object(namespace: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """An Extension of type ontap in `namespace`."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Extension",
        "metadata": {"name": EXTENSION_NAME, "namespace": namespace},
        "spec": {"type": "ontap", "providerConfig": config or provider_config()},
    }
