"""What happens to an SVM and the objects it owns when its jobs finish.

These are the job effects (see `jobs.JobBook`): plain state transitions, also used directly by
the test API to seed volumes.
"""

from __future__ import annotations

from typing import Any

from ontap.fake.jobs import Effect, EffectHandler
from ontap.fake.store import DEFAULT_IPSPACE, FakeState, Record, new_uuid

ROOT_VOLUME_SIZE = 1024**3
VOLUME_SIZE = 100 * 1024**3


def new_svm(state: FakeState, name: str, body: dict[str, Any], aggregates: list[Record]) -> Record:
    """Add an SVM in state `initializing`, with its root volume and (if asked) its NVMe service."""
    svm_uuid = new_uuid()
    nvme = body.get("nvme") or {}
    svm: Record = {
        "uuid": svm_uuid,
        "name": name,
        "state": "initializing",
        "subtype": str(body.get("subtype", "default")),
        "comment": body.get("comment", ""),
        "language": body.get("language", "c.utf_8"),
        "ipspace": {"name": (body.get("ipspace") or {}).get("name", DEFAULT_IPSPACE)},
        "aggregates": [{"name": a["name"], "uuid": a["uuid"]} for a in aggregates],
        "nvme": {"allowed": bool(nvme.get("allowed", nvme.get("enabled", False))), "enabled": False},
    }
    for protocol in ("nfs", "iscsi", "cifs", "fcp"):
        settings = body.get(protocol) or {}
        svm[protocol] = {
            "allowed": bool(settings.get("allowed", settings.get("enabled", False))),
            "enabled": bool(settings.get("enabled", False)),
        }
    state.svms[svm_uuid] = svm
    state.changed("svms", svm_uuid)
    add_volume(state, svm, f"{name}_root", aggregates[:1], is_root=True)
    if nvme.get("enabled"):
        add_nvme_service(state, svm, enabled=True)
    return svm


def add_volume(
    state: FakeState, svm: Record, name: str, aggregates: list[Record] | None = None, is_root: bool = False
) -> Record:
    """Add an online volume to the SVM (on its first aggregate unless given)."""
    placed = aggregates or _svm_aggregates(state, svm)[:1]
    volume_uuid = new_uuid()
    volume: Record = {
        "uuid": volume_uuid,
        "name": name,
        "svm": {"name": svm["name"], "uuid": svm["uuid"]},
        "is_svm_root": is_root,
        "state": "online",
        "type": "rw",
        "style": "flexvol",
        "size": ROOT_VOLUME_SIZE if is_root else VOLUME_SIZE,
        "aggregates": [{"name": a["name"], "uuid": a["uuid"]} for a in placed],
    }
    state.volumes[volume_uuid] = volume
    return volume


def add_nvme_service(state: FakeState, svm: Record, enabled: bool) -> Record:
    """Add the SVM's NVMe service (one per SVM)."""
    service: Record = {"svm": {"name": svm["name"], "uuid": svm["uuid"]}, "enabled": enabled}
    state.nvme_services[svm["uuid"]] = service
    return service


def add_nvme_subsystem(state: FakeState, svm: Record, name: str) -> Record:
    """Add an NVMe subsystem to the SVM (as Trident creates them for NVMe volumes)."""
    subsystem: Record = {
        "uuid": new_uuid(),
        "name": name,
        "svm": {"name": svm["name"], "uuid": svm["uuid"]},
        "os_type": "linux",
    }
    state.nvme_subsystems[subsystem["uuid"]] = subsystem
    return subsystem


def _svm_aggregates(state: FakeState, svm: Record) -> list[Record]:
    found = [state.aggregates[a["uuid"]] for a in svm.get("aggregates", []) if a["uuid"] in state.aggregates]
    return found or list(state.aggregates.values())


def finish_create(state: FakeState, effect: Effect) -> None:
    """The create job is done: the SVM is running."""
    svm = state.svms.get(effect["svm_uuid"])
    if svm is not None:
        svm["state"] = "running"


def apply_patch(state: FakeState, effect: Effect) -> None:
    """The modify job is done: apply the (already validated) changes."""
    svm = state.svms.get(effect["svm_uuid"])
    if svm is None:
        return
    changes: dict[str, Any] = effect["changes"]
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(svm.get(key), dict):
            svm[key].update(value)
        else:
            svm[key] = value
    if "name" in changes:
        state.changed("svms", svm["uuid"])
        _rename_references(state, svm)
    if effect.get("nvme_enabled") is not None:
        service = state.nvme_services.get(svm["uuid"])
        if service is None:
            add_nvme_service(state, svm, enabled=bool(effect["nvme_enabled"]))
        else:
            service["enabled"] = bool(effect["nvme_enabled"])


def _rename_references(state: FakeState, svm: Record) -> None:
    for name in ("interfaces", "volumes", "nvme_services", "nvme_subsystems"):
        for key, record in state.family(name).items():
            if record.get("svm", {}).get("uuid") == svm["uuid"]:
                record["svm"]["name"] = svm["name"]
                state.changed(name, key)
    for key, account in state.accounts.items():
        if account.get("owner", {}).get("uuid") == svm["uuid"]:
            account["owner"]["name"] = svm["name"]
            state.changed("accounts", key)


def delete_svm(state: FakeState, effect: Effect) -> None:
    """The delete job is done: the SVM goes, and with it its LIFs, accounts, root volume, services."""
    svm_uuid = effect["svm_uuid"]
    state.svms.pop(svm_uuid, None)
    state.changed("svms", svm_uuid)
    state.nvme_services.pop(svm_uuid, None)
    for name in ("interfaces", "volumes", "nvme_subsystems"):
        family = state.family(name)
        for key in [k for k, r in family.items() if r.get("svm", {}).get("uuid") == svm_uuid]:
            del family[key]
            state.changed(name, key)
    for key in [k for k, a in state.accounts.items() if a.get("owner", {}).get("uuid") == svm_uuid]:
        del state.accounts[key]
        state.changed("accounts", key)


EFFECTS: dict[str, EffectHandler] = {
    "svm_create": finish_create,
    "svm_patch": apply_patch,
    "svm_delete": delete_svm,
}
