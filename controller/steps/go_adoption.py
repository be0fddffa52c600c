"""The I/O of adopting what metal-stack's Go extension made (decisions: `controller.adoption.plan`).

Called from the SVM, LIF, account and shoot-resources steps; each function does only the reads and
writes its decision names, so a shoot that needs no adoption costs nothing beyond what it did before.
"""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException
from pydantic import SecretStr

from controller.adoption import names as go
from controller.adoption import plan as adoption
from controller.credentials.plan import SecretCondition, SecretView, confirmed_data, view_secret
from controller.credentials.shoot_io import login_as, write_seed_secret
from controller.errorcodes import ErrorCode
from controller.kube import managed_resources as mr_api
from controller.kube.secrets import StoredSecret, delete_secret, get_secret, list_content_secrets
from controller.shoot_resources import names as our_names
from controller.steps.base import StepError
from controller.steps.context import StepContext, step_error_from_kube
from ontap import naming
from ontap.models import SvmInfo
from ontap.provisioning import account as ontap_account
from ontap.provisioning.svm import mark_svm


def enabled(ctx: StepContext) -> bool:
    return bool(ctx.config.adoption.go_extension)


# --- the SVM ---------------------------------------------------------------------------------------


async def adopt_svm(
    ctx: StepContext, client: Any, svm: SvmInfo | None, step: str, condition: str
) -> tuple[SvmInfo | None, list[str]]:
    """Write our marker into an unmarked SVM named by the Go extension's rule (adoption on), or refuse."""
    if svm is None:
        return None, []
    project_svm = naming.svm_name(ctx.shoot.project_id)
    decision = adoption.decide_svm_adoption(
        svm.name,
        svm.comment,
        project_svm,
        enabled=enabled(ctx),
        comment=naming.ownership_comment(ctx.shoot.project_id, adopted_from=naming.ADOPTED_FROM_GO_EXTENSION),
    )
    object_ref = f"SVM {svm.name} on ONTAP cluster {client.name}"
    if decision.action is adoption.SvmAdoptionAction.REFUSE:
        raise StepError(
            step,
            condition,
            reason="AdoptionDisabled",
            message=f"{object_ref}: {decision.reason}",
            codes=(ErrorCode.INFRA_DEPENDENCIES,),
            object_ref=object_ref,
            api="GET /api/svm/svms",
        )
    if decision.action is adoption.SvmAdoptionAction.NONE:
        return svm, []
    marked = await mark_svm(client, svm, decision.comment)
    ctx.bind_log(step=step, svm=svm.name, cluster=client.name).info("svm adopted from the go extension")
    return marked, [f"adopted {object_ref} from metal-stack's Go extension (ownership marker written)"]


def adopted_lif_roles(svm: SvmInfo, data_count: int) -> dict[str, str]:
    """The Go extension's LIF names that are the adopted SVM's own (none for an SVM we made)."""
    return adoption.adopted_lifs(svm.comment, data_count)


# --- the account's name -----------------------------------------------------------------------------


def _go_account_name(ctx: StepContext) -> str | None:
    try:
        return go.account_name(ctx.shoot.technical_id)
    except ValueError:
        return None


def recorded_account_name(ctx: StepContext, stored: StoredSecret | None) -> str | None:
    """The name recorded in our seed secret or the Extension's status (pure over what was read)."""
    ours = naming.account_name(ctx.shoot.technical_id)
    go_name = _go_account_name(ctx) or ours
    remembered = ctx.provider_status.get("accountName") or ctx.saved_state.get("accountName")
    username = stored.data.get("username") if stored is not None else None
    return adoption.recorded_account_name(ours, go_name, username, remembered)


async def read_seed_secret_view(ctx: StepContext) -> tuple[str | None, SecretView]:
    """Our seed secret, classified against the account name it records (or ours when none)."""
    stored = await get_secret(ctx.api_client, ctx.namespace, ctx.config.seed_secret_name)
    recorded = recorded_account_name(ctx, stored)
    name = recorded or naming.account_name(ctx.shoot.technical_id)
    return recorded, view_secret(stored, name)


async def account_name_in_use(
    ctx: StepContext, client: Any, svm: SvmInfo, view: SecretView | None
) -> tuple[str, SecretView]:
    """The account name from now on, and our seed secret's view against it.

    Recorded (our seed secret, else the status) wins. Otherwise, on an SVM adopted from the Go
    extension, its account of the shoot is adopted under its name when it exists and ours does not:
    two reads, only until our seed secret records the name.
    """
    if ctx.state.account_name is not None and view is not None and view.username == ctx.state.account_name:
        return ctx.state.account_name, view
    stored = view.stored if view is not None else None
    if view is None:
        stored = await get_secret(ctx.api_client, ctx.namespace, ctx.config.seed_secret_name)
    ours = naming.account_name(ctx.shoot.technical_id)
    recorded = recorded_account_name(ctx, stored)
    go_name = _go_account_name(ctx)
    name = recorded or ours
    adopted_svm = adoption.is_adopted_from_go(svm.comment)
    if recorded is None and go_name is not None and go_name != ours and adopted_svm:
        go_exists = await ontap_account.find_account(client, svm, go_name) is not None
        ours_exists = go_exists and await ontap_account.find_account(client, svm, ours) is not None
        name = adoption.choose_account_name(
            ours, go_name, None, adopted_svm=True, ours_exists=ours_exists, go_exists=go_exists
        )
    ctx.state.account_name = name
    if view is None or view.username != name:
        view = view_secret(stored, name)
    return name, view


# --- the password -----------------------------------------------------------------------------------


def go_seed_secret_name(ctx: StepContext) -> str:
    return go.seed_secret_name(ctx.shoot.project_id, ctx.shoot.technical_id)


