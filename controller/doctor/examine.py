"""Examine one shoot: observe what a pass observes, then ask the steps' pure decisions what they would do.

The observation is the pass's own: `PlacementStep` (the hint verified by `observe_provisioned`: the SVM, its
LIFs, the account and the login as the account at the SVM's management LIF), `observe_credentials`, the
shoot resources' LIST of ManagedResources and content secrets, and on deletion `PlacementStep.delete`,
`svm_contents` and `other_project_shoots`. The decisions are the steps' own: `decide_svm`, `decide_lifs`,
`decide_credentials`, `decide_account`, `secret_up_to_date`, `plan_managed_resource`, `next_deletion`,
`orphaned_secrets`, `svm_kept`. The clients handed in refuse writes (`controller.doctor.readonly`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

import structlog
from kubernetes_asyncio import client as k8s
from kubernetes_asyncio.client.exceptions import ApiException
from pydantic import SecretStr

from controller.actuator import other_project_shoots
from controller.config import ControllerConfig
from controller.credentials import SeedCredentials
from controller.credentials.engine import account_phase
from controller.credentials.plan import (
    ACCOUNT_ACTIONS,
    Action,
    CredentialsObservation,
    CredentialsPlan,
    Login,
    SecretView,
    confirmed_data,
    decide_credentials,
)
from controller.credentials.shoot_io import (
    observe_credentials,
    read_seed_secret,
    secret_ref,
    seed_secret_metadata,
)
from controller.doctor.model import Change, Condition, ManagedResourceView, ShootReport
from controller.errorcodes import describe_ontap_error
from controller.kube import managed_resources as mr_api
from controller.kube.clusters import get_cluster
from controller.kube.secrets import get_secret, secret_up_to_date
from controller.provider_config import ProviderConfigError, parse_provider_config
from controller.shoot import ShootInfo, ShootInfoError
from controller.shoot_access.names import ACCESS_SECRET
from controller.shoot_access.secret import plan_access_secret
from controller.shoot_resources import names
from controller.shoot_resources.plan import (
    next_deletion,
    orphaned_secrets,
    plan_managed_resource,
    plan_retirement,
)
from controller.steps.account import role_only_account
from controller.steps.base import PassState, StepError
from controller.steps.context import ROTATE_ANNOTATION, StepContext
from controller.steps.lifs import UNMANAGED, desired_lifs
from controller.steps.placement import PlacementStep
from controller.steps.shoot_resources import OWNED_SELECTOR, ShootResourcesStep
from controller.steps.svm import SvmStep, svm_kept
from ontap.client import OntapClients
from ontap.errors import OntapError
from ontap.models import SvmInfo
from ontap.naming import account_name, is_ours
from ontap.provisioning.account import decide_account, find_account
from ontap.provisioning.deletion import our_lifs, svm_contents
from ontap.provisioning.lifs import decide_lifs
from ontap.provisioning.observe import Observation
from ontap.provisioning.reads import list_interfaces
from ontap.provisioning.svm import SvmAction, decide_svm

log = structlog.get_logger("controller.doctor")

# Stands in for the password a pass would generate: the doctor renders the shoot resources with it to see
# which writes a password change causes. It is never written anywhere (the clients refuse writes).
PLACEHOLDER_PASSWORD = SecretStr("doctor-placeholder-never-written-0")
SECRETS_API = "/api/v1/namespaces/{ns}/secrets"
EXTENSIONS_API = "/apis/extensions.gardener.cloud/v1alpha1/namespaces/{ns}/extensions"


class NoEvents:
    """The doctor's event sink: the steps it calls may want to report, nothing is recorded."""

    async def normal(self, reason: str, message: str) -> None:
        return None

    async def warning(self, reason: str, message: str) -> None:
        return None


def _conditions(raw: list[dict[str, Any]] | None) -> list[Condition]:
    return [
        Condition(
            type=str(c.get("type") or ""),
            status=str(c.get("status") or ""),
            reason=str(c.get("reason") or ""),
            message=str(c.get("message") or ""),
        )
        for c in raw or []
    ]


