"""Pure decisions of adopting what metal-stack's Go extension made: plain data in, plain data out.

- the SVM: adopt it (write our marker), refuse it (adoption is off), or nothing to do;
- its LIFs: which names count as the adopted SVM's own, by role;
- the shoot's account: which name is in use (recorded in our seed secret, else in the Extension's
  status, else observed on ONTAP for an adopted SVM);
- its password: whether the Go seed secret's password is worth a login;
- the hand-over: which of the Go extension's seed objects to release and delete, in which order.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from controller.adoption import names as go
from ontap.naming import ADOPTED_FROM_GO_EXTENSION, parse_ownership

SETTING = "adoption.goExtension"
_UNIQUE_SUFFIX = re.compile(r"[0-9a-f]{8}")
GUIDE = "docs/migration-from-go-extension.md"


class SvmAdoptionAction(enum.StrEnum):
    NONE = "none"  # the SVM carries a marker (ours or someone else's): the SVM step decides as always
    ADOPT = "adopt"  # named by the Go extension's rule, no marker, adoption on: write our marker
    REFUSE = "refuse"  # the same, adoption off: refuse, naming the setting


@dataclass(frozen=True)
class SvmAdoption:
    action: SvmAdoptionAction
    comment: str = ""
    reason: str = ""


def decide_svm_adoption(
    observed_name: str, observed_comment: str | None, project_svm: str, *, enabled: bool, comment: str
) -> SvmAdoption:
    """Adopt an unmarked SVM named by the Go extension's rule (or its `-mc` partner) when enabled.

    `comment` is the marker to write (ours, with `adopted-from=`). An SVM with any marker is not
    this decision's business, nor one with another name.
    """
    if parse_ownership(observed_comment) is not None:
        return SvmAdoption(SvmAdoptionAction.NONE)
    if observed_name not in (project_svm, f"{project_svm}-mc"):
        return SvmAdoption(SvmAdoptionAction.NONE)
    if not enabled:
        return SvmAdoption(
            SvmAdoptionAction.REFUSE,
            reason=f"SVM {observed_name} exists without this extension's ownership marker (comment "
            f"{observed_comment or ''!r}), as metal-stack's Go extension leaves it; it is not touched. "
            f"To take it over set {SETTING}: true in the controller configuration ({GUIDE})",
        )
    return SvmAdoption(
        SvmAdoptionAction.ADOPT,
        comment=comment,
        reason=f"SVM {observed_name} made by metal-stack's Go extension is adopted: ownership marker written",
    )


def is_adopted_from_go(comment: str | None) -> bool:
    """True when the SVM's marker says it was adopted from the Go extension."""
    marker = parse_ownership(comment)
    return marker is not None and marker.adopted_from == ADOPTED_FROM_GO_EXTENSION


def go_backend_names(comment: str | None, project_id: str) -> tuple[str, str] | None:
    """(TridentBackendConfig name, backendName) of the Go extension's backend that ours takes over on an
    SVM adopted from it; None for an SVM we made.

    Same names, so Trident updates the backend in place (NetApp/trident
    frontend/crd/controller/trident_backend_config.go `updateBackendConfig`, core/orchestrator_core.go
    `updateBackendByBackendUUID`: same backend UUID, its volumes stay). Removing the Go TBC instead would
    delete the backend: it has no `deletionPolicy`, Trident's default is `delete`
    (persistent_store/crd/apis/netapp/v1/backendconfig.go `GetDeletionPolicy`).
    """
    if not is_adopted_from_go(comment):
        return None
    return go.backend_config_name(project_id), go.backend_name(project_id)


def go_credentials_secret_name(comment: str | None, project_id: str, technical_id: str) -> str | None:
    """The shoot Secret the Go extension's backend reads (`kube-system/<its seed secret name>`,
    charts/trident/resources/secrets/svm-shoot-secret.yaml.tpl), which ours takes over by name on an SVM
    adopted from it, so no copy of an old password stays behind in the shoot; None for an SVM we made."""
    if not is_adopted_from_go(comment):
        return None
    return go.seed_secret_name(project_id, technical_id)


def adopted_lifs(comment: str | None, data_count: int) -> dict[str, str]:
    """The Go extension's LIF names (with their role's service policy) that count as an adopted SVM's own."""
    return go.lif_roles(data_count) if is_adopted_from_go(comment) else {}


