"""The Trident objects of one shoot, rendered as plain dicts (pure functions, no templating).

- the credentials Secret that the backend references (in Trident's namespace, `trident.namespace`),
- the TridentBackendConfig pointing Trident at the project's SVM (on an SVM adopted from metal-stack's
  Go extension under the Go extension's names, so Trident updates that backend in place),
- the StorageClasses from the controller configuration (replaced when an older one has other parameters).
"""

from __future__ import annotations

import base64
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, SecretStr

from controller.config import StorageClassConfig
from controller.shoot_resources import names
from controller.shoot_resources.health_reader import reader_objects
from controller.shoot_resources.managed_resource import DesiredManagedResource, desired_managed_resource

if TYPE_CHECKING:
    from controller.config import TridentConfig
    from controller.credentials import SeedCredentials
    from controller.provider_config import ProviderConfig

SAN_DRIVERS = frozenset({"ontap-san", "ontap-san-economy"})
LUKS_LABEL = "luks"


class TridentInputs(BaseModel):
    """Everything the shoot's Trident objects are rendered from. The password never appears in `repr`."""

    model_config = ConfigDict(frozen=True)

    svm_name: str
    management_lif: IPv4Address
    data_lifs: tuple[IPv4Address, ...]
    username: str
    password: SecretStr
    storage_driver: str
    san_type: str
    storage_classes: tuple[StorageClassConfig, ...]
    namespace: str
    backend_config_name: str  # the TridentBackendConfig's name
    backend_name: str  # its `spec.backendName`, Trident's name of the backend
    credentials_secret: str = names.SHOOT_CREDENTIALS_SECRET  # the Secret the backend reads

    @property
    def is_san(self) -> bool:
        return self.storage_driver in SAN_DRIVERS

    @property
    def san_protocol(self) -> str | None:
        """How the nodes reach the data LIFs: `nvme`, `iscsi` or `fcp`; None for NAS.

        `sanType` is rendered for ontap-san only; Trident's SAN drivers default it to iSCSI when unset
        (NetApp/trident storage_drivers/ontap/ontap_common.go), so ontap-san-economy speaks iSCSI.
        """
        if self.storage_driver == "ontap-san":
            return self.san_type
        return "iscsi" if self.is_san else None

    @property
    def uses_luks(self) -> bool:
        return self.is_san and any(sc.luks_encryption for sc in self.storage_classes)


def trident_inputs(
    svm_name: str,
    provider_config: ProviderConfig,
    credentials: SeedCredentials,
    trident: TridentConfig,
    *,
    go_backend: tuple[str, str] | None = None,
    go_credentials_secret: str | None = None,
) -> TridentInputs:
    """The shoot's providerConfig (which may override driver and SAN type) over the controller defaults.

    `go_backend` is (TridentBackendConfig name, backendName) of the backend metal-stack's Go extension
    made, for an SVM adopted from it: ours takes both names over (docs/migration-from-go-extension.md),
    and likewise the name of the credentials Secret it reads (`go_credentials_secret`).
    """
    ours = names.backend_name(svm_name)
    config_name, backend = go_backend if go_backend is not None else (ours, ours)
    return TridentInputs(
        namespace=trident.namespace,
        backend_config_name=config_name,
        backend_name=backend,
        credentials_secret=go_credentials_secret or names.SHOOT_CREDENTIALS_SECRET,
        svm_name=svm_name,
        management_lif=provider_config.management_lif,
        data_lifs=tuple(provider_config.data_lifs),
        username=credentials.username,
        password=credentials.password,
        storage_driver=provider_config.storage_driver or trident.storage_driver,
        san_type=provider_config.san_type or trident.san_type,
        storage_classes=tuple(trident.storage_classes),
    )