async def examine(
    ext: dict[str, Any], *, api_client: Any, ontap: OntapClients, config: ControllerConfig
) -> ShootReport:
    """The doctor's report for the shoot of Extension `ext` (read-only clients expected)."""
    meta = ext.get("metadata") or {}
    namespace = str(meta.get("namespace") or "")
    status = ext.get("status") or {}
    report = ShootReport(
        namespace=namespace,
        extension=f"{namespace}/{meta.get('name')}",
        operation="delete" if meta.get("deletionTimestamp") else "reconcile",
        last_operation={
            k: v
            for k, v in (status.get("lastOperation") or {}).items()
            if k in ("type", "state", "description", "lastUpdateTime")
        },
        last_error=status.get("lastError") or None,
        conditions=_conditions(status.get("conditions")),
    )
    try:
        cluster = await get_cluster(api_client, namespace)
        report.managed_resources = await _managed_resources(api_client, namespace)
    except ApiException as exc:
        report.unobserved.append(
            f"Kubernetes: reading the Cluster/ManagedResources failed: HTTP {exc.status}"
        )
        return report
    if cluster is None:
        report.problems.append(f"Cluster {namespace} does not exist: the pass cannot identify the shoot")
        return report
    try:
        shoot = ShootInfo.from_cluster(cluster, config.project_annotation)
    except ShootInfoError as exc:
        report.problems.append(exc.message)
        report.stops_at = f"OntapClusterPlaced: {exc.message}"
        return report
    raw = (ext.get("spec") or {}).get("providerConfig")
    provider_config = None
    if report.operation == "reconcile" or raw is not None:
        try:
            provider_config = parse_provider_config(raw)
        except ProviderConfigError as exc:
            if report.operation == "reconcile":
                report.problems.append(exc.message)
                report.stops_at = f"OntapClusterPlaced: {exc.message}"
                return report
    ctx = StepContext(
        extension=ext,
        shoot=shoot,
        provider_config=provider_config,
        config=config,
        ontap=ontap,
        api_client=api_client,
        events=NoEvents(),
        log=log.bind(shoot=shoot.technical_id, project=shoot.project_id, extension=report.extension),
        state=PassState(),
    )
    try:
        if report.operation == "delete":
            await _deletion(ctx, report)
        else:
            await _reconcile(ctx, report)
    except ApiException as exc:
        report.unobserved.append(f"Kubernetes: a read failed: HTTP {exc.status} {exc.reason}")
    return report


async def _managed_resources(api_client: Any, namespace: str) -> list[ManagedResourceView]:
    listing = await k8s.CustomObjectsApi(api_client).list_namespaced_custom_object(
        mr_api.GROUP, mr_api.VERSION, namespace, mr_api.PLURAL, label_selector=OWNED_SELECTOR
    )
    views = []
    for item in listing.get("items") or []:
        meta = item.get("metadata") or {}
        views.append(
            ManagedResourceView(
                name=str(meta.get("name") or ""),
                deleting=bool(meta.get("deletionTimestamp")),
                finalizers=tuple(meta.get("finalizers") or ()),
                conditions=tuple(_conditions((item.get("status") or {}).get("conditions"))),
            )
        )
    return sorted(views, key=lambda view: view.name)


def _ontap_failure(report: ShootReport, error: StepError | OntapError, what: str) -> str:
    detail = error.message if isinstance(error, StepError) else describe_ontap_error(error)
    report.unobserved.append(f"ONTAP: {what}: {detail}")
    return detail


def _svm_view(svm: SvmInfo) -> dict[str, Any]:
    return {
        "name": svm.name,
        "uuid": svm.uuid,
        "state": svm.state,
        "nvmeAllowed": svm.nvme_allowed,
        "nvmeEnabled": svm.nvme_enabled,
        "aggregates": list(svm.aggregates),
    }


