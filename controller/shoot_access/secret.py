"""Pure: the shoot-access Secret this extension keeps in the seed namespace, for the resource manager's
token requestor to fill with a token of the ServiceAccount `<name>` in the shoot's `kube-system`.

Facts from gardener/gardener `pkg/utils/gardener/shoot.go` (NewShootAccessSecret, AccessSecret.Reconcile:
name prefix `shoot-access-`, label `resources.gardener.cloud/purpose: token-requestor`, label
`resources.gardener.cloud/class: shoot`, annotations `serviceaccount.resources.gardener.cloud/name` and
`.../namespace: kube-system`) and `pkg/controller/tokenrequestor/reconciler.go` (it creates the ServiceAccount
and writes key `token`, renewing it at 80 % of its lifetime). The data is the token requestor's: it is never
written here. The Secret also carries our managed-resource label (value `shoot-access`), so the step's one
LIST of its secrets sees it and the Extension's deletion removes it with the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from controller.kube.secrets import ObservedContentSecret
from controller.shoot_access.names import SERVICE_ACCOUNT_NAMESPACE, SHOOT_ACCESS_PREFIX
from controller.shoot_resources import names

PURPOSE_LABEL = "resources.gardener.cloud/purpose"
PURPOSE_TOKEN_REQUESTOR = "token-requestor"
CLASS_LABEL = "resources.gardener.cloud/class"
CLASS_SHOOT = "shoot"
SERVICE_ACCOUNT_NAME = "serviceaccount.resources.gardener.cloud/name"
SERVICE_ACCOUNT_NAMESPACE_ANNOTATION = "serviceaccount.resources.gardener.cloud/namespace"
ACCESS_LABEL_VALUE = "shoot-access"


def service_account_name(secret_name: str) -> str:
    """Gardener's default: the Secret's name without `shoot-access-`."""
    return secret_name.removeprefix(SHOOT_ACCESS_PREFIX)


def access_labels() -> dict[str, str]:
    return {
        PURPOSE_LABEL: PURPOSE_TOKEN_REQUESTOR,
        CLASS_LABEL: CLASS_SHOOT,
        names.MANAGED_BY_LABEL: names.MANAGED_BY,
        names.MANAGED_RESOURCE_LABEL: ACCESS_LABEL_VALUE,
    }


def access_annotations(secret_name: str) -> dict[str, str]:
    return {
        SERVICE_ACCOUNT_NAME: service_account_name(secret_name),
        SERVICE_ACCOUNT_NAMESPACE_ANNOTATION: SERVICE_ACCOUNT_NAMESPACE,
    }


@dataclass(frozen=True)
class AccessSecretPlan:
    """Create the Secret, or merge these labels/annotations into it; empty: nothing to write."""

    name: str
    create: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.create or self.labels or self.annotations)


def plan_access_secret(name: str, secrets: list[ObservedContentSecret]) -> AccessSecretPlan:
    """From the step's LIST of our secrets: what to write so the token requestor serves this Secret."""
    current = next((s for s in secrets if s.name == name), None)
    if current is None:
        return AccessSecretPlan(
            name, create=True, labels=access_labels(), annotations=access_annotations(name)
        )
    if current.deleting:
        return AccessSecretPlan(name)
    labels = {k: v for k, v in access_labels().items() if current.labels.get(k) != v}
    annotations = {k: v for k, v in access_annotations(name).items() if current.annotations.get(k) != v}
    return AccessSecretPlan(name, labels=labels, annotations=annotations)
