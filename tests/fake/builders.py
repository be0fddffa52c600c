"""Objects the conformance tests create through the real netapp-ontap resources."""

from __future__ import annotations

from typing import Any, TypeVar

from netapp_ontap import HostConnection
from netapp_ontap.error import NetAppRestError
from netapp_ontap.resource import Resource
from netapp_ontap.resources.account import Account
from netapp_ontap.resources.ip_interface import IpInterface
from netapp_ontap.resources.svm import Svm

ACCOUNT_PASSWORD = "Shoot-pass-1234"
R = TypeVar("R", bound=Resource)


def create_svm(conn: HostConnection, name: str, aggregate: str = "aggr1_fake_01") -> Svm:
    """An SVM created and waited for (`post(poll=True)`)."""
    svm = Svm(name=name, aggregates=[{"name": aggregate}], nvme={"allowed": True, "enabled": True})
    svm.set_connection(conn)
    svm.post(poll=True)
    return svm


def create_lif(conn: HostConnection, svm: Svm, name: str, address: str, node: str = "fake-01") -> IpInterface:
    """A data LIF in the SVM."""
    lif = IpInterface(
        name=name,
        svm={"uuid": svm.uuid},
        ip={"address": address, "netmask": "24"},
        location={"home_node": {"name": node}},
        service_policy={"name": "default-data-nvme-tcp"},
    )
    lif.set_connection(conn)
    lif.post()
    return lif


def create_mgmt_lif(conn: HostConnection, svm: Svm, address: str, node: str = "fake-01") -> IpInterface:
    """A management LIF of the SVM (`default-management`); on loopback the fake serves it, and the
    SVM's accounts may log in only there, as on ONTAP."""
    lif = IpInterface(
        name="mgmt",
        svm={"uuid": svm.uuid},
        ip={"address": address, "netmask": "24"},
        location={"home_node": {"name": node}},
        service_policy={"name": "default-management"},
    )
    lif.set_connection(conn)
    lif.post()
    return lif


def create_account(conn: HostConnection, svm: Svm, name: str, password: str = ACCOUNT_PASSWORD) -> Account:
    """An SVM-scoped vsadmin account with password login over HTTP."""
    account = Account(
        name=name,
        owner={"uuid": svm.uuid},
        role={"name": "vsadmin"},
        applications=[{"application": "http", "authentication_methods": ["password"]}],
        password=password,
    )
    account.set_connection(conn)
    account.post()
    return account


def error_of(error: NetAppRestError) -> dict[str, Any]:
    """ONTAP's `error` object from a failed call's body."""
    body: dict[str, Any] = error.response_body or {}
    return dict(body.get("error", {}))


def code_of(error: NetAppRestError) -> str:
    """ONTAP's error code from a failed call's body."""
    return str(error_of(error)["code"])


def change(resource: R, **fields: Any) -> R:
    """Set fields on a resource, as callers do before `patch()` (the library diffs them)."""
    for name, value in fields.items():
        setattr(resource, name, value)
    return resource