def _lif_views(interfaces: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": i.name,
            "ip": str(i.ip) if i.ip is not None else None,
            "servicePolicy": i.service_policy,
            "enabled": i.enabled,
            "homeNode": i.home_node,
        }
        for i in interfaces or ()
    ]


async def _reconcile(ctx: StepContext, report: ShootReport) -> None:
    placement = PlacementStep()
    try:
        placed = await placement.reconcile(ctx)
    except StepError as error:
        detail = _ontap_failure(report, error, "placing the SVM")
        report.stops_at = f"{error.condition_type}: {detail}"
        return
    cluster = str(ctx.state.cluster)
    client = ctx.client()
    svm_name = str(ctx.state.svm_name)
    report.ontap.cluster, report.ontap.endpoint, report.ontap.placement = (
        cluster,
        client.endpoint,
        placed.message,
    )
    entry = ctx.state.observation
    observation: Observation
    if entry is not None and entry[0] == cluster:
        observation = entry[1]
    else:
        try:
            observation = await placement.observe(ctx, cluster, svm_name)
        except OntapError as exc:
            report.stops_at = "SvmReady: " + _ontap_failure(report, exc, f"observing SVM {svm_name}")
            return
    svm = observation.svm
    svm_ref = f"SVM {svm_name} on ONTAP cluster {cluster}"
    if svm is not None:
        report.ontap.svm = _svm_view(svm)
        report.ontap.lifs = _lif_views(observation.interfaces)
    if not _plan_svm(report, svm, SvmStep().desired(ctx), svm_ref):
        return
    ctx.state.svm = svm or SvmInfo(uuid="", name=svm_name)
    _plan_lifs(ctx, report, svm, observation, svm_name)
    username = account_name(ctx.shoot.technical_id)
    view = ctx.state.secret_view or await read_seed_secret(ctx, username)
    account = None
    if svm is None:
        credentials = CredentialsObservation(
            secret=view.condition,
            has_pending=view.has_pending,
            account_exists=False,
            rotate=ctx.rotation_requested,
        )
        report.secret = f"{view.condition.value}; not checked: the SVM does not exist yet"
    else:
        try:
            credentials, account = await observe_credentials(ctx, client, svm, view)
        except OntapError as exc:
            detail = _ontap_failure(report, exc, "checking the seed secret's password")
            report.secret = f"{view.condition.value}; the password could not be checked: {detail}"
            report.stops_at = f"AccountReady: {detail}"
            return
        report.password_works, report.secret = _password_verdict(ctx, view, credentials)
    if account is not None:
        report.ontap.account = {
            "name": account.name,
            "role": account.role,
            "locked": account.locked,
            "applications": list(account.applications),
        }
    plan = decide_credentials(credentials)
    _plan_credentials(ctx, report, svm, view, plan.actions, plan.reason, account)
    if plan.clears_rotation and ctx.rotation_requested:
        report.changes.append(
            Change.write(
                "seed-secret",
                "kubernetes",
                f"PATCH {EXTENSIONS_API}/{report.extension.split('/', 1)[1]}".format(ns=report.namespace),
                f"Extension {report.extension}",
                f"remove the annotation {ROTATE_ANNOTATION}",
            )
        )
    password = view.password if not plan.actions and view.password is not None else PLACEHOLDER_PASSWORD
    ctx.state.seed_credentials = SeedCredentials(
        username, password, ctx.config.seed_secret_name, ctx.namespace
    )
    await _plan_shoot_resources(ctx, report, new_password=password is PLACEHOLDER_PASSWORD)


