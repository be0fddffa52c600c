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


def with_landscape_payload(cluster: dict[str, Any], *, machine_types: int = 40) -> dict[str, Any]:
    """`cluster` filled the way Gardener fills a Cluster on a real landscape (changed in place).

    Gardener's Cluster embeds the whole CloudProfile, Seed and Shoot (`pkg/apis/extensions/v1alpha1`
    types_cluster.go, raw `core.gardener.cloud/v1beta1` objects): a CloudProfile with its Kubernetes
    versions, machine images and types and regions (`CloudProfileSpec`), the Seed's provider, networks
    and settings (`SeedSpec`), and the Shoot's full spec and status with conditions and managed fields.
    The result is about 24 kB of JSON per shoot with the default `machine_types`, of which the
    controller reads a few hundred bytes.
    """
    shoot = cluster["spec"]["shoot"]
    managed: list[dict[str, Any]] = [
        {
            "manager": manager,
            "operation": "Update",
            "apiVersion": "core.gardener.cloud/v1beta1",
            "time": "2026-01-01T00:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {f"f:{field}": {} for field in ("kubernetes", "networking", "provider")}},
        }
        for manager in ("gardener-apiserver", "gardenlet", "gardener-controller-manager")
    ]
    cluster["metadata"]["managedFields"] = managed
    cluster["spec"]["cloudProfile"] = {
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "CloudProfile",
        "metadata": {"name": "metal", "managedFields": managed},
        "spec": {
            "type": "metal",
            "kubernetes": {
                "versions": [
                    {
                        "version": f"1.{minor}.{patch}",
                        "classification": "supported",
                        "expirationDate": "2027-01-01T00:00:00Z",
                    }
                    for minor in range(28, 35)
                    for patch in range(6)
                ]
            },
            "machineImages": [
                {
                    "name": image,
                    "updateStrategy": "minor",
                    "versions": [
                        {
                            "version": f"{major}.{minor}.0",
                            "cri": [{"name": "containerd"}],
                            "architectures": ["amd64"],
                        }
                        for major in (3, 4)
                        for minor in range(8)
                    ],
                }
                for image in ("debian", "ubuntu", "firewall-ubuntu")
            ],
            "machineTypes": [
                {
                    "name": f"c{index}-xlarge-x86",
                    "cpu": str(8 * (1 + index % 8)),
                    "gpu": "0",
                    "memory": f"{32 * (1 + index % 8)}Gi",
                    "storage": {"class": "default", "type": "local", "size": "960Gi"},
                    "usable": True,
                    "architecture": "amd64",
                }
                for index in range(machine_types)
            ],
            "regions": [
                {"name": region, "zones": [{"name": f"{region}-{zone}"} for zone in "abc"]}
                for region in ("fra-equ01", "muc-dc01", "ber-rz02")
            ],
            "providerConfig": {
                "apiVersion": "metal.provider.extensions.gardener.cloud/v1alpha1",
                "kind": "CloudProfileConfig",
                "metalControlPlanes": {
                    "prod": {
                        "endpoint": "https://api.metal.example",
                        "partitions": {
                            region: {
                                "firewallTypes": ["c1-xlarge-x86"],
                                "networkIsolation": {"allowedNetworks": {}},
                            }
                            for region in ("fra-equ01", "muc-dc01", "ber-rz02")
                        },
                    }
                },
            },
        },
    }
    cluster["spec"]["seed"] = {
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "Seed",
        "metadata": {
            "name": "seed-fra",
            "labels": {"seed.gardener.cloud/gardenlet": "true"},
            "managedFields": managed,
        },
        "spec": {
            "provider": {"type": "metal", "region": "fra-equ01"},
            "networks": {"nodes": "10.0.0.0/16", "pods": "10.244.0.0/16", "services": "10.96.0.0/12"},
            "ingress": {"domain": "ingress.seed-fra.example", "controller": {"kind": "nginx"}},
            "dns": {"provider": {"type": "powerdns", "secretRef": {"name": "dns", "namespace": "garden"}}},
            "settings": {
                name: {"enabled": True}
                for name in ("scheduling", "verticalPodAutoscaler", "topologyAwareRouting")
            },
        },
        "status": {
            "conditions": [
                {
                    "type": kind,
                    "status": "True",
                    "reason": "Ready",
                    "message": f"{kind} is healthy.",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                    "lastUpdateTime": "2026-01-01T00:00:00Z",
                }
                for kind in (
                    "GardenletReady",
                    "ExtensionsReady",
                    "SeedSystemComponentsHealthy",
                    "BackupBucketsReady",
                )
            ],
        },
    }
    shoot["metadata"]["managedFields"] = managed
    shoot["metadata"].setdefault("labels", {}).update(
        {"shoot.gardener.cloud/status": "healthy", "extensions.extensions.gardener.cloud/ontap": "true"}
    )
    spec = shoot["spec"]
    spec.update(
        {
            "cloudProfileName": "metal",
            "region": "fra-equ01",
            "secretBindingName": "metal-credentials",
            "kubernetes": {"version": "1.33.4", "kubeAPIServer": {"enableAnonymousAuthentication": False}},
            "networking": {
                "type": "calico",
                "pods": "10.240.0.0/13",
                "services": "10.248.0.0/18",
                "nodes": "10.0.0.0/8",
            },
            "maintenance": {
                "autoUpdate": {"kubernetesVersion": True, "machineImageVersion": True},
                "timeWindow": {"begin": "220000+0000", "end": "230000+0000"},
            },
            "extensions": [{"type": name} for name in ("ontap", "shoot-dns-service", "shoot-cert-service")],
        }
    )
    provider = spec.setdefault("provider", {"type": "metal"})
    provider["workers"] = [
        {
            "name": f"group-{index}",
            "machine": {"type": "c1-xlarge-x86", "image": {"name": "debian", "version": "4.3.0"}},
            "minimum": 1,
            "maximum": 4,
            "maxSurge": 1,
            "maxUnavailable": 0,
            "zones": ["fra-equ01"],
            "cri": {"name": "containerd"},
        }
        for index in range(2)
    ]
    status = shoot["status"]
    status.update(
        {
            "uid": shoot["metadata"]["uid"],
            "seedName": "seed-fra",
            "gardener": {"id": "gardenlet-0", "name": "gardenlet-0", "version": "v1.150.0"},
            "lastOperation": {
                "type": "Reconcile",
                "state": "Succeeded",
                "progress": 100,
                "description": "Shoot cluster has been successfully reconciled.",
                "lastUpdateTime": "2026-01-01T00:00:00Z",
            },
            "conditions": [
                {
                    "type": kind,
                    "status": "True",
                    "reason": "HealthChecksPassed",
                    "message": "All checks passed.",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                    "lastUpdateTime": "2026-01-01T00:00:00Z",
                }
                for kind in (
                    "APIServerAvailable",
                    "ControlPlaneHealthy",
                    "ObservabilityComponentsHealthy",
                    "EveryNodeReady",
                    "SystemComponentsHealthy",
                )
            ],
        }
    )
    return cluster
