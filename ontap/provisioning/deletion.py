"""Removing what the extension created: the shoot's account, and the project's SVM when it is empty."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote_plus

import structlog
from netapp_ontap.host_connection import HostConnection

from ontap.client import OntapClient, send_json
from ontap.errors import OntapNotEmpty, OntapNotFound, OntapOwnershipConflict, OntapTransient
from ontap.jobs import job_uuid_of, wait_for_job
from ontap.models import IpInterfaceInfo, SvmInfo
from ontap.naming import DATA_LIF_PREFIX, MANAGEMENT_LIF, is_ours
from ontap.provisioning import reads
from ontap.provisioning.report import StepReport

log = structlog.get_logger(__name__)

_OUR_LIF = re.compile(rf"({re.escape(DATA_LIF_PREFIX)}[0-9]+|{re.escape(MANAGEMENT_LIF)})")


def our_lifs(interfaces: list[IpInterfaceInfo]) -> list[IpInterfaceInfo]:
    """The interfaces this extension names (`dataN`, `mgmt`) (pure)."""
    return [i for i in interfaces if _OUR_LIF.fullmatch(i.name)]


async def delete_account(client: OntapClient, svm: SvmInfo, name: str) -> StepReport:
    """Delete the SVM-scoped account; an account (or SVM) that is already gone is success."""
    report = StepReport(step="delete-account", target=f"account {name} of svm {svm.name} on {client.name}")
    path = f"/api/security/accounts/{quote_plus(svm.uuid)}/{quote_plus(name)}"
    try:
        await client.run(
            lambda conn: send_json(conn, "DELETE", path),
            operation=f"DELETE {path}",
            target=f"account {name} of svm {svm.name}",
            mutating=True,
            idempotent=True,
        )
    except OntapNotFound:
        report.observed = "already gone"
        return report
    report.actions.append(f"deleted account {name}")
    return report


async def delete_svm(client: OntapClient, svm: SvmInfo, *, project_id: str | None = None) -> StepReport:
    """Delete our LIFs, then the SVM, only when the SVM is ours and holds no volumes besides its root.

    Re-reads the SVM first (never acts on a stale view); an SVM that is gone is success.
    """
    report = StepReport(step="delete-svm", target=f"svm {svm.name} on {client.name}")
    current = await reads.find_svm(client, svm.name)
    if current is None:
        report.observed = "already gone"
        return report
    if not is_ours(current.comment, project_id):
        raise OntapOwnershipConflict(
            f"SVM {current.name} is not marked as managed by this extension for this project; not deleted",
            cluster=client.name,
            endpoint=client.endpoint,
            target=f"svm {current.name}",
        )
    contents = await svm_contents(client, current)
    report.observed = contents.summary()
    if not contents.empty:
        raise OntapNotEmpty(
            f"SVM {current.name} still holds {contents.summary()}; delete them (the shoots' PVCs) first",
            cluster=client.name,
            endpoint=client.endpoint,
            target=f"svm {current.name}",
        )
    interfaces = await reads.list_interfaces(client, current)
    for interface in our_lifs(interfaces):
        await _delete_lif(client, current, interface, report)
    # ONTAP refuses to delete an NVMe service that is enabled (72090028) or still has NVMe LIFs
    # (72089654) or subsystems (72089653): LIFs first, then the service, then the SVM.
    await _delete_nvme_service(client, current, report)
    await _delete_svm(client, current, report)
    return report


@dataclass(frozen=True)
class SvmContents:
    """What in an SVM holds data or is Trident's: data volumes and NVMe subsystems, by name."""

    volumes: tuple[str, ...]
    subsystems: tuple[str, ...]

    @property
    def empty(self) -> bool:
        """True when nothing blocks deleting the SVM."""
        return not (self.volumes or self.subsystems)

    def summary(self) -> str:
        """E.g. `2 volume(s) (trident_pvc_a, trident_pvc_b) and 1 NVMe subsystem(s) (s1)`."""
        return (
            f"{len(self.volumes)} volume(s){_names(self.volumes)} and "
            f"{len(self.subsystems)} NVMe subsystem(s){_names(self.subsystems)}"
        )


def _names(names: tuple[str, ...], shown: int = 10) -> str:
    if not names:
        return ""
    more = f", and {len(names) - shown} more" if len(names) > shown else ""
    return f" ({', '.join(names[:shown])}{more})"


async def svm_contents(client: OntapClient, svm: SvmInfo) -> SvmContents:
    """The SVM's data volumes (its root volume aside) and NVMe subsystems (two requests)."""

    def read(conn: HostConnection) -> SvmContents:
        volumes = reads.read_collection(
            conn,
            "/api/storage/volumes",
            {"svm.uuid": svm.uuid, "is_svm_root": "false", "fields": "name"},
            keys=("name",),
        )
        subsystems = reads.read_collection(
            conn, "/api/protocols/nvme/subsystems", {"svm.uuid": svm.uuid, "fields": "name"}, keys=("name",)
        )
        return SvmContents(
            volumes=tuple(sorted(str(v["name"]) for v in volumes)),
            subsystems=tuple(sorted(str(n["name"]) for n in subsystems)),
        )

    return await client.run(
        read,
        operation="GET /api/storage/volumes, GET /api/protocols/nvme/subsystems",
        target=f"contents of svm {svm.name}",
        mutating=False,
    )


async def _delete_nvme_service(client: OntapClient, svm: SvmInfo, report: StepReport) -> None:
    path = f"/api/protocols/nvme/services/{quote_plus(svm.uuid)}"
    target = f"NVMe service of svm {svm.name}"
    try:
        await client.run(
            lambda conn: send_json(conn, "PATCH", path, body={"enabled": False}),
            operation=f"PATCH {path}",
            target=target,
            mutating=True,
            idempotent=True,
        )
        await client.run(
            lambda conn: send_json(conn, "DELETE", path),
            operation=f"DELETE {path}",
            target=target,
            mutating=True,
            idempotent=True,
        )
    except OntapNotFound:
        return
    report.actions.append(f"deleted the NVMe service of SVM {svm.name}")


async def _delete_lif(
    client: OntapClient, svm: SvmInfo, interface: IpInterfaceInfo, report: StepReport
) -> None:
    path = f"/api/network/ip/interfaces/{interface.uuid}"
    try:
        await client.run(
            lambda conn: send_json(conn, "DELETE", path),
            operation=f"DELETE {path}",
            target=f"LIF {interface.name} of svm {svm.name}",
            mutating=True,
            idempotent=True,
        )
    except OntapNotFound:
        return
    report.actions.append(f"deleted LIF {interface.name} {interface.ip}")


async def _delete_svm(client: OntapClient, svm: SvmInfo, report: StepReport) -> None:
    path = f"/api/svm/svms/{svm.uuid}"
    operation = f"DELETE {path}"
    target = f"svm {svm.name}"
    try:
        answer = await client.run(
            lambda conn: send_json(conn, "DELETE", path),
            operation=operation,
            target=target,
            mutating=True,
            idempotent=True,
        )
    except OntapNotFound:
        return
    job = job_uuid_of(answer)
    if job is not None:
        await wait_for_job(client, job, operation=operation, target=target)
    if await reads.find_svm(client, svm.name) is not None:
        raise OntapTransient(
            "SVM delete finished but the SVM is still listed",
            cluster=client.name,
            endpoint=client.endpoint,
            target=target,
        )
    report.actions.append(f"deleted SVM {svm.name}")