def _plan_svm(report: ShootReport, svm: SvmInfo | None, desired: Any, svm_ref: str) -> bool:
    """The SVM step's decision; False when the pass would stop there."""
    plan = decide_svm(svm, desired)
    if plan.action is SvmAction.CREATE:
        report.changes.append(
            Change("svm", "ontap", "POST", "POST /api/svm/svms", svm_ref, "it does not exist")
        )
        return True
    if plan.action in (SvmAction.CONFLICT, SvmAction.WAIT):
        report.problems.append(plan.reason)
        report.stops_at = f"SvmReady: {plan.reason}"
        return False
    assert svm is not None
    if plan.action is SvmAction.FIX:
        fixes = []
        if plan.add_aggregates or plan.need_aggregate_list:
            fixes.append("add aggregates")
        if plan.allow_nvme:
            fixes.append("allow NVMe")
        if fixes:
            api = f"PATCH /api/svm/svms/{svm.uuid}"
            report.changes.append(Change("svm", "ontap", "PATCH", api, svm_ref, ", ".join(fixes)))
        if plan.enable_nvme:
            report.changes.append(
                Change.write(
                    "svm",
                    "ontap",
                    "POST /api/protocols/nvme/services",
                    f"NVMe service of {svm_ref}",
                    "NVMe is not enabled",
                )
            )
    if not svm.is_running:
        reason = f"{svm_ref} is not running (state {svm.state!r}); the extension does not start SVMs"
        report.problems.append(reason)
        report.stops_at = f"SvmReady: {reason}"
        return False
    return True


def _plan_lifs(
    ctx: StepContext, report: ShootReport, svm: SvmInfo | None, observation: Observation, svm_name: str
) -> None:
    assert ctx.provider_config is not None
    interfaces = observation.interfaces if svm is not None else ()
    plan = decide_lifs(desired_lifs(ctx.provider_config), interfaces or ())
    for spec in plan.missing:
        report.changes.append(
            Change.write(
                "lifs",
                "ontap",
                "POST /api/network/ip/interfaces",
                f"LIF {spec.name} {spec.ip} of SVM {svm_name}",
                "it does not exist",
            )
        )
    for fix in plan.fixes:
        what = ", ".join(
            part
            for part in (
                f"service policy {fix.service_policy}" if fix.service_policy else "",
                "enable" * fix.enable,
            )
            if part
        )
        report.changes.append(
            Change.write(
                "lifs",
                "ontap",
                f"PATCH /api/network/ip/interfaces/{fix.uuid}",
                f"LIF {fix.name} of SVM {svm_name}",
                what,
            )
        )
    drift = [d for d in plan.drift if UNMANAGED not in d]
    if drift:
        report.problems.append(f"LIFs of SVM {svm_name}: left alone, needs an operator: " + "; ".join(drift))


def _password_verdict(
    ctx: StepContext, view: SecretView, observation: CredentialsObservation
) -> tuple[bool | None, str]:
    """Whether the seed secret's password works, in words that never contain it."""
    where = f"at the management LIF {ctx.provider_config.management_lif}" if ctx.provider_config else ""
    if observation.has_pending:
        answer = observation.pending_login
        which = "its pending password"
    else:
        answer = observation.current_login
        which = "its password"
    state = view.condition.value + (f" ({view.problem})" if view.problem else "")
    if answer is Login.OK:
        return True, f"{state}; {which} works {where}"
    if answer is Login.REJECTED:
        return False, f"{state}; ONTAP rejects {which} {where}"
    return None, f"{state}; no password to check"


def _secret_change(ctx: StepContext, exists: bool, why: str) -> Change:
    name = ctx.config.seed_secret_name
    if exists:
        return Change.write(
            "seed-secret",
            "kubernetes",
            f"PUT {SECRETS_API}/{name}".format(ns=ctx.namespace),
            secret_ref(ctx),
            why,
        )
    return Change.write(
        "seed-secret",
        "kubernetes",
        f"POST {SECRETS_API}".format(ns=ctx.namespace),
        secret_ref(ctx),
        why,
    )


