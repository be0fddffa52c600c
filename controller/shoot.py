"""What the controller needs to know about a shoot, read from Gardener's `Cluster` object."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from controller.errorcodes import ErrorCode

FORCE_DELETION_ANNOTATION = "confirmation.gardener.cloud/force-deletion"


class ShootInfoError(ValueError):
    """The Cluster object lacks something the controller needs; names the field and the shoot."""

    code = ErrorCode.CONFIGURATION_PROBLEM

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class ShootInfo(BaseModel):
    """A shoot as seen from its seed namespace. `technical_id` is the Cluster name == the seed namespace."""

    model_config = ConfigDict(frozen=True)

    technical_id: str
    project_id: str
    shoot_name: str
    shoot_namespace: str
    uid: str = ""
    purpose: str = ""
    provider_type: str = ""  # spec.provider.type, e.g. `metal` for metal-stack
    hibernated: bool = False
    force_deletion: bool = False

    @property
    def display_name(self) -> str:
        """`<garden namespace>/<shoot name>`, how operators know the shoot."""
        return f"{self.shoot_namespace}/{self.shoot_name}"

    @classmethod
    def from_cluster(cls, cluster: dict[str, Any], project_annotation: str) -> ShootInfo:
        """Read the shoot from a `Cluster`; a missing project annotation is a configuration error."""
        technical_id = str((cluster.get("metadata") or {}).get("name") or "")
        if not technical_id:
            raise ShootInfoError("Cluster object has no metadata.name")
        shoot = shoot_of(cluster)
        if not shoot:
            raise ShootInfoError(f"Cluster {technical_id}: spec.shoot is missing")
        meta = shoot.get("metadata") or {}
        spec = shoot.get("spec") or {}
        status = shoot.get("status") or {}
        annotations = meta.get("annotations") or {}
        shoot_name = str(meta.get("name") or "")
        shoot_namespace = str(meta.get("namespace") or "")
        project_id = str(annotations.get(project_annotation) or "").strip()
        if not project_id:
            raise ShootInfoError(
                f"shoot {shoot_namespace}/{shoot_name} (Cluster {technical_id}) has no annotation "
                f"{project_annotation!r} naming its project; the project's SVM cannot be chosen without it"
            )
        hibernation = spec.get("hibernation") or {}
        return cls(
            technical_id=technical_id,
            project_id=project_id,
            shoot_name=shoot_name,
            shoot_namespace=shoot_namespace,
            uid=str(meta.get("uid") or status.get("uid") or ""),
            purpose=str(spec.get("purpose") or ""),
            provider_type=str((spec.get("provider") or {}).get("type") or ""),
            hibernated=bool(status.get("hibernated") or hibernation.get("enabled") or False),
            force_deletion=force_deletion_confirmed(cluster),
        )


def shoot_of(cluster: dict[str, Any] | None) -> dict[str, Any]:
    """The Shoot embedded in a Cluster (empty when absent, e.g. for garden-namespace Extensions).

    The one place that reads `spec.shoot`; everything else asks here.
    """
    shoot = ((cluster or {}).get("spec") or {}).get("shoot")
    return dict(shoot) if isinstance(shoot, dict) else {}


def shoot_annotations(cluster: dict[str, Any] | None) -> dict[str, Any]:
    """The Shoot's annotations."""
    return dict((shoot_of(cluster).get("metadata") or {}).get("annotations") or {})


def shoot_failed(cluster: dict[str, Any] | None) -> bool:
    """Whether the Shoot's last operation failed for good (Gardener then leaves its extensions alone)."""
    last_operation = (shoot_of(cluster).get("status") or {}).get("lastOperation") or {}
    return bool(last_operation.get("state") == "Failed")


def force_deletion_confirmed(cluster: dict[str, Any] | None) -> bool:
    """Whether the Shoot carries `confirmation.gardener.cloud/force-deletion=true`."""
    value = shoot_annotations(cluster).get(FORCE_DELETION_ANNOTATION, "")
    return str(value).strip().lower() == "true"
