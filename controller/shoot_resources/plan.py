"""Pure decisions: what to write so that a ManagedResource references its current content, and in which order
our ManagedResources are deleted.

Observed state in, a plan out; the step carries the plan out. A plan for an unchanged shoot is empty, which is
what makes a steady-state pass write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from controller.kube.managed_resources import ObservedManagedResource
from controller.kube.secrets import ObservedContentSecret
from controller.shoot_resources import names
from controller.shoot_resources.managed_resource import DesiredManagedResource

# Backend and credentials go first while Trident still runs to release the backend; the operator goes last,
# with the firewall policy (Trident needs the management LIF to release the backend) and the node webhook.
DELETION_PHASES: tuple[tuple[str, ...], ...] = (
    (names.BACKEND_MR, names.CREDENTIALS_MR),
    (names.OPERATOR_MR, names.FIREWALL_MR, names.SHOOT_WEBHOOKS_MR),
)
ALL_MANAGED_RESOURCES = tuple(name for phase in DELETION_PHASES for name in phase)


@dataclass(frozen=True)
class ManagedResourcePlan:
    """The writes for one ManagedResource, in the order they are made."""

    name: str
    secret_name: str
    create_secret: bool = False
    recreate_secret: bool = False
    secret_labels: dict[str, str] = field(default_factory=dict)
    create_managed_resource: bool = False
    managed_resource_patch: dict[str, Any] = field(default_factory=dict)
    delete_secrets: tuple[str, ...] = ()
    drift: tuple[str, ...] = ()
    blocked: str = ""

    @property
    def is_empty(self) -> bool:
        """True when nothing needs to be written."""
        return not (
            self.create_secret
            or self.recreate_secret
            or self.secret_labels
            or self.create_managed_resource
            or self.managed_resource_patch
            or self.delete_secrets
        )


def secrets_of(name: str, secrets: list[ObservedContentSecret]) -> list[ObservedContentSecret]:
    """The content secrets that belong to ManagedResource `name` (by our label and the name prefix)."""
    prefix = names.secret_name_prefix(name)
    return [
        s for s in secrets if s.labels.get(names.MANAGED_RESOURCE_LABEL) == name and s.name.startswith(prefix)
    ]


def orphaned_secrets(secrets: list[ObservedContentSecret], present: set[str]) -> list[ObservedContentSecret]:
    """Our content secrets whose ManagedResource is not (or no longer) present: safe to delete."""
    return [s for s in secrets if s.labels.get(names.MANAGED_RESOURCE_LABEL) not in present]


def managed_resource_patch(
    desired: DesiredManagedResource, observed: ObservedManagedResource
) -> dict[str, Any]:
    """A merge patch that brings `observed` to the desired spec and labels; empty when nothing differs."""
    spec: dict[str, Any] = {}
    if observed.secret_refs != (desired.secret_name,):
        spec["secretRefs"] = [{"name": desired.secret_name}]
    if observed.keep_objects:
        spec["keepObjects"] = False
    if observed.resource_class is not None:
        spec["class"] = None
    wanted_inject = desired.spec()["injectLabels"]
    inject = {k: v for k, v in wanted_inject.items() if observed.inject_labels.get(k) != v}
    if inject:
        spec["injectLabels"] = inject
    labels = {k: v for k, v in desired.labels().items() if observed.labels.get(k) != v}
    patch: dict[str, Any] = {}
    if spec:
        patch["spec"] = spec
    if labels:
        patch["metadata"] = {"labels": labels}
    return patch


def _patch_drift(
    observed: ObservedManagedResource, patch: dict[str, Any], own_secrets: set[str]
) -> list[str]:
    spec = patch.get("spec") or {}
    drift = []
    if "secretRefs" in spec and not set(observed.secret_refs) <= own_secrets:
        drift.append(f"{observed.ref} referenced {list(observed.secret_refs)}")
    if "keepObjects" in spec:
        drift.append(f"{observed.ref} had keepObjects=true")
    if "class" in spec:
        drift.append(f"{observed.ref} had class {observed.resource_class!r}")
    if "injectLabels" in spec or "metadata" in patch:
        drift.append(f"{observed.ref} lacked its labels")
    return drift


def plan_managed_resource(
    desired: DesiredManagedResource,
    observed: ObservedManagedResource | None,
    secrets: list[ObservedContentSecret],
) -> ManagedResourcePlan:
    """Decide the writes for one ManagedResource from what was observed (`secrets`: any of ours)."""
    own = secrets_of(desired.name, secrets)
    current = next((s for s in own if s.name == desired.secret_name), None)
    if observed is not None and observed.deleting:
        finalizers = ", ".join(observed.finalizers) or "none"
        return ManagedResourcePlan(
            desired.name,
            desired.secret_name,
            blocked=f"{observed.ref} is being deleted (finalizers: {finalizers}); it is recreated once gone",
        )
    if current is not None and current.deleting:
        return ManagedResourcePlan(
            desired.name,
            desired.secret_name,
            blocked=f"{current.ref} is being deleted; it is created again once gone",
        )
    drift: list[str] = []
    create_secret = current is None
    recreate_secret = current is not None and current.data != desired.data
    if recreate_secret:
        drift.append(f"content of {current.ref if current else desired.secret_name} does not match its hash")
    secret_labels: dict[str, str] = {}
    if current is not None and not recreate_secret:
        secret_labels = {k: v for k, v in desired.secret_labels().items() if current.labels.get(k) != v}
    patch: dict[str, Any] = {}
    if observed is not None:
        patch = managed_resource_patch(desired, observed)
        drift.extend(_patch_drift(observed, patch, {s.name for s in own}))
    stale = tuple(sorted(s.name for s in own if s.name != desired.secret_name and not s.deleting))
    return ManagedResourcePlan(
        name=desired.name,
        secret_name=desired.secret_name,
        create_secret=create_secret,
        recreate_secret=recreate_secret,
        secret_labels=secret_labels,
        create_managed_resource=observed is None,
        managed_resource_patch=patch,
        delete_secrets=stale,
        drift=tuple(drift),
    )


@dataclass(frozen=True)
class DeletionStep:
    """Which of our ManagedResources to delete now, and which ones must be gone before the next phase."""

    delete: tuple[str, ...]
    waiting_for: tuple[str, ...]


def next_deletion(observed: dict[str, ObservedManagedResource]) -> DeletionStep | None:
    """The first phase that still has ManagedResources; None when all of ours are gone."""
    for phase in DELETION_PHASES:
        present = tuple(name for name in phase if name in observed)
        if present:
            return DeletionStep(
                delete=tuple(name for name in present if not observed[name].deleting),
                waiting_for=present,
            )
    return None


@dataclass(frozen=True)
class Retirement:
    """ManagedResources this shoot no longer needs: delete these, then (once gone) their content secrets."""

    delete: tuple[str, ...]
    delete_secrets: tuple[ObservedContentSecret, ...]
    waiting_for: tuple[str, ...]


def plan_retirement(
    retired: tuple[str, ...],
    observed: dict[str, ObservedManagedResource],
    secrets: list[ObservedContentSecret],
) -> Retirement:
    """Which retired ManagedResources to delete now, and which of their secrets may go (their MR is gone)."""
    present = tuple(name for name in retired if name in observed)
    gone = [name for name in retired if name not in observed]
    return Retirement(
        delete=tuple(name for name in present if not observed[name].deleting),
        delete_secrets=tuple(
            sorted(
                (s for name in gone for s in secrets_of(name, secrets) if not s.deleting),
                key=lambda s: s.name,
            )
        ),
        waiting_for=tuple(name for name in present if observed[name].deleting),
    )