async def adopt_go_password(
    ctx: StepContext, client: Any, svm: SvmInfo, username: str, view: SecretView, step: str, condition: str
) -> tuple[SecretView, list[str]]:
    """Take the Go seed secret's password into our seed secret when a login as the account proves it.

    Nothing is changed on ONTAP. A rejected password is left alone here: the credentials engine then
    sees no usable password and resets it through its crash-safe path.
    """
    if not enabled(ctx) or view.condition is SecretCondition.VALID or view.has_pending:
        return view, []
    ref = f"Secret {go.SEED_SECRET_NAMESPACE}/{go_seed_secret_name(ctx)}"
    try:
        stored = await get_secret(ctx.api_client, go.SEED_SECRET_NAMESPACE, go_seed_secret_name(ctx))
    except ApiException as exc:
        raise step_error_from_kube(
            step,
            condition,
            exc,
            reason="GoSeedSecretUnreadable",
            object_ref=ref,
            api="GET /api/v1/namespaces/{namespace}/secrets/{name}",
            doing="reading the Go extension's seed secret",
        ) from None
    data = stored.data if stored is not None else {}
    if not adoption.try_go_password(
        False, view.has_pending, data.get("username"), data.get("password"), username
    ):
        return view, []
    password = SecretStr(data["password"])
    result = await login_as(ctx, client, svm, username, password)
    if not result.ok:
        ctx.bind_log(step=step, account=username, object=ref).info(
            "the go extension's password is rejected; it is reset through the safe path"
        )
        return view, []
    new_view = await write_seed_secret(ctx, view, confirmed_data(username, password), step, condition)
    return new_view, [f"took the working password of ONTAP account {username} from {ref} (unchanged)"]


# --- the hand-over of the Go extension's seed objects ------------------------------------------------


def _observed(mr: mr_api.ObservedManagedResource) -> adoption.GoManagedResource:
    return adoption.GoManagedResource(mr.name, mr.keep_objects, mr.deleting, mr.secret_refs)


async def _go_managed_resources(ctx: StepContext) -> dict[str, mr_api.ObservedManagedResource]:
    listing = await mr_api.list_managed_resources(ctx.api_client, ctx.namespace, "")
    return {name: mr for name, mr in listing.items() if name in go.MANAGED_RESOURCES}


async def hand_over(ctx: StepContext, step: str, condition: str) -> list[str]:
    """Release the Go extension's ManagedResources (objects kept in the shoot), delete them and their
    content secrets, and its seed secret once ours was verified in this pass."""
    if not enabled(ctx):
        return []
    namespace = ctx.namespace
    actions: list[str] = []
    try:
        managed = await _go_managed_resources(ctx)
        secrets = await list_content_secrets(
            ctx.api_client, namespace, f"{our_names.GARBAGE_COLLECTABLE_LABEL}=true"
        )
        candidates = {s.name for s in secrets} | {ref for mr in managed.values() for ref in mr.secret_refs}
        go_secret = await get_secret(ctx.api_client, go.SEED_SECRET_NAMESPACE, go_seed_secret_name(ctx))
        verified = ctx.state.seed_credentials is not None
        for _ in range(2):  # the second round deletes what the first one released
            steps = adoption.plan_handover(
                {name: _observed(mr) for name, mr in managed.items()},
                candidates,
                go_seed_secret=go_secret is not None,
                ours_verified=verified,
            )
            for planned in steps:
                actions.extend(await _carry_out(ctx, planned, managed))
            if not any(p.action is adoption.HandoverAction.DELETE_MANAGED_RESOURCE for p in steps):
                break
            managed = await _go_managed_resources(ctx)
            go_secret = None  # deleted in the first round if it was due
            candidates = {c for c in candidates if c not in _deleted(actions)}
    except ApiException as exc:
        raise step_error_from_kube(
            step,
            condition,
            exc,
            reason="GoHandoverFailed",
            object_ref=f"the Go extension's ManagedResources in {namespace}",
            api=f"{mr_api.MR_API}",
            doing="handing the Go extension's objects over",
        ) from None
    if actions:
        ctx.bind_log(step=step).info("go extension objects handed over", actions=actions)
    return actions


def _deleted(actions: list[str]) -> set[str]:
    return {a.rsplit("/", 1)[-1] for a in actions if a.startswith("deleted Secret")}


async def _carry_out(
    ctx: StepContext, planned: adoption.HandoverStep, managed: dict[str, mr_api.ObservedManagedResource]
) -> list[str]:
    namespace = ctx.namespace
    if planned.action is adoption.HandoverAction.KEEP_OBJECTS:
        updated = await mr_api.set_keep_objects(ctx.api_client, managed[planned.name], True)
        managed[planned.name] = updated
        return [f"set keepObjects on ManagedResource {namespace}/{planned.name} of the Go extension"]
    if planned.action is adoption.HandoverAction.DELETE_MANAGED_RESOURCE:
        if await mr_api.delete_managed_resource(ctx.api_client, namespace, planned.name):
            return [f"deleted ManagedResource {namespace}/{planned.name} of the Go extension (objects kept)"]
        return []
    if planned.action is adoption.HandoverAction.DELETE_CONTENT_SECRET:
        if await delete_secret(ctx.api_client, namespace, planned.name):
            return [f"deleted Secret {namespace}/{planned.name}"]
        return []
    name = go_seed_secret_name(ctx)
    if await delete_secret(ctx.api_client, go.SEED_SECRET_NAMESPACE, name):
        return [f"deleted the Go extension's seed secret {go.SEED_SECRET_NAMESPACE}/{name}"]
    return []
