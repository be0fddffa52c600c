"""The project's SVM: created with NVMe, its aggregates and our ownership marker, or fixed in place."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import structlog
from netapp_ontap.host_connection import HostConnection

from ontap.client import OntapClient, send_json
from ontap.errors import OntapAlreadyExists, OntapBusy, OntapError, OntapOwnershipConflict, OntapTransient
from ontap.jobs import JobOutcome, job_uuid_of, wait_for_job
from ontap.models import SvmInfo
from ontap.naming import MANAGED_BY, ownership_comment, parse_ownership, validate_svm_name
from ontap.provisioning.reads import find_svm, list_aggregates
from ontap.provisioning.report import StepReport

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DesiredSvm:
    """The SVM a project should have. `aggregates=None` means all data aggregates at creation."""

    name: str
    project_id: str
    aggregates: tuple[str, ...] | None = None
    nvme: bool = True

    def __post_init__(self) -> None:
        validate_svm_name(self.name)

    @property
    def comment(self) -> str:
        """The ownership marker written into the SVM comment."""
        return ownership_comment(self.project_id)


class SvmAction(enum.StrEnum):
    """What `decide_svm` concluded."""

    CREATE = "create"
    NOTHING = "nothing"
    FIX = "fix"
    WAIT = "wait"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class SvmPlan:
    """The decision over one observed SVM."""

    action: SvmAction
    reason: str = ""
    add_aggregates: tuple[str, ...] = ()
    allow_nvme: bool = False
    enable_nvme: bool = False
    need_aggregate_list: bool = False
    drift: tuple[str, ...] = field(default_factory=tuple)


def decide_svm(observed: SvmInfo | None, desired: DesiredSvm) -> SvmPlan:
    """Create, leave, fix, wait or refuse: a pure function of the observed SVM.

    Aggregates are only ever added, never removed. With `aggregates=None` an SVM that has at
    least one aggregate is left as it is; one with none gets all data aggregates.
    """
    if observed is None:
        return SvmPlan(SvmAction.CREATE, need_aggregate_list=desired.aggregates is None)
    marker = parse_ownership(observed.comment)
    if marker is None or marker.managed_by != MANAGED_BY:
        return SvmPlan(
            SvmAction.CONFLICT,
            reason=f"SVM {observed.name} exists without this extension's ownership marker "
            f"(comment {observed.comment!r}); it is not touched",
        )
    if marker.project_id != desired.project_id:
        return SvmPlan(
            SvmAction.CONFLICT,
            reason=f"SVM {observed.name} is marked for project {marker.project_id!r}, "
            f"not {desired.project_id!r}",
        )
    if not observed.is_settled:
        return SvmPlan(SvmAction.WAIT, reason=f"SVM {observed.name} is {observed.state}")
    if not observed.is_running:
        # Stopped, or a state ONTAP did not report or this layer does not know: nothing is written to
        # it (starting an SVM is the operator's business); the caller reports it as not ready.
        state = observed.state or "in no reported state"
        left_alone = f"SVM {observed.name} is {state}, not running (left alone)"
        return SvmPlan(SvmAction.NOTHING, drift=(left_alone,))
    drift: list[str] = []
    if desired.aggregates is None:
        add: tuple[str, ...] = ()
        need_list = not observed.aggregates
    else:
        add = tuple(a for a in desired.aggregates if a not in observed.aggregates)
        need_list = False
    allow_nvme = desired.nvme and observed.nvme_allowed is False
    enable_nvme = desired.nvme and observed.nvme_enabled is not True
    if add or need_list or allow_nvme or enable_nvme:
        return SvmPlan(
            SvmAction.FIX,
            add_aggregates=add,
            allow_nvme=allow_nvme,
            enable_nvme=enable_nvme,
            need_aggregate_list=need_list,
            drift=tuple(drift),
        )
    return SvmPlan(SvmAction.NOTHING, drift=tuple(drift))


async def ensure_svm(
    client: OntapClient, desired: DesiredSvm, *, observed: SvmInfo | None = None
) -> tuple[SvmInfo, StepReport]:
    """Make sure the SVM exists as desired; pass `observed` to reuse a read of this pass.

    Safe to re-run after a crash at any point: a create whose answer was lost (or that collides
    with a concurrent create) is re-observed, never blindly repeated.
    """
    report = StepReport(step="svm", target=f"svm {desired.name} on {client.name}")
    svm = observed if observed is not None else await find_svm(client, desired.name)
    plan = decide_svm(svm, desired)
    if plan.action is SvmAction.CREATE:
        svm = await _create(client, desired, report)
        plan = decide_svm(svm, desired)
    report.observed = f"state {svm.state if svm else 'absent'}"
    if plan.action is SvmAction.CONFLICT:
        raise OntapOwnershipConflict(
            plan.reason, cluster=client.name, endpoint=client.endpoint, target=f"svm {desired.name}"
        )
    if plan.action is SvmAction.WAIT:
        raise OntapBusy(
            plan.reason, cluster=client.name, endpoint=client.endpoint, target=f"svm {desired.name}"
        )
    assert svm is not None
    report.drift.extend(plan.drift)
    if plan.action is SvmAction.FIX:
        svm = await _fix(client, svm, desired, plan, report)
    return svm, report


async def _create(client: OntapClient, desired: DesiredSvm, report: StepReport) -> SvmInfo:
    aggregates = desired.aggregates
    if aggregates is None:
        aggregates = tuple(a.name for a in await list_aggregates(client))
    body: dict[str, object] = {
        "name": desired.name,
        "comment": desired.comment,
        "aggregates": [{"name": a} for a in aggregates],
    }
    if desired.nvme:
        body["nvme"] = {"allowed": True, "enabled": True}
    operation = "POST /api/svm/svms"
    target = f"svm {desired.name}"
    try:
        answer = await client.run(
            lambda conn: send_json(conn, "POST", "/api/svm/svms", body=body),
            operation=operation,
            target=target,
            mutating=True,
        )
    except (OntapAlreadyExists, OntapTransient, OntapBusy) as exc:
        # The create may have been applied (lost answer) or raced with another: look again.
        log.info(
            "svm create answer unusable, re-observing",
            cluster=client.name,
            endpoint=client.endpoint,
            svm=desired.name,
            error=exc.kind,
        )
        svm = await find_svm(client, desired.name)
        if svm is None:
            raise
        report.actions.append(f"created SVM {desired.name} (confirmed by re-reading after {exc.kind})")
        return svm
    job = job_uuid_of(answer)
    if job is not None:
        outcome = await wait_for_job(
            client,
            job,
            operation=operation,
            target=target,
        )
        log.info(
            "svm create job ended",
            cluster=client.name,
            endpoint=client.endpoint,
            svm=desired.name,
            job=job,
            outcome=str(outcome),
        )
    svm = await find_svm(client, desired.name)
    if svm is None:
        raise OntapTransient(
            "SVM create was accepted but the SVM is not visible yet",
            cluster=client.name,
            endpoint=client.endpoint,
            operation=operation,
            target=target,
        )
    report.actions.append(f"created SVM {desired.name} on aggregates {', '.join(aggregates) or '-'}")
    return svm


async def _fix(
    client: OntapClient, svm: SvmInfo, desired: DesiredSvm, plan: SvmPlan, report: StepReport
) -> SvmInfo:
    target = f"svm {svm.name}"
    add = list(plan.add_aggregates)
    if plan.need_aggregate_list:
        add = [a.name for a in await list_aggregates(client) if a.name not in svm.aggregates]
    patch: dict[str, object] = {}
    if add:
        patch["aggregates"] = [{"name": a} for a in (*svm.aggregates, *add)]
    if plan.allow_nvme:
        patch["nvme"] = {"allowed": True}
    if patch:
        await _patch_svm(client, svm, patch)
        if add:
            report.actions.append(f"added aggregates {', '.join(add)} to SVM {svm.name}")
        if plan.allow_nvme:
            report.actions.append(f"allowed NVMe on SVM {svm.name}")
    if plan.enable_nvme:
        report.actions.append(await _enable_nvme(client, svm))
    fresh = await find_svm(client, svm.name)
    if fresh is None:
        raise OntapTransient(
            "SVM vanished while it was being fixed",
            cluster=client.name,
            endpoint=client.endpoint,
            target=target,
        )
    return fresh


async def mark_svm(client: OntapClient, svm: SvmInfo, comment: str) -> SvmInfo:
    """Write the ownership marker into the SVM's comment; nothing else of the SVM is changed.

    Used to adopt an SVM another extension made; safe to repeat (the same comment again).
    """
    await _patch_svm(client, svm, {"comment": comment})
    fresh = await find_svm(client, svm.name)
    if fresh is None:
        raise OntapTransient(
            "SVM vanished while its ownership marker was written",
            cluster=client.name,
            endpoint=client.endpoint,
            target=f"svm {svm.name}",
        )
    return fresh


async def _patch_svm(client: OntapClient, svm: SvmInfo, patch: dict[str, object]) -> None:
    operation = f"PATCH /api/svm/svms/{svm.uuid}"
    target = f"svm {svm.name}"
    answer = await client.run(
        lambda conn: send_json(conn, "PATCH", f"/api/svm/svms/{svm.uuid}", body=patch),
        operation=operation,
        target=target,
        mutating=True,
        idempotent=True,
    )
    job = job_uuid_of(answer)
    if job is not None:
        outcome = await wait_for_job(
            client,
            job,
            operation=operation,
            target=target,
        )
        if outcome is JobOutcome.PURGED:
            log.info(
                "svm patch job purged before it was read",
                cluster=client.name,
                endpoint=client.endpoint,
                svm=svm.name,
            )


async def _enable_nvme(client: OntapClient, svm: SvmInfo) -> str:
    """Create the SVM's NVMe service, or enable it when it exists but is off."""
    target = f"nvme service of svm {svm.name}"

    def create(conn: HostConnection) -> None:
        send_json(
            conn, "POST", "/api/protocols/nvme/services", body={"svm": {"uuid": svm.uuid}, "enabled": True}
        )

    def enable(conn: HostConnection) -> None:
        send_json(conn, "PATCH", f"/api/protocols/nvme/services/{svm.uuid}", body={"enabled": True})

    try:
        await client.run(create, operation="POST /api/protocols/nvme/services", target=target, mutating=True)
        return f"created NVMe service on SVM {svm.name}"
    except (OntapAlreadyExists, OntapTransient) as exc:
        log.info("nvme service create not confirmed, enabling in place", svm=svm.name, error=exc.kind)
    try:
        await client.run(
            enable,
            operation=f"PATCH /api/protocols/nvme/services/{svm.uuid}",
            target=target,
            mutating=True,
            idempotent=True,
        )
    except OntapError as exc:
        raise OntapError(
            f"cannot enable NVMe on SVM {svm.name}: {exc.description}",
            cluster=client.name,
            endpoint=client.endpoint,
            operation=exc.operation,
            target=target,
            http_status=exc.http_status,
            ontap_code=exc.ontap_code,
            ontap_message=exc.ontap_message,
        ) from exc
    return f"enabled NVMe service on SVM {svm.name}"
