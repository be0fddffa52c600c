"""Basic authentication against the fake's accounts, and what an SVM-scoped account may read.

Cluster-scoped accounts see everything. An SVM-scoped account may only read its own SVM, its
SVM's interfaces and its own account record; collections are narrowed to those records.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

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


def authenticate(state: FakeState, authorization: str | None) -> Principal | None:
    """The principal whose password matches, or None (unknown user, wrong password, locked)."""
    credentials = _decode(authorization)
    if credentials is None:
        return None
    user, password = credentials
    for account in state.accounts.values():
        if account["name"] != user or account.get("locked"):
            continue
        stored = str(account.get("_password", ""))
        if stored and hmac.compare_digest(stored.encode(), password.encode()):
            scope_uuid = None if account.get("scope") == "cluster" else account["owner"]["uuid"]
            return Principal(user=user, svm_uuid=scope_uuid)
    return None


# (method, route template) an SVM-scoped account may call; instance routes are checked further.
SVM_SCOPED_ROUTES = frozenset(
    {
        ("GET", "/api/svm/svms"),
        ("GET", "/api/svm/svms/{uuid}"),
        ("GET", "/api/network/ip/interfaces"),
        ("GET", "/api/network/ip/interfaces/{uuid}"),
        ("GET", "/api/security/accounts"),
        ("GET", "/api/security/accounts/{owner_uuid}/{name}"),
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
    if normalized == "/api/security/accounts/{owner_uuid}/{name}":
        return match_info.get("owner_uuid") == principal.svm_uuid and match_info.get("name") == principal.user
    return True
