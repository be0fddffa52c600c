"""How metal-stack's Go extension names what it makes (github.com/metal-stack/gardener-extension-ontap).

Each rule cites the file of the Go extension it is read from; tests/adoption pins them.
"""

from __future__ import annotations

from ontap import naming

# pkg/trident/svm.go: `dataLifTag`/`managementLifTag`; data LIF i (from 0) is `fmt.Sprintf("%s+%d", ...)`.
DATA_LIF_TAG = "datalif"
MANAGEMENT_LIF = "managementlif"
# pkg/trident/svm.go `createNetworkInterfaceForSvm`: the service policies of the two roles.
DATA_SERVICE_POLICY = "default-data-nvme-tcp"
MANAGEMENT_SERVICE_POLICY = "default-management"

# pkg/trident/user.go `getClusterUsername`: the shoot name, cut to this many characters.
ACCOUNT_NAME_MAX = 25
# pkg/trident/user.go `ClusterSecretNameFormat` and pkg/trident/deploy_trident.go `svmSeedSecretNamespace`.
SEED_SECRET_NAMESPACE = "kube-system"

# pkg/trident/deploy_trident.go `tridentResources` (with their keepObjects) and
# pkg/controller/ontap/actuator.go `ShootWebhooksResourceName`.
MANAGED_RESOURCES: tuple[str, ...] = (
    "trident-crds",
    "trident-backends",
    "trident-svm-secret",
    "trident-cwnp",
    "trident-init",
    "extension-ontap-shoot",
)
# gardener pkg/utils/managedresources `SecretPrefix`: their content secrets start with it.
CONTENT_SECRET_PREFIX = "managedresource-"


def svm_name(project_id: str) -> str:
    """pkg/controller/ontap/actuator.go: `p` + the project id without dashes (the same rule as ours)."""
    return naming.svm_name(project_id)


def data_lif_name(index: int) -> str:
    """`datalif+<index>`, index from 0 in the order of `svmIpaddresses.dataLifs`."""
    return f"{DATA_LIF_TAG}+{index}"


def lif_roles(data_count: int) -> dict[str, str]:
    """Every LIF name the Go extension gives an SVM with `data_count` data LIFs, with its service policy."""
    roles = {data_lif_name(i): DATA_SERVICE_POLICY for i in range(data_count)}
    roles[MANAGEMENT_LIF] = MANAGEMENT_SERVICE_POLICY
    return roles


def shoot_name(technical_id: str) -> str:
    """pkg/trident/user.go `extractShootNameFromNamespace`: what follows `shoot--<project>--`."""
    rest = technical_id.removeprefix("shoot--")
    _, sep, name = rest.partition("--")
    if not technical_id.startswith("shoot--") or not sep or not name:
        raise ValueError(f"seed namespace {technical_id!r} is not of the form shoot--<project>--<shoot>")
    return name


def account_name(technical_id: str) -> str:
    """pkg/trident/user.go `getClusterUsername`: the shoot name (a leading `-` becomes `s`), 25 characters."""
    name = shoot_name(technical_id)
    if name.startswith("-"):
        name = "s" + name[1:]
    return name[:ACCOUNT_NAME_MAX]


def seed_secret_name(project_id: str, technical_id: str) -> str:
    """pkg/controller/ontap/actuator.go: `<svm>-<seed namespace without shoot-->-credentials`.

    `<svm>` is the project's SVM name also when the SVM found is its MetroCluster partner (the Go
    extension passes the primary name on, pkg/trident/svm.go `EnsureCompleteSVM`).
    """
    return f"{svm_name(project_id)}-{technical_id.removeprefix('shoot--')}-credentials"


def backend_config_name(project_id: str) -> str:
    """charts/trident/resources/backends/backend-config.yaml: TridentBackendConfig `ontap-<svm>-backend`."""
    return f"ontap-{svm_name(project_id)}-backend"


def backend_name(project_id: str) -> str:
    """charts/trident/resources/backends/backend-config.yaml: its `spec.backendName` `ontap-<svm>` (the
    primary's name also on the `-mc` partner)."""
    return f"ontap-{svm_name(project_id)}"
