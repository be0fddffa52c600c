"""Which field names each resource has, taken from netapp-ontap's schemas (NetApp's own model of the
REST API), so the fake can refuse `fields=` entries and query filters naming fields that do not exist.

Real ONTAP answers such a `fields=` entry with 400 code 262197 (ansible-collections/netapp.ontap#189,
NetApp/harvest#3639); the code for an unknown query filter is not documented (see docs/fake-ontap.md).
"""

from __future__ import annotations

import functools
from typing import Any

from marshmallow import Schema, fields
from netapp_ontap.resources.account import AccountSchema
from netapp_ontap.resources.aggregate import AggregateSchema
from netapp_ontap.resources.bgp_peer_group import BgpPeerGroupSchema
from netapp_ontap.resources.cluster import ClusterSchema
from netapp_ontap.resources.ip_interface import IpInterfaceSchema
from netapp_ontap.resources.job import JobSchema
from netapp_ontap.resources.node import NodeSchema
from netapp_ontap.resources.nvme_service import NvmeServiceSchema
from netapp_ontap.resources.nvme_subsystem import NvmeSubsystemSchema
from netapp_ontap.resources.svm import SvmSchema
from netapp_ontap.resources.volume import VolumeSchema

# route template (collection or instance) -> the schema of its records
SCHEMAS: dict[str, type[Schema]] = {
    "/api/cluster": ClusterSchema,
    "/api/cluster/nodes": NodeSchema,
    "/api/cluster/nodes/{uuid}": NodeSchema,
    "/api/cluster/jobs": JobSchema,
    "/api/cluster/jobs/{uuid}": JobSchema,
    "/api/storage/aggregates": AggregateSchema,
    "/api/storage/aggregates/{uuid}": AggregateSchema,
    "/api/svm/svms": SvmSchema,
    "/api/svm/svms/{uuid}": SvmSchema,
    "/api/network/ip/interfaces": IpInterfaceSchema,
    "/api/network/ip/interfaces/{uuid}": IpInterfaceSchema,
    "/api/network/ip/bgp/peer-groups": BgpPeerGroupSchema,
    "/api/network/ip/bgp/peer-groups/{uuid}": BgpPeerGroupSchema,
    "/api/security/accounts": AccountSchema,
    "/api/security/accounts/{owner_uuid}/{name}": AccountSchema,
    "/api/storage/volumes": VolumeSchema,
    "/api/storage/volumes/{uuid}": VolumeSchema,
    "/api/protocols/nvme/services": NvmeServiceSchema,
    "/api/protocols/nvme/services/{svm_uuid}": NvmeServiceSchema,
    "/api/protocols/nvme/subsystems": NvmeSubsystemSchema,
    "/api/protocols/nvme/subsystems/{uuid}": NvmeSubsystemSchema,
}
ALWAYS_KNOWN = frozenset({"*", "**", "_links"})


def _nested_schema(field: Any) -> Schema | None:
    if isinstance(field, fields.List):
        field = field.inner
    if isinstance(field, fields.Nested):
        nested = field.schema
        return nested if isinstance(nested, Schema) else None
    return None


@functools.lru_cache(maxsize=64)
def _by_data_key(schema_type: type[Schema]) -> dict[str, Any]:
    return {field.data_key or name: field for name, field in schema_type().fields.items()}


def has_field(schema_type: type[Schema], dotted: str) -> bool:
    """Whether `dotted` (e.g. `nvme.enabled`, `aggregates.name`, `volume-count`) names a field."""
    if dotted in ALWAYS_KNOWN:
        return True
    current: type[Schema] | None = schema_type
    for part in dotted.split("."):
        if current is None:
            return False
        field = _by_data_key(current).get(part)
        if field is None:
            return False
        nested = _nested_schema(field)
        current = type(nested) if nested is not None else None
    return True


def schema_for(template: str) -> type[Schema] | None:
    """The schema of the records a route answers with, if the fake knows it."""
    return SCHEMAS.get(template.rstrip("/") or "/")
