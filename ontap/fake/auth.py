"""Basic authentication against the fake's accounts, and what an SVM-scoped account may read.

Cluster-scoped accounts see everything. An SVM-scoped account logs in only at a management LIF of
its own SVM (see `ontap.fake.listeners`) and may only read what its role allows; collections are
narrowed to its SVM's records.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import Any

from ontap.fake.index import accounts_named, index_of
from ontap.fake.store import FakeState


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account name and, for SVM-scoped accounts, the SVM's uuid."""

    user: str
    svm_uuid: str | None = None

    @property
    def is_cluster_scoped(self) -> bool:
        """True for cluster administrators."""
        return self.svm_uuid is None


def claimed_user(authorization: str | None) -> str | None:
    """The user name a Basic `Authorization` header claims (for the request log), if any."""
    credentials = _decode(authorization)
    return credentials[0] if credentials else None


def _decode(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None


def authenticate(
    state: FakeState, authorization: str | None, local_address: str | None = None
) -> Principal | None:
    """The principal whose password matches, or None (unknown user, wrong password, locked).

    An SVM-scoped account is let in only at a management LIF of its own SVM (`local_address`, the
    address the request arrived at) and only with the `http` application, as ONTAP does; at the
    cluster address it gets the same 401 as a wrong password.
    """
    credentials = _decode(authorization)
    if credentials is None:
        return None
    user, password = credentials
    for account in accounts_named(state, user):
        if account.get("locked"):
            continue
        stored = str(account.get("_password", ""))
        if not stored or not hmac.compare_digest(stored.encode(), password.encode()):
            continue
        if account.get("scope") == "cluster":
            return Principal(user=user)
        svm_uuid = account["owner"]["uuid"]
        if _has_http(account) and index_of(state).management_lifs.get(local_address or "") == svm_uuid:
            return Principal(user=user, svm_uuid=svm_uuid)
    return None


def _has_http(account: dict[str, Any]) -> bool:
    applications = account.get("applications") or []
    return any(isinstance(a, dict) and a.get("application") == "http" for a in applications)


# (method, route template) an SVM-scoped account may call; instance routes are checked further.
# Only reads NetApp shows vsadmin making: the cluster and its own SVM (Trident's ontap_rest.go),
# its SVM's network interfaces and jobs (the vsadmin role in NetApp's predefined-role table).
# Account records are not among them: reading them as vsadmin is unproven, so it is 403.
SVM_SCOPED_ROUTES = frozenset(
    {
        ("GET", "/api/cluster"),
        ("GET", "/api/svm/svms"),
        ("GET", "/api/svm/svms/{uuid}"),
        ("GET", "/api/network/ip/interfaces"),
        ("GET", "/api/network/ip/interfaces/{uuid}"),
        ("GET", "/api/cluster/jobs/{uuid}"),
    }
)


def may_call(principal: Principal, method: str, template: str, match_info: dict[str, str]) -> bool:
    """Whether the principal's role allows this call at all (records are narrowed separately)."""
    if principal.is_cluster_scoped:
        return True
    normalized = template.rstrip("/") or "/"
    if (method, normalized) not in SVM_SCOPED_ROUTES:
        return False
    if normalized == "/api/svm/svms/{uuid}":
        return match_info.get("uuid") == principal.svm_uuid
    return True
