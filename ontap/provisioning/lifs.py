"""The SVM's data LIFs and management LIF: created where missing, fixed in place, never moved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address

import structlog
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ontap.client import OntapClient, send_json
from ontap.errors import OntapAlreadyExists, OntapBusy, OntapError, OntapTransient
from ontap.models import IpInterfaceInfo, SvmInfo
from ontap.naming import MANAGEMENT_LIF, data_lif_names
from ontap.provisioning.reads import has_bgp_peer_groups, list_interfaces, list_nodes
from ontap.provisioning.report import StepReport

log = structlog.get_logger(__name__)

DATA_SERVICE_POLICY = "default-data-nvme-tcp"
MANAGEMENT_SERVICE_POLICY = "default-management"
VIP_PREFIX_LENGTH = 32


class DesiredLifs(BaseModel):
    """The IPs the shoot's provider config asks for."""

    model_config = ConfigDict(frozen=True)

    data_ips: tuple[IPv4Address, ...] = Field(min_length=1)
    management_ip: IPv4Address
    netmask_bits: int = Field(default=24, ge=1, le=32)

    @model_validator(mode="after")
    def _distinct(self) -> DesiredLifs:
        ips = [*self.data_ips, self.management_ip]
        if len(set(ips)) != len(ips):
            raise ValueError("data and management LIF IPs must all be different")
        return self


@dataclass(frozen=True)
class LifSpec:
    """One LIF as it should be."""

    name: str
    ip: IPv4Address
    service_policy: str
    index: int  # position in the desired list: picks the home node, stable across passes


@dataclass(frozen=True)
class LifCreate:
    """A LIF to create, with where and how."""

    spec: LifSpec
    home_node: str
    prefix_length: int
    vip: bool


@dataclass(frozen=True)
class LifFix:
    """In-place changes to an existing LIF of ours."""

    name: str
    uuid: str
    service_policy: str | None = None
    enable: bool = False


@dataclass(frozen=True)
class LifPlan:
    """The decision over the observed interfaces."""

    missing: tuple[LifSpec, ...] = ()
    fixes: tuple[LifFix, ...] = ()
    drift: tuple[str, ...] = field(default_factory=tuple)

    @property
    def nothing_to_do(self) -> bool:
        """True in the steady state."""
        return not self.missing and not self.fixes


def desired_specs(desired: DesiredLifs) -> list[LifSpec]:
    """`data1..dataN` on the data IPs, then `mgmt` on the management IP."""
    names = data_lif_names(len(desired.data_ips))
    specs = [
        LifSpec(n, ip, DATA_SERVICE_POLICY, i)
        for i, (n, ip) in enumerate(zip(names, desired.data_ips, strict=True))
    ]
    specs.append(LifSpec(MANAGEMENT_LIF, desired.management_ip, MANAGEMENT_SERVICE_POLICY, 0))
    return specs


def decide_lifs(
    desired: DesiredLifs,
    interfaces: Sequence[IpInterfaceInfo],
    *,
    adopted: Mapping[str, str] | None = None,
) -> LifPlan:
    """What to create, fix in place, and report, from the SVM's interfaces alone (pure).

    A LIF of ours holding another IP, an IP held by a LIF of another name, and LIFs that are not
    ours are reported as drift and left alone: moving an address under a running shoot is not
    a repair this extension makes on its own. `adopted` maps LIF names of an adopted SVM to the
    service policy of their role (e.g. `managementlif` -> `default-management`): such a LIF
    holding a wanted IP with that role is recognised by its address and kept under its name.
    """
    by_name = {i.name: i for i in interfaces}
    by_ip = {i.ip: i for i in interfaces if i.ip is not None}
    specs = desired_specs(desired)
    ours = {s.name for s in specs}
    adopted = adopted or {}
    missing: list[LifSpec] = []
    fixes: list[LifFix] = []
    drift: list[str] = []
    for spec in specs:
        current = by_name.get(spec.name)
        holder = by_ip.get(spec.ip) if current is None else None
        if holder is not None and adopted.get(holder.name) == spec.service_policy:
            current, holder = holder, None  # an adopted LIF, recognised by its address, kept under its name
        if current is None:
            if holder is not None:
                drift.append(
                    f"IP {spec.ip} wanted for LIF {spec.name} is held by LIF {holder.name} (left alone)"
                )
            else:
                missing.append(spec)
            continue
        if current.ip != spec.ip:
            drift.append(f"LIF {spec.name} has IP {current.ip}, desired {spec.ip} (left alone)")
            continue
        policy = spec.service_policy if current.service_policy != spec.service_policy else None
        enable = current.enabled is False
        if policy or enable:
            fixes.append(LifFix(current.name, current.uuid, service_policy=policy, enable=enable))
    wanted_ips = {s.ip for s in specs}
    for interface in interfaces:
        if interface.name not in ours and interface.ip not in wanted_ips:
            drift.append(
                f"LIF {interface.name} ({interface.ip}) is not managed by this extension (left alone)"
            )
    return LifPlan(missing=tuple(missing), fixes=tuple(fixes), drift=tuple(drift))