def _plan_credentials(
    ctx: StepContext,
    report: ShootReport,
    svm: SvmInfo | None,
    view: SecretView,
    actions: tuple[Action, ...],
    reason: str,
    account: Any,
) -> None:
    username = view.username
    svm_name = str(ctx.state.svm_name)
    account_ref = f"ONTAP account {username} on SVM {svm_name}"
    owner = quote_plus(svm.uuid) if svm is not None and svm.uuid else "{svm-uuid}"
    account_path = f"/api/security/accounts/{owner}/{quote_plus(username)}"
    exists = view.stored is not None
    phase = set(account_phase(CredentialsPlan(actions, reason)))
    for action in actions:
        step = "account" if action in phase else "seed-secret"
        if action is Action.STAGE_NEW_PASSWORD:
            report.changes.append(_secret_change(ctx, exists, f"stage a new password: {reason}"))
            exists = True
        elif action in ACCOUNT_ACTIONS:
            report.changes.append(
                Change(step, "ontap", "POST", "POST /api/security/accounts", account_ref, reason)
            )
        elif action is Action.SET_PASSWORD_TO_PENDING:
            report.changes.append(
                Change.write(
                    step,
                    "ontap",
                    f"PATCH {account_path}",
                    account_ref,
                    f"set the staged password: {reason}",
                )
            )
        elif action is Action.PROMOTE_PENDING:
            report.changes.append(
                _secret_change(ctx, exists, "confirm the new password after a login proved it")
            )
    created = any(action in ACCOUNT_ACTIONS for action in actions)
    if (
        not created
        and account is not None
        and not decide_account(account, role_only_account(username)).nothing_to_do
    ):
        report.changes.append(
            Change.write(
                "account",
                "ontap",
                f"PATCH {account_path}",
                account_ref,
                "role, lock or applications drifted",
            )
        )
    if view.stored is not None and view.password is not None and Action.PROMOTE_PENDING not in actions:
        labels, annotations = seed_secret_metadata(ctx)
        data = confirmed_data(username, view.password)
        if not secret_up_to_date(view.stored, data, labels=labels, annotations=annotations):
            report.changes.append(_secret_change(ctx, True, "labels, annotations or keys drifted"))


async def _plan_shoot_resources(ctx: StepContext, report: ShootReport, *, new_password: bool) -> None:
    step = ShootResourcesStep()
    try:
        rendered = step._render(ctx)
        managed, secrets = await step._observe(ctx)
    except StepError as error:
        report.problems.append(f"{error.condition_type}: {error.message}")
        report.stops_at = report.stops_at or f"{error.condition_type}: {error.message}"
        return
    ns = ctx.namespace
    for desired in rendered.managed_resources:
        plan = plan_managed_resource(desired, managed.get(desired.name), secrets)
        mr_ref = f"ManagedResource {ns}/{desired.name}"
        if plan.blocked:
            report.problems.append(plan.blocked)
            report.stops_at = report.stops_at or f"ShootResourcesReady: {plan.blocked}"
            continue
        why = "; ".join(plan.drift) or "its content changed"
        secret_ref_ = f"Secret {ns}/{plan.secret_name}"
        if new_password and plan.create_secret and desired.name == names.CREDENTIALS_MR:
            # Named by the hash of content holding the password the pass will generate.
            secret_ref_ = f"Secret {ns}/{names.secret_name_prefix(desired.name)}<hash of the new content>"
        if plan.recreate_secret:
            report.changes.append(
                Change.write(
                    step.name,
                    "kubernetes",
                    f"DELETE {SECRETS_API}/{plan.secret_name}".format(ns=ns),
                    secret_ref_,
                    why,
                )
            )
        if plan.create_secret or plan.recreate_secret:
            report.changes.append(
                Change.write(
                    step.name,
                    "kubernetes",
                    f"POST {SECRETS_API}".format(ns=ns),
                    secret_ref_,
                    f"content of {mr_ref}",
                )
            )
        if plan.secret_labels:
            report.changes.append(
                Change.write(
                    step.name,
                    "kubernetes",
                    f"PATCH {SECRETS_API}/{plan.secret_name}".format(ns=ns),
                    secret_ref_,
                    "labels drifted",
                )
            )
        if plan.create_managed_resource:
            report.changes.append(
                Change.write(
                    step.name,
                    "kubernetes",
                    f"POST {mr_api.MR_API}".format(namespace=ns),
                    mr_ref,
                    "it does not exist",
                )
            )
        if plan.managed_resource_patch:
            report.changes.append(
                Change.write(
                    step.name,
                    "kubernetes",
                    f"PATCH {mr_api.MR_API}/{desired.name}".format(namespace=ns),
                    mr_ref,
                    why,
                )
            )
        for stale in plan.delete_secrets:
            report.changes.append(
                Change.write(
                    step.name,
                    "kubernetes",
                    f"DELETE {SECRETS_API}/{stale}".format(ns=ns),
                    f"Secret {ns}/{stale}",
                    "superseded content",
                )
            )
    access = plan_access_secret(ACCESS_SECRET, secrets)
    access_ref = f"Secret {ns}/{access.name}"
    if access.create:
        report.changes.append(
            Change.write(
                step.name,
                "kubernetes",
                f"POST {SECRETS_API}".format(ns=ns),
                access_ref,
                "shoot access",
            )
        )
    elif not access.is_empty:
        api = f"PATCH {SECRETS_API}/{access.name}".format(ns=ns)
        report.changes.append(Change(step.name, "kubernetes", "PATCH", api, access_ref, "labels drifted"))
    retirement = plan_retirement(tuple(rendered.retired), managed, secrets)
    for name in retirement.delete:
        api = f"DELETE {mr_api.MR_API}/{name}".format(namespace=ns)
        report.changes.append(
            Change(step.name, "kubernetes", "DELETE", api, f"ManagedResource {ns}/{name}", "no longer needed")
        )
    for content in retirement.delete_secrets:
        api = f"DELETE {SECRETS_API}/{content.name}".format(ns=ns)
        report.changes.append(
            Change(step.name, "kubernetes", "DELETE", api, content.ref, "its ManagedResource is gone")
        )
    if rendered.operator_error is not None:
        report.problems.append(str(rendered.operator_error))


