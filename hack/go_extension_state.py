"""Builds the exact state metal-stack's Go `gardener-extension-ontap` leaves for one shoot.

ONTAP (through its REST API as the cluster admin, the requests the Go extension makes): the SVM
`p<project id without dashes>` (or its MetroCluster partner `<name>-mc`) on all aggregates with NVMe
allowed and enabled and no comment, the LIFs `datalif+<i>` / `managementlif`, and the shoot's account
(`<shoot>` cut to 25 characters, role vsadmin, application http, password login).

Kubernetes: the seed secret `<svm>-<project>--<shoot>-credentials` in `kube-system` and the
ManagedResources `trident-crds`, `trident-backends`, `trident-svm-secret`, `trident-cwnp`,
`trident-init`, `extension-ontap-shoot` with their content secrets, as the Go extension's Gardener
(go.mod: github.com/gardener/gardener v1.122.3) writes them: the `trident-*` ones carry one plain YAML file
per key (pkg/trident/deploy_trident.go `deployResources` -> pkg/utils/managedresources `CreateForShoot`);
the shoot webhooks' one carries the single key `data.yaml.br`, every object concatenated and
brotli-compressed (extensions/pkg/webhook/shoot/webhook.go `ReconcileWebhookConfig` ->
pkg/utils/managedresources/registry.go `SerializedObjects`), which the resource manager decompresses
(pkg/resourcemanager/controller/managedresource/reconciler.go, `BrotliCompressionSuffix`).

Sources (github.com/metal-stack/gardener-extension-ontap): pkg/trident/svm.go, pkg/trident/user.go,
pkg/trident/deploy_trident.go, pkg/controller/ontap/actuator.go, charts/trident/resources/**; Gardener:
pkg/utils/managedresources/managedresources.go, extensions/pkg/webhook/shoot/webhook.go.
Used by tests/adoption and `make run-adopt` (hack/run_local.py --seed-go-extension).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli
import yaml
from kubernetes_asyncio import client as k8s
from kubernetes_asyncio.client.exceptions import ApiException

from controller.adoption import names as go
from ontap.client import OntapClient
from ontap.jobs import job_uuid_of, wait_for_job
from ontap.provisioning.reads import find_svm, list_aggregates, list_nodes
from ontap.transport import send_json

# Trident's CRD of the operator's orchestrator, the one the Go extension's `trident-crds` ships
# (charts/trident/resources/crds/tridentorchestrators.yaml; our copy is the shoot apiserver's).
ORCHESTRATOR_CRD = (
    Path(__file__).resolve().parent / "crds" / "shoot" / "trident.netapp.io_tridentorchestrators.yaml"
)
# gardener pkg/apis/resources/v1alpha1 `CompressedDataKey`.
COMPRESSED_DATA_KEY = "data.yaml.br"
SHOOT_WEBHOOKS_MR = "extension-ontap-shoot"
RESOURCES_GROUP = "resources.gardener.cloud"
RESOURCES_VERSION = "v1alpha1"

# pkg/trident/deploy_trident.go `tridentResources`: (name, keepObjects); the webhooks' MR sets none.
GO_MANAGED_RESOURCES: tuple[tuple[str, bool | None], ...] = (
    ("trident-crds", True),
    ("trident-backends", True),
    ("trident-svm-secret", False),
    ("trident-cwnp", False),
    ("trident-init", True),
    ("extension-ontap-shoot", None),
)


@dataclass(frozen=True)
class GoShoot:
    """One shoot as the Go extension sees it."""

    namespace: str  # shoot--<project>--<shoot>
    project_id: str
    management_ip: str
    data_ips: tuple[str, ...]
    password: str  # the account's password (pkg/trident/user.go: 8 characters, 2 digits)
    partner: bool = False  # the SVM found is the MetroCluster partner `<name>-mc`

    @property
    def svm_name(self) -> str:
        name = go.svm_name(self.project_id)
        return f"{name}-mc" if self.partner else name

    @property
    def username(self) -> str:
        return go.account_name(self.namespace)

    @property
    def seed_secret_name(self) -> str:
        return go.seed_secret_name(self.project_id, self.namespace)


async def _post(client: OntapClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = await client.run(
        lambda conn: send_json(conn, "POST", path, body=body),
        operation=f"POST {path}",
        target=path,
        mutating=True,
    )
    return answer


async def seed_ontap(client: OntapClient, shoot: GoShoot) -> None:
    """The SVM, its LIFs and the shoot's account, made as the Go extension makes them."""
    svm = await find_svm(client, shoot.svm_name)
    if svm is None:
        aggregates = [{"uuid": a.uuid} for a in await list_aggregates(client)]
        answer = await _post(
            client,
            "/api/svm/svms",
            {
                "name": shoot.svm_name,
                "aggregates": aggregates,
                "nvme": {"enabled": True, "allowed": True},
            },
        )
        job = job_uuid_of(answer)
        if job is not None:
            await wait_for_job(client, job, operation="POST /api/svm/svms", target=shoot.svm_name)
        svm = await find_svm(client, shoot.svm_name)
        assert svm is not None
        nodes = [n.uuid for n in await list_nodes(client)]
        lifs = [(go.data_lif_name(i), ip, True) for i, ip in enumerate(shoot.data_ips)]
        lifs.append((go.MANAGEMENT_LIF, shoot.management_ip, False))
        for index, (name, ip, data) in enumerate(lifs):
            await _post(
                client,
                "/api/network/ip/interfaces",
                {
                    "name": name,
                    "enabled": True,
                    "svm": {"uuid": svm.uuid},
                    "ip": {"address": ip, "netmask": "24"},
                    "location": {"home_node": {"uuid": nodes[index % len(nodes) if data else 0]}},
                    "service_policy": {
                        "name": go.DATA_SERVICE_POLICY if data else go.MANAGEMENT_SERVICE_POLICY
                    },
                },
            )
    await _post(
        client,
        "/api/security/accounts",
        {
            "name": shoot.username,
            "password": shoot.password,
            "role": {"name": "vsadmin"},
            "locked": False,
            "owner": {"uuid": svm.uuid},
            "applications": [{"application": "http", "authentication_methods": ["password"]}],
        },
    )