def _b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def credentials_secret(inputs: TridentInputs) -> dict[str, Any]:
    """The Secret in the shoot that the TridentBackendConfig names in `credentials.name`."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": inputs.credentials_secret, "namespace": inputs.namespace},
        "type": "Opaque",
        "data": {"username": _b64(inputs.username), "password": _b64(inputs.password.get_secret_value())},
    }


def backend_config(inputs: TridentInputs) -> dict[str, Any]:
    """The TridentBackendConfig: driver, SVM, management LIF, credentials by reference, data retained."""
    spec: dict[str, Any] = {
        "version": 1,
        "backendName": inputs.backend_name,
        "storageDriverName": inputs.storage_driver,
        "managementLIF": str(inputs.management_lif),
        "svm": inputs.svm_name,
        "credentials": {"name": inputs.credentials_secret},
        "deletionPolicy": "retain",
    }
    if inputs.storage_driver == "ontap-san":
        spec["sanType"] = inputs.san_type
    if not inputs.is_san and inputs.data_lifs:
        # NAS mounts go to one data LIF; SAN paths are discovered by Trident from the SVM.
        spec["dataLIF"] = str(inputs.data_lifs[0])
    if inputs.uses_luks:
        spec["storage"] = [
            {"labels": {LUKS_LABEL: "false"}, "defaults": {"luksEncryption": "false"}},
            {"labels": {LUKS_LABEL: "true"}, "defaults": {"luksEncryption": "true"}},
        ]
    return {
        "apiVersion": names.TRIDENT_API_VERSION,
        "kind": "TridentBackendConfig",
        "metadata": {"name": inputs.backend_config_name, "namespace": inputs.namespace},
        "spec": spec,
    }


def storage_class(inputs: TridentInputs, sc: StorageClassConfig) -> dict[str, Any]:
    """One StorageClass provisioned by Trident from the backend; config parameters win over defaults."""
    parameters: dict[str, str] = {"backendType": inputs.storage_driver}
    if inputs.is_san:
        parameters["csi.storage.k8s.io/fstype"] = "ext4"
    if inputs.uses_luks:
        parameters["selector"] = f"{LUKS_LABEL}={'true' if sc.luks_encryption else 'false'}"
        if sc.luks_encryption:
            # Trident reads each volume's LUKS passphrase from a secret next to its PVC.
            parameters["csi.storage.k8s.io/node-stage-secret-name"] = "luks-${pvc.name}"
            parameters["csi.storage.k8s.io/node-stage-secret-namespace"] = "${pvc.namespace}"
    parameters.update(sc.parameters)
    annotations = {names.DELETE_ON_INVALID_UPDATE_ANNOTATION: "true"}
    if sc.default:
        annotations[names.DEFAULT_CLASS_ANNOTATION] = "true"
    metadata: dict[str, Any] = {"name": sc.name, "annotations": annotations}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": metadata,
        "provisioner": names.TRIDENT_PROVISIONER,
        "parameters": parameters,
        "reclaimPolicy": sc.reclaim_policy,
        "allowVolumeExpansion": sc.allow_volume_expansion,
    }


def render_credentials(inputs: TridentInputs) -> DesiredManagedResource:
    """MR `extension-ontap-trident-credentials`: the backend's credentials Secret."""
    return desired_managed_resource(
        names.CREDENTIALS_MR,
        [credentials_secret(inputs)],
        f"Secret {inputs.namespace}/{inputs.credentials_secret}",
    )


def render_backend(inputs: TridentInputs) -> DesiredManagedResource:
    """MR `extension-ontap-trident-backend`: the TridentBackendConfig, the StorageClasses and the Role that
    lets the extension read the backend's status (`health_reader`)."""
    classes = [storage_class(inputs, sc) for sc in inputs.storage_classes]
    class_names = ", ".join(sc.name for sc in inputs.storage_classes) or "none"
    return desired_managed_resource(
        names.BACKEND_MR,
        [backend_config(inputs), *classes, *reader_objects(inputs.namespace)],
        f"TridentBackendConfig {inputs.namespace}/{inputs.backend_config_name} "
        f"({inputs.storage_driver}), StorageClasses {class_names}",
    )
