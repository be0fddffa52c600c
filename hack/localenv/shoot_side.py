"""The shoot side of `make run`: start the shoot apiserver and its gardener-resource-manager; describe them.

``start_shoot_side`` starts, for one seed namespace, the shoot apiserver (shoot-side CRDs), the namespaces a
Trident installation and metal-stack's firewall leave in a shoot, gardenlet's generic token kubeconfig and a
gardener-resource-manager with the shoot as its target; everything stops when the given ExitStack closes.
``describe_shoot_side`` waits until the resource manager has judged every ManagedResource of the namespace
and returns what stands in the seed (their conditions) and in the shoot (the deployed objects) as lines.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controller.config import NVME_TCP_INIT_IMAGE
from hack.localenv.kube import LocalKubeApiServer, free_loopback_ports
from hack.localenv.resource_manager import (
    METAL_STACK_TARGET_NAMESPACES,
    ResourceManager,
    shoot_apiserver,
    write_generic_token_kubeconfig,
)
from hack.localenv.shoot_objects import list_shoot_objects
from hack.localenv.webhook_tls import webhook_tls

MR_PATH = "/apis/resources.gardener.cloud/v1alpha1/namespaces/{ns}/managedresources"


@dataclass(frozen=True)
class ShootSideProcesses:
    shoot: LocalKubeApiServer
    grm: ResourceManager


def start_shoot_side(
    stack: contextlib.ExitStack, seed: LocalKubeApiServer, namespace: str, workdir: Path
) -> ShootSideProcesses:
    """Start the shoot apiserver and a GRM for `namespace` of `seed`; `stack` stops them."""
    shoot = shoot_apiserver(workdir / "shoot")
    shoot.start()
    stack.callback(shoot.stop)
    shoot.install_crds()
    # What exists in a metal-stack shoot before this extension deploys anything: the firewall's namespace
    # (metal-stack) and, as the demo's Trident is installed by the operator bundle, nothing else.
    shoot.create_namespace("firewall")
    write_generic_token_kubeconfig(seed, namespace, shoot)
    grm = ResourceManager(
        seed, shoot, namespace, workdir / "grm", extra_target_namespaces=METAL_STACK_TARGET_NAMESPACES
    )
    grm.start()
    stack.callback(grm.stop)
    return ShootSideProcesses(shoot=shoot, grm=grm)


def demo_shoot_config(workdir: Path) -> dict[str, Any]:
    """Controller configuration for the demo shoot's side: the node-preparation webhook served on loopback
    (a CA and certificate from hack/localenv/webhook_tls.py; the init image is configuration) and the
    firewall policy, as the demo plays a shoot behind metal-stack's firewall."""
    tls = webhook_tls(workdir / "shoot-webhook-tls")
    [port] = free_loopback_ports(1)
    return {
        "shootWebhook": {
            "port": port,
            "certFile": str(tls.cert_file),
            "keyFile": str(tls.key_file),
            "caFile": str(tls.ca_file),
            "url": f"https://127.0.0.1:{port}",
        },
        "images": [{"name": NVME_TCP_INIT_IMAGE, "repository": "docker.io/library/busybox", "tag": "1.37.0"}],
        "firewall": {"policy": "always"},
    }


def _judged(mr: dict[str, Any]) -> bool:
    """GRM has applied (or failed to apply) the current generation and run its health check."""
    conditions = {c["type"]: c for c in (mr.get("status") or {}).get("conditions") or []}
    applied = conditions.get("ResourcesApplied", {}).get("status")
    healthy = conditions.get("ResourcesHealthy", {}).get("status")
    if applied == "False":
        return True
    current = (mr.get("status") or {}).get("observedGeneration") == mr["metadata"].get("generation")
    return applied == "True" and current and healthy in ("True", "False")


def describe_shoot_side(
    seed: LocalKubeApiServer, namespace: str, side: ShootSideProcesses, *, timeout: float = 60.0
) -> list[str]:
    """Lines: each ManagedResource's GRM conditions, then every deployed object in the shoot apiserver."""
    deadline = time.monotonic() + timeout
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        items = seed.request("GET", MR_PATH.format(ns=namespace)).get("items", [])
        if items and all(_judged(mr) for mr in items):
            break
        time.sleep(0.5)
    lines = [f"shoot kube-apiserver at {side.shoot.server} (kubeconfig {side.shoot.kubeconfig})"]
    lines.append(
        f"gardener-resource-manager pid {side.grm.record.pid if side.grm.record else '-'}"
        f" (log {side.grm.log_file})"
    )
    for mr in items:
        conditions = (mr.get("status") or {}).get("conditions") or []
        summary = ", ".join(
            f"{c['type']}={c['status']}" for c in conditions if c["type"].startswith("Resources")
        )
        lines.append(
            f"  ManagedResource {namespace}/{mr['metadata']['name']}: {summary or 'not yet seen by GRM'}"
        )
        for cond in conditions:
            if cond["status"] != "True" and cond["type"] in ("ResourcesApplied", "ResourcesHealthy"):
                lines.append(f"    {cond['type']} ({cond.get('reason', '')}): {cond.get('message', '')}")
    for obj in list_shoot_objects(side.shoot):
        lines.append(f"  shoot {obj.ref}")
    return lines