def _manifests(shoot: GoShoot) -> dict[str, dict[str, str]]:
    """What each Go ManagedResource carries (file name -> YAML), after the Go extension's templating."""
    svm = go.svm_name(shoot.project_id)
    no_cleanup = {"shoot.gardener.cloud/no-cleanup": "true"}
    backend = {
        "apiVersion": "trident.netapp.io/v1",
        "kind": "TridentBackendConfig",
        "metadata": {"name": f"ontap-{svm}-backend", "namespace": "kube-system", "labels": no_cleanup},
        "spec": {
            "version": 1,
            "backendName": f"ontap-{svm}",
            "storageDriverName": "ontap-san",
            "sanType": "nvme",
            "managementLIF": shoot.management_ip,
            "credentials": {"name": shoot.seed_secret_name},
        },
    }
    classes = [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "ontap-gold", "labels": no_cleanup},
            "provisioner": "csi.trident.netapp.io",
            "parameters": {
                "backendType": "ontap-san",
                "provisioningType": "thin",
                "selector": "luks=false",
                "fsType": "ext4",
            },
            "allowVolumeExpansion": True,
        },
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "ontap-encrypted"},
            "provisioner": "csi.trident.netapp.io",
            "parameters": {"backendType": "ontap-san", "selector": "luks=true", "fsType": "ext4"},
            "allowVolumeExpansion": True,
        },
    ]
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": shoot.seed_secret_name,
            "namespace": "kube-system",
            "labels": {
                "app.kubernetes.io/part-of": "gardener-extension-ontap",
                "app.kubernetes.io/managed-by": "gardener",
                "ontap.metal-stack.io/project-id": svm,
            },
        },
        "type": "Opaque",
        "stringData": {"username": shoot.username, "password": shoot.password},
    }
    # charts/trident/resources/cwnps/cwnp.yaml.tpl
    cwnp = {
        "apiVersion": "metal-stack.io/v1",
        "kind": "ClusterwideNetworkPolicy",
        "metadata": {"namespace": "firewall", "name": "allow-to-ontap"},
        "spec": {
            "egress": [
                {"to": [{"cidr": f"{shoot.management_ip}/32"}], "ports": [{"protocol": "TCP", "port": 443}]},
                {
                    "to": [{"cidr": f"{ip}/32"} for ip in shoot.data_ips],
                    "ports": [{"protocol": "TCP", "port": 4420}],
                },
            ]
        },
    }
    orchestrator = {
        "apiVersion": "trident.netapp.io/v1",
        "kind": "TridentOrchestrator",
        "metadata": {"name": "trident"},
        "spec": {"namespace": "kube-system"},
    }
    webhook = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "gardener-extension-ontap-shoot"},
    }
    dump = yaml.safe_dump
    return {
        "trident-crds": {"tridentorchestrators.yaml": ORCHESTRATOR_CRD.read_text()},
        "trident-backends": {
            "backend-config.yaml": dump(backend),
            "storageclass.yaml": yaml.safe_dump_all(classes),
        },
        "trident-svm-secret": {"svm-shoot-secret.yaml": dump(secret)},
        "trident-cwnp": {"cwnp.yaml": dump(cwnp)},
        "trident-init": {"bundle.yaml": dump(orchestrator)},
        SHOOT_WEBHOOKS_MR: {"mutatingwebhookconfiguration.yaml": dump(webhook)},
    }


