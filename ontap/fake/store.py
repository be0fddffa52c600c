"""The fake cluster's state: plain JSON-shaped records per resource family.

Records are stored the way ONTAP renders them (minus `_links`). Keys starting with `_` are the
fake's own bookkeeping (passwords, job timing) and are never rendered.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Record = dict[str, Any]

SEED_NAMESPACE = uuid.UUID("6f1c2a52-3f0e-4b7a-9d8e-0a1b2c3d4e5f")
DEFAULT_CLUSTER_NAME = "fake-cluster"
DEFAULT_NODES = ("fake-01", "fake-02")
DEFAULT_IPSPACE = "Default"
AGGREGATE_SIZE = 10 * 1024**4

FAMILIES = (
    "nodes",
    "aggregates",
    "svms",
    "interfaces",
    "bgp_peer_groups",
    "accounts",
    "volumes",
    "nvme_services",
    "nvme_subsystems",
    "jobs",
)


def seeded_uuid(name: str) -> str:
    """A stable uuid for a seeded object, so seeded state is the same on every start."""
    return str(uuid.uuid5(SEED_NAMESPACE, name))


def new_uuid() -> str:
    """A fresh uuid for an object created through the API."""
    return str(uuid.uuid4())


def account_key(owner_uuid: str, name: str) -> str:
    """Store key of an account (ONTAP keys accounts by owner uuid and name)."""
    return f"{owner_uuid}/{name}"


def public(record: Record) -> Record:
    """The record without the fake's own `_` bookkeeping keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


@dataclass
class FakeState:
    """Every object the fake cluster holds, keyed by ONTAP's key for its family."""

    cluster: Record = field(default_factory=dict)
    nodes: dict[str, Record] = field(default_factory=dict)
    aggregates: dict[str, Record] = field(default_factory=dict)
    svms: dict[str, Record] = field(default_factory=dict)
    interfaces: dict[str, Record] = field(default_factory=dict)
    bgp_peer_groups: dict[str, Record] = field(default_factory=dict)
    accounts: dict[str, Record] = field(default_factory=dict)
    volumes: dict[str, Record] = field(default_factory=dict)
    nvme_services: dict[str, Record] = field(default_factory=dict)
    nvme_subsystems: dict[str, Record] = field(default_factory=dict)
    jobs: dict[str, Record] = field(default_factory=dict)
    # For `ontap.fake.index`, not part of the state itself: its index, and the records changed since it
    # last looked (family, key).
    changes: set[tuple[str, str]] = field(default_factory=set, compare=False, repr=False)
    index_cache: Any = field(default=None, compare=False, repr=False)

    def changed(self, family: str, key: str) -> None:
        """Note that a record was added, removed or changed in place (its lookups by field follow)."""
        self.changes.add((family, key))

    def touch(self) -> None:
        """Note that any record may have changed (lookups by field are worked out again)."""
        self.index_cache = None
        self.changes.clear()

    @classmethod
    def seeded(cls, admin_user: str, admin_password: str, seed: str = "default") -> FakeState:
        """The state a fresh cluster starts with: 2 nodes, 1 data aggregate each, no SVMs."""
        if seed == "empty":
            state = cls()
        elif seed == "default":
            state = cls()
            state.cluster = {
                "name": DEFAULT_CLUSTER_NAME,
                "uuid": seeded_uuid(DEFAULT_CLUSTER_NAME),
                "version": {
                    "full": "NetApp Release 9.15.1: Mon Jun 10 12:00:00 UTC 2024 (fake)",
                    "generation": 9,
                    "major": 15,
                    "minor": 1,
                },
            }
            for node_name in DEFAULT_NODES:
                state.add_node(node_name)
        else:
            raise ValueError(f"unknown seed {seed!r} (known: default, empty)")
        state.set_admin(admin_user, admin_password)
        return state

    def add_node(self, name: str) -> Record:
        """Add a node that is up, with one data aggregate `aggr1_<node>`."""
        node_uuid = seeded_uuid(f"node/{name}")
        node = {
            "uuid": node_uuid,
            "name": name,
            "state": "up",
            "membership": "member",
            "model": "FAKE-A400",
            "serial_number": f"SN-{name}",
        }
        self.nodes[node_uuid] = node
        aggregate_name = "aggr1_" + name.replace("-", "_")
        aggregate_uuid = seeded_uuid(f"aggregate/{aggregate_name}")
        self.aggregates[aggregate_uuid] = {
            "uuid": aggregate_uuid,
            "name": aggregate_name,
            "node": {"name": name, "uuid": node_uuid},
            "state": "online",
            "space": {"block_storage": {"size": AGGREGATE_SIZE, "available": AGGREGATE_SIZE, "used": 0}},
        }
        return node

    def set_admin(self, user: str, password: str) -> None:
        """Create (or reset) the cluster-scoped admin account."""
        owner_uuid = self.cluster.get("uuid", "")
        self.accounts[account_key(owner_uuid, user)] = {
            "name": user,
            "owner": {"name": self.cluster.get("name", ""), "uuid": owner_uuid},
            "scope": "cluster",
            "role": {"name": "admin"},
            "applications": [{"application": "http", "authentication_methods": ["password"]}],
            "locked": False,
            "_password": password,
        }

    def family(self, name: str) -> dict[str, Record]:
        """The record map of one resource family."""
        if name not in FAMILIES:
            raise KeyError(name)
        records: dict[str, Record] = getattr(self, name)
        return records

    def svm_by_name(self, name: str) -> Record | None:
        """The SVM called `name`, if any."""
        return next((s for s in self.svms.values() if s["name"] == name), None)

    def node_by_name(self, name: str) -> Record | None:
        """The node called `name`, if any."""
        return next((n for n in self.nodes.values() if n["name"] == name), None)

    def aggregate_by(self, ref: dict[str, Any]) -> Record | None:
        """The aggregate a `{name}` or `{uuid}` reference names, if any."""
        if "uuid" in ref:
            return self.aggregates.get(str(ref["uuid"]))
        return next((a for a in self.aggregates.values() if a["name"] == ref.get("name")), None)

    def to_json(self, redact: bool = True) -> dict[str, Any]:
        """The whole state as JSON; `redact` hides passwords (for inspection, not persistence)."""
        data: dict[str, Any] = {"cluster": self.cluster}
        for name in FAMILIES:
            records = self.family(name)
            if redact:
                data[name] = {key: _redacted(record) for key, record in records.items()}
            else:
                data[name] = records
        copied: dict[str, Any] = json.loads(json.dumps(data))
        return copied

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FakeState:
        """State from `to_json(redact=False)` output."""
        state = cls(cluster=dict(data.get("cluster", {})))
        for name in FAMILIES:
            state.family(name).update(data.get(name, {}))
        return state

    def save(self, path: Path) -> None:
        """Write the state (with passwords, so logins keep working after a load) to `path`."""
        path.write_text(json.dumps(self.to_json(redact=False), indent=2, sort_keys=True))

    @classmethod
    def load(cls, path: Path) -> FakeState:
        """Read a state written by `save`."""
        return cls.from_json(json.loads(path.read_text()))


def _redacted(record: Record) -> Record:
    return {k: ("<redacted>" if k.startswith("_password") else v) for k, v in record.items()}