async def _deletion(ctx: StepContext, report: ShootReport) -> None:
    ns = ctx.namespace
    blocked = False
    step = ShootResourcesStep()
    managed, secrets = await step._observe(ctx)
    remaining = dict(managed)
    terminating: dict[str, Any] = {}
    while (phase := next_deletion(remaining)) is not None:
        for name in phase.delete:
            report.changes.append(
                Change.write(
                    step.name,
                    "kubernetes",
                    f"DELETE {mr_api.MR_API}/{name}".format(namespace=ns),
                    f"ManagedResource {ns}/{name}",
                    "the shoot is deleted",
                )
            )
        # A ManagedResource with finalizers stays until the resource manager removed its objects.
        held = {name: remaining[name] for name in phase.waiting_for if remaining[name].finalizers}
        terminating.update(held)
        if held and not ctx.state.force_delete:
            break
        remaining = {k: v for k, v in remaining.items() if k not in phase.waiting_for}
    for content in orphaned_secrets(secrets, set(terminating)):
        report.changes.append(
            Change.write(
                step.name,
                "kubernetes",
                f"DELETE {SECRETS_API}/{content.name}".format(ns=ns),
                content.ref,
                "its ManagedResource is gone",
            )
        )
    if terminating:
        held_text = "; ".join(
            f"{mr.ref} (finalizers: {', '.join(mr.finalizers)})" for mr in terminating.values()
        )
        report.problems.append(f"waiting for the resource manager to delete the shoot objects of {held_text}")
        blocked = True
    try:
        located = await PlacementStep().delete(ctx)
    except StepError as error:
        detail = _ontap_failure(report, error, "locating the SVM")
        report.stops_at = f"{error.condition_type}: {detail}; the account, the seed secret and the SVM wait"
        return
    report.ontap.placement = located.message
    username = account_name(ctx.shoot.technical_id)
    svm = ctx.state.svm
    secret = await get_secret(ctx.api_client, ns, ctx.config.seed_secret_name)
    report.secret = "exists" if secret is not None else "does not exist"
    if svm is None or ctx.state.cluster is None:
        if secret is not None:
            report.changes.append(_delete_secret_change(ctx, "the account's SVM does not exist"))
        if not blocked:
            report.changes.append(_finalizer_change(report))
        return
    client = ctx.client()
    report.ontap.cluster, report.ontap.endpoint = client.name, client.endpoint
    report.ontap.svm = _svm_view(svm)
    try:
        account = await find_account(client, svm, username)
        interfaces = await list_interfaces(client, svm)
    except OntapError as exc:
        report.stops_at = "AccountReady: " + _ontap_failure(report, exc, f"reading SVM {svm.name}")
        return
    report.ontap.lifs = _lif_views(interfaces)
    account_ref = f"ONTAP account {username} on SVM {svm.name}"
    path = f"/api/security/accounts/{quote_plus(svm.uuid)}/{quote_plus(username)}"
    if account is not None:
        report.ontap.account = {"name": account.name, "role": account.role, "locked": account.locked}
    report.changes.append(
        Change.write(
            "account",
            "ontap",
            f"DELETE {path}",
            account_ref,
            "the shoot is deleted" if account is not None else "already gone (ONTAP answers 404)",
        )
    )
    if secret is not None:
        report.changes.append(_delete_secret_change(ctx, "its account is deleted first"))
    cluster = str(ctx.state.cluster)
    kept = svm_kept(svm.name, cluster, await other_project_shoots(ctx))
    if kept is not None:
        report.ontap.contents = kept[1]
    elif not is_ours(svm.comment, ctx.shoot.project_id):
        reason = f"SVM {svm.name} is not marked as managed by this extension for this project; not deleted"
        report.problems.append(reason)
        blocked = True
    else:
        try:
            contents = await svm_contents(client, svm)
        except OntapError as exc:
            report.stops_at = "SvmReady: " + _ontap_failure(report, exc, f"reading what SVM {svm.name} holds")
            return
        report.ontap.contents = contents.summary()
        if not contents.empty:
            report.problems.append(
                f"SVM {svm.name} on ONTAP cluster {cluster} is kept: it still holds {contents.summary()}"
            )
        else:
            _plan_svm_deletion(report, svm, our_lifs(list(interfaces)))
    if not blocked:
        report.changes.append(_finalizer_change(report))