def content_secret_data(name: str, files: dict[str, str]) -> dict[str, bytes]:
    """The data of one Go ManagedResource's content secret: the files as they are, or for the shoot
    webhooks' one `data.yaml.br`, the files in name order, `---`-separated, brotli-compressed (as
    Gardener's `Registry.SerializedObjects` writes it)."""
    if name != SHOOT_WEBHOOKS_MR:
        return {key: value.encode() for key, value in files.items()}
    documents = [files[key] if files[key].endswith("\n") else files[key] + "\n" for key in sorted(files)]
    return {COMPRESSED_DATA_KEY: brotli.compress("---\n".join(documents).encode())}


def go_content_secrets(shoot: GoShoot) -> dict[str, dict[str, bytes]]:
    """Every Go ManagedResource's content secret data, by ManagedResource name."""
    return {name: content_secret_data(name, files) for name, files in _manifests(shoot).items()}


def _checksum(data: dict[str, bytes]) -> str:
    digest = {key: hashlib.sha256(value).hexdigest() for key, value in data.items()}
    return hashlib.sha256(json.dumps(digest, sort_keys=True).encode()).hexdigest()[:8]


async def seed_kubernetes(api_client: Any, shoot: GoShoot, *, seed_secret: bool = True) -> None:
    """The Go seed secret in kube-system and the Go ManagedResources with their content secrets."""
    core = k8s.CoreV1Api(api_client)
    if seed_secret:
        body = k8s.V1Secret(
            metadata=k8s.V1ObjectMeta(
                name=shoot.seed_secret_name,
                namespace=go.SEED_SECRET_NAMESPACE,
                labels={
                    "app.kubernetes.io/part-of": "gardener-extension-ontap",
                    "app.kubernetes.io/managed-by": "gardener",
                    "ontap.metal-stack.io/project-id": go.svm_name(shoot.project_id),
                },
            ),
            type="Opaque",
            string_data={"username": shoot.username, "password": shoot.password},
        )
        await _create(core.create_namespaced_secret(go.SEED_SECRET_NAMESPACE, body))
    custom = k8s.CustomObjectsApi(api_client)
    for (name, keep), (_, data) in zip(GO_MANAGED_RESOURCES, go_content_secrets(shoot).items(), strict=True):
        webhooks = name == SHOOT_WEBHOOKS_MR
        secret_name = f"{'' if webhooks else go.CONTENT_SECRET_PREFIX}{name}-{_checksum(data)}"
        secret = k8s.V1Secret(
            metadata=k8s.V1ObjectMeta(
                name=secret_name,
                namespace=shoot.namespace,
                labels={"resources.gardener.cloud/garbage-collectable-reference": "true"},
            ),
            type="Opaque",
            immutable=True,
            data={key: base64.b64encode(value).decode("ascii") for key, value in data.items()},
        )
        await _create(core.create_namespaced_secret(shoot.namespace, secret))
        spec: dict[str, Any] = {"secretRefs": [{"name": secret_name}]}
        metadata: dict[str, Any] = {"name": name, "namespace": shoot.namespace}
        if not webhooks:
            spec.update(keepObjects=keep, injectLabels={"shoot.gardener.cloud/no-cleanup": "true"})
            metadata["labels"] = {"origin": "kube-system"}
        mr = {
            "apiVersion": f"{RESOURCES_GROUP}/{RESOURCES_VERSION}",
            "kind": "ManagedResource",
            "metadata": metadata,
            "spec": spec,
        }
        await _create(
            custom.create_namespaced_custom_object(
                RESOURCES_GROUP, RESOURCES_VERSION, shoot.namespace, "managedresources", mr
            )
        )


async def _create(request: Any) -> None:
    try:
        await request
    except ApiException as exc:
        if exc.status != 409:  # already seeded: keep what is there
            raise


async def seed(client: OntapClient, api_client: Any, shoot: GoShoot, *, seed_secret: bool = True) -> None:
    """Everything the Go extension leaves for `shoot`."""
    await seed_ontap(client, shoot)
    await seed_kubernetes(api_client, shoot, seed_secret=seed_secret)


async def seed_local_environment(
    kubeconfig: Any,
    cluster: Any,
    namespace: str,
    project_id: str,
    provider_config: dict[str, Any],
    password: str = "kQ4mZt7x",
) -> GoShoot:
    """`make run-adopt`: the Go extension's state for the sample shoot, before our controller starts.

    `cluster` is the `OntapClusterConfig` of the fake ONTAP, `kubeconfig` the local apiserver's
    kubeconfig file, `provider_config` the Extension's (it names the LIFs).
    """
    from kubernetes_asyncio import config as k8s_config

    lifs = provider_config["svmIpaddresses"]
    shoot = GoShoot(
        namespace=namespace,
        project_id=project_id,
        management_ip=lifs["managementLif"],
        data_ips=tuple(lifs["dataLifs"]),
        password=password,
    )
    configuration = k8s.Configuration()
    await k8s_config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    client = OntapClient(cluster)
    async with k8s.ApiClient(configuration=configuration) as api_client:
        try:
            await seed(client, api_client, shoot)
        finally:
            await client.close()
    return shoot