def place_lifs(
    missing: Sequence[LifSpec], up_nodes: Sequence[str], bgp: bool, netmask_bits: int
) -> list[LifCreate]:
    """Home nodes round-robin over the up nodes by desired index; /32 VIP LIFs when BGP is in use (pure)."""
    if not missing:
        return []
    if not up_nodes:
        raise OntapError("no cluster node is up: cannot place LIFs", target="nodes")
    nodes = sorted(up_nodes)
    prefix = VIP_PREFIX_LENGTH if bgp else netmask_bits
    return [
        LifCreate(spec=s, home_node=nodes[s.index % len(nodes)], prefix_length=prefix, vip=bgp)
        for s in missing
    ]


async def ensure_lifs(
    client: OntapClient,
    svm: SvmInfo,
    desired: DesiredLifs,
    *,
    observed_interfaces: Sequence[IpInterfaceInfo] | None = None,
    adopted: Mapping[str, str] | None = None,
) -> StepReport:
    """Make sure the SVM's LIFs exist as desired; pass `observed_interfaces` to reuse this pass's read.

    In the steady state this makes no request when given the observation, one otherwise. Nodes
    and BGP peer groups are only read when a LIF has to be created.
    """
    report = StepReport(step="lifs", target=f"LIFs of svm {svm.name} on {client.name}")
    interfaces = (
        list(observed_interfaces) if observed_interfaces is not None else await list_interfaces(client, svm)
    )
    plan = decide_lifs(desired, interfaces, adopted=adopted)
    report.observed = f"{len(interfaces)} interfaces"
    report.drift.extend(plan.drift)
    if plan.missing:
        creates = await _placements(client, plan.missing, desired.netmask_bits)
        failure = await _create_all(client, svm, creates, report)
        if failure is not None:
            # A create's answer was lost or collided: what exists now decides, not the error.
            interfaces = await list_interfaces(client, svm)
            replan = decide_lifs(desired, interfaces, adopted=adopted)
            lost = {c.spec.name for c in creates} - {s.name for s in replan.missing}
            done = {a.split()[2] for a in report.actions}
            for name in sorted(lost - done):
                report.actions.append(f"created LIF {name} (confirmed by re-reading after {failure.kind})")
            if replan.missing:
                raise failure
            report.drift[:] = list(replan.drift)
            plan = LifPlan(missing=(), fixes=replan.fixes, drift=replan.drift)
    for fix in plan.fixes:
        await _apply_fix(client, svm, fix, report)
    if report.drift:
        log.info(
            "lif drift left alone",
            cluster=client.name,
            endpoint=client.endpoint,
            svm=svm.name,
            drift=report.drift,
        )
    return report


async def _placements(client: OntapClient, missing: Sequence[LifSpec], netmask_bits: int) -> list[LifCreate]:
    nodes = await list_nodes(client)
    bgp = await has_bgp_peer_groups(client)
    return place_lifs(missing, [n.name for n in nodes if n.is_up], bgp, netmask_bits)


async def _create_all(
    client: OntapClient, svm: SvmInfo, creates: Sequence[LifCreate], report: StepReport
) -> OntapError | None:
    first_failure: OntapError | None = None
    for create in creates:
        try:
            await _create(client, svm, create)
        except (OntapAlreadyExists, OntapTransient, OntapBusy) as exc:
            log.info(
                "lif create not confirmed",
                cluster=client.name,
                endpoint=client.endpoint,
                svm=svm.name,
                lif=create.spec.name,
                error=exc.kind,
            )
            first_failure = first_failure or exc
            continue
        report.actions.append(
            f"created LIF {create.spec.name} {create.spec.ip}/{create.prefix_length} on {create.home_node}"
            + (" (vip)" if create.vip else "")
        )
    return first_failure


async def _create(client: OntapClient, svm: SvmInfo, create: LifCreate) -> None:
    body: dict[str, object] = {
        "name": create.spec.name,
        "svm": {"uuid": svm.uuid, "name": svm.name},
        "ip": {"address": str(create.spec.ip), "netmask": str(create.prefix_length)},
        "location": {"home_node": {"name": create.home_node}},
        "service_policy": {"name": create.spec.service_policy},
        "enabled": True,
    }
    if create.vip:
        body["vip"] = True
    # Through send_json like every call, so that the answer is bounded in time and size.
    await client.run(
        lambda conn: send_json(conn, "POST", "/api/network/ip/interfaces", body=body),
        operation="POST /api/network/ip/interfaces",
        target=f"LIF {create.spec.name} of svm {svm.name}",
        mutating=True,
    )


async def _apply_fix(client: OntapClient, svm: SvmInfo, fix: LifFix, report: StepReport) -> None:
    body: dict[str, object] = {}
    if fix.service_policy:
        body["service_policy"] = {"name": fix.service_policy}
    if fix.enable:
        body["enabled"] = True
    await client.run(
        lambda conn: send_json(conn, "PATCH", f"/api/network/ip/interfaces/{fix.uuid}", body=body),
        operation=f"PATCH /api/network/ip/interfaces/{fix.uuid}",
        target=f"LIF {fix.name} of svm {svm.name}",
        mutating=True,
        idempotent=True,
    )
    if fix.service_policy:
        report.actions.append(f"set service policy of LIF {fix.name} to {fix.service_policy}")
    if fix.enable:
        report.actions.append(f"enabled LIF {fix.name}")