def recorded_account_name(
    ours: str, go_name: str, secret_username: str | None, remembered: str | None
) -> str | None:
    """The account name recorded for the shoot: our seed secret's `username`, else the Extension's
    status (`accountName`, carried through migrate/restore); only our naming or the Go extension's counts."""
    for candidate in (secret_username, remembered):
        if candidate in (ours, go_name):
            return candidate
    return None


def choose_account_name(
    ours: str,
    go_name: str,
    recorded: str | None,
    *,
    adopted_svm: bool,
    ours_exists: bool,
    go_exists: bool,
) -> str:
    """The name in use from now on: the recorded one; on an adopted SVM the Go extension's account
    when it exists and ours does not; else ours (a new shoot)."""
    if recorded is not None:
        return recorded
    if adopted_svm and go_exists and not ours_exists:
        return go_name
    return ours


def try_go_password(
    our_secret_usable: bool, our_pending: bool, go_username: str | None, go_password: str | None, account: str
) -> bool:
    """Whether to prove the Go seed secret's password by a login: only when our secret holds no
    usable password and nothing is in flight, and the Go secret names this very account."""
    return not our_secret_usable and not our_pending and go_username == account and bool(go_password)


class HandoverAction(enum.StrEnum):
    KEEP_OBJECTS = "keep-objects"
    DELETE_MANAGED_RESOURCE = "delete-managed-resource"
    DELETE_CONTENT_SECRET = "delete-content-secret"
    DELETE_SEED_SECRET = "delete-go-seed-secret"


@dataclass(frozen=True)
class HandoverStep:
    action: HandoverAction
    name: str


@dataclass(frozen=True)
class GoManagedResource:
    """The parts of one of the Go extension's ManagedResources the hand-over decides on."""

    name: str
    keep_objects: bool
    deleting: bool
    secret_refs: tuple[str, ...]


def plan_handover(
    managed: Mapping[str, GoManagedResource],
    content_secrets: Collection[str],
    *,
    go_seed_secret: bool,
    ours_verified: bool,
) -> tuple[HandoverStep, ...]:
    """The ordered writes that release the Go extension's seed objects without touching the shoot.

    Every ManagedResource first keeps its objects (`keepObjects: true`), and only then is deleted, so
    the shoot keeps Trident, its backend, its credentials Secret and StorageClasses. A content secret
    goes once no ManagedResource of the Go extension that still exists references it (the caller
    plans again after the deletions). The Go seed secret goes
    only after ours was verified on ONTAP in this pass.
    """
    steps: list[HandoverStep] = []
    for name in go.MANAGED_RESOURCES:
        mr = managed.get(name)
        if mr is None:
            continue
        if not mr.keep_objects:
            steps.append(HandoverStep(HandoverAction.KEEP_OBJECTS, name))
        if not mr.deleting:
            steps.append(HandoverStep(HandoverAction.DELETE_MANAGED_RESOURCE, name))
    still_referenced = {ref for mr in managed.values() for ref in mr.secret_refs}
    for secret in sorted(content_secrets):
        if secret not in still_referenced and is_go_content_secret(secret):
            steps.append(HandoverStep(HandoverAction.DELETE_CONTENT_SECRET, secret))
    if go_seed_secret and ours_verified:
        steps.append(HandoverStep(HandoverAction.DELETE_SEED_SECRET, ""))
    return tuple(steps)


def is_go_content_secret(name: str) -> bool:
    """A content secret of one of the Go extension's ManagedResources: `managedresource-<mr>-<8 hex>`
    (gardener pkg/utils/managedresources `CreateForShoot`, pkg/utils/kubernetes/object.go `MakeUnique`),
    or `extension-ontap-shoot-<8 hex>` for its webhooks (extensions/pkg/webhook/shoot/webhook.go creates
    that one without the prefix); never one of ours (they all start `managedresource-extension-ontap-`)."""
    for mr in go.MANAGED_RESOURCES:
        for base in (f"{go.CONTENT_SECRET_PREFIX}{mr}", mr):
            suffix = name.removeprefix(f"{base}-")
            if suffix != name and _UNIQUE_SUFFIX.fullmatch(suffix):
                return True
    return False