def _plan_svm_deletion(report: ShootReport, svm: SvmInfo, lifs: list[Any]) -> None:
    svm_ref = f"SVM {svm.name}"
    for lif in lifs:
        report.changes.append(
            Change.write(
                "svm",
                "ontap",
                f"DELETE /api/network/ip/interfaces/{lif.uuid}",
                f"LIF {lif.name} of {svm_ref}",
                "LIFs go before the SVM",
            )
        )
    nvme = f"/api/protocols/nvme/services/{quote_plus(svm.uuid)}"
    report.changes.append(
        Change(
            "svm", "ontap", "PATCH", f"PATCH {nvme}", f"NVMe service of {svm_ref}", "disable before deleting"
        )
    )
    report.changes.append(
        Change.write(
            "svm",
            "ontap",
            f"DELETE {nvme}",
            f"NVMe service of {svm_ref}",
            "the service goes before the SVM",
        )
    )
    report.changes.append(
        Change.write(
            "svm",
            "ontap",
            f"DELETE /api/svm/svms/{svm.uuid}",
            svm_ref,
            "the project's last shoot is deleted and the SVM is empty",
        )
    )


def _delete_secret_change(ctx: StepContext, why: str) -> Change:
    name = ctx.config.seed_secret_name
    return Change.write(
        "seed-secret",
        "kubernetes",
        f"DELETE {SECRETS_API}/{name}".format(ns=ctx.namespace),
        secret_ref(ctx),
        why,
    )


def _finalizer_change(report: ShootReport) -> Change:
    return Change.write(
        "extension",
        "kubernetes",
        f"PATCH {EXTENSIONS_API}/{report.extension.split('/', 1)[1]}".format(ns=report.namespace),
        f"Extension {report.extension}",
        "remove the finalizer: deletion done",
    )
