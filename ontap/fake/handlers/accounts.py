"""`/api/security/accounts`: cluster- and SVM-scoped users, keyed by `{owner.uuid}/{name}`.

Passwords are stored for authentication and never rendered.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ontap.fake import errors
from ontap.fake.errors import FakeApiError, bad_field, not_found, required
from ontap.fake.handlers.common import (
    collection_answer,
    fake_of,
    instance_answer,
    only_fields,
    principal_of,
    query_of,
    read_body,
    respond,
    svm_from_ref,
    with_links,
)
from ontap.fake.index import candidates
from ontap.fake.query import filters_of
from ontap.fake.simulator import FakeOntap
from ontap.fake.store import Record, account_key

ACCOUNTS = "/api/security/accounts"
KEY_FIELDS = ["owner.uuid", "owner.name", "name"]
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.@\-]+")
# Trident account_create_responses.go: 5636121 "reserved for use by the system", 5636126 AutoSupport
RESERVED_NAMES = frozenset({"admin", "root", "diag"})
AUTOSUPPORT_NAME = "autosupport"
SVM_ROLES = frozenset(
    {
        "vsadmin",
        "vsadmin-readonly",
        "vsadmin-protocol",
        "vsadmin-volume",
        "vsadmin-backup",
        "vsadmin-snaplock",
    }
)
CLUSTER_ROLES = frozenset({"admin", "readonly", "backup", "autosupport", "none"})
APPLICATIONS = frozenset({"http", "ontapi", "ssh", "console", "service_processor", "amqp"})
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
PASSWORD_HISTORY = 6  # the current password and the 5 before it
POST_FIELDS = {"name", "owner", "role", "applications", "password", "comment", "locked", "scope"}
PATCH_FIELDS = {"role", "applications", "password", "comment", "locked"}


def href_of(account: Record) -> str:
    """The account's instance path."""
    return f"{ACCOUNTS}/{account['owner']['uuid']}/{quote(account['name'], safe='')}"


def render(account: Record) -> Record:
    """The account as ONTAP shows it (never with a password)."""
    return with_links(account, href_of(account))


def _sort_key(record: Record) -> str:
    return account_key(record["owner"]["uuid"], record["name"])


def _visible(request: web.Request, account: Record) -> bool:
    principal = principal_of(request)
    if principal.is_cluster_scoped:
        return True
    return account["owner"]["uuid"] == principal.svm_uuid and account["name"] == principal.user


async def list_accounts(request: web.Request) -> web.Response:
    """GET /api/security/accounts (an SVM-scoped account sees only itself)."""
    fake = fake_of(request)
    with fake.lock:
        found = candidates(fake.state, "accounts", filters_of(query_of(request)))
        records = [render(a) for a in found if _visible(request, a)]
        return collection_answer(request, records, KEY_FIELDS, _sort_key)


def _existing(request: web.Request) -> Record:
    fake = fake_of(request)
    owner_uuid, name = request.match_info["owner_uuid"], request.match_info["name"]
    account = fake.state.accounts.get(account_key(owner_uuid, name))
    if account is None:
        raise not_found(f"{owner_uuid}/{name}", "name")
    return account


async def get_account(request: web.Request) -> web.Response:
    """GET /api/security/accounts/{owner.uuid}/{name}."""
    fake = fake_of(request)
    with fake.lock:
        return instance_answer(request, render(_existing(request)), KEY_FIELDS)


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not 3 <= len(name) <= 64:
        raise FakeApiError(
            400, errors.ACCOUNT_NAME_LENGTH, "The user name must be between 3 and 64 characters.", "name"
        )
    if not NAME_PATTERN.fullmatch(name):
        raise FakeApiError(
            400,
            errors.ACCOUNT_NAME_BAD_CHARACTER,
            f'The user name "{name}" contains invalid characters.',
            "name",
        )
    if name.lower() == AUTOSUPPORT_NAME:
        raise FakeApiError(
            400,
            errors.ACCOUNT_NAME_AUTOSUPPORT,
            "Cannot create a user with the username or role as AutoSupport "
            "because it is reserved by the system.",
            "name",
        )
    if name.lower() in RESERVED_NAMES:
        raise FakeApiError(
            400,
            errors.ACCOUNT_NAME_RESERVED,
            "The user account name is reserved for use by the system.",
            "name",
        )
    return name


def _check_password(password: Any, user: str) -> str:
    """ONTAP's password rules (Trident account_create/modify_responses.go); messages never repeat it."""
    if not isinstance(password, str):
        raise bad_field("password", "<password>")
    if len(password) < PASSWORD_MIN_LENGTH:
        raise FakeApiError(
            400,
            errors.PASSWORD_TOO_SHORT,
            "The minimum length for new password does not meet the policy.",
            "password",
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise FakeApiError(
            400, errors.PASSWORD_TOO_LONG, "The password exceeds the maximum supported length.", "password"
        )
    if user.lower() in password.lower():
        raise FakeApiError(
            400, errors.PASSWORD_CONTAINS_USER, "The password cannot contain the username.", "password"
        )
    return password


def _new_password(account: Record, password: Any) -> dict[str, Any]:
    """The bookkeeping for a password change; ONTAP refuses the current and recent passwords."""
    wanted = _check_password(password, account["name"])
    current = account.get("_password")
    history = [p for p in account.get("_password_history", []) if p][: PASSWORD_HISTORY - 1]
    if wanted == current:
        # the wording NetApp's Ansible collection matches (tests/unit/.../test_na_ontap_user.py)
        raise FakeApiError(
            400,
            errors.PASSWORD_SAME_AS_OLD,
            "New password must be different than the old password.",
            "password",
        )
    if wanted in history:
        # the wording NetApp's Ansible collection matches (plugins/modules/na_ontap_user.py)
        raise FakeApiError(
            400,
            errors.PASSWORD_IN_HISTORY,
            f"New password must be different than last {PASSWORD_HISTORY} passwords.",
            "password",
        )
    kept = [p for p in [current, *history] if p][: PASSWORD_HISTORY - 1]
    return {"_password": wanted, "_password_history": kept}


def _role(value: Any, svm_scoped: bool) -> dict[str, str]:
    name = value.get("name") if isinstance(value, dict) else value
    known = SVM_ROLES if svm_scoped else CLUSTER_ROLES
    if name not in known:
        raise FakeApiError(400, errors.ROLE_MISSING, f'The role "{name}" does not exist.', "role.name")
    return {"name": str(name)}


def _applications(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise bad_field("applications", value)
    for entry in value:
        if not isinstance(entry, dict) or entry.get("application") not in APPLICATIONS:
            raise bad_field("applications.application", entry)
    return [
        {
            "application": e["application"],
            "authentication_methods": list(e.get("authentication_methods", ["password"])),
        }
        for e in value
    ]


async def create_account(request: web.Request) -> web.Response:
    """POST /api/security/accounts -> 201 with `Location: /api/security/accounts/<owner.uuid>/<name>`."""
    body = await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        only_fields(body, POST_FIELDS)
        if "name" not in body:
            raise required("name")
        name = _check_name(body["name"])
        owner = _owner(fake, body.get("owner"))
        svm_scoped = owner["uuid"] != fake.state.cluster.get("uuid")
        role = _role(body.get("role", "vsadmin" if svm_scoped else "admin"), svm_scoped)
        applications = _applications(
            body.get("applications", [{"application": "http", "authentication_methods": ["password"]}])
        )
        key = account_key(owner["uuid"], name)
        if key in fake.state.accounts:
            raise FakeApiError(
                409, errors.DUPLICATE_ENTRY, f'duplicate entry: user "{name}" already exists.', "name"
            )
        uses_password = any("password" in a["authentication_methods"] for a in applications)
        if uses_password and "password" not in body:
            raise required("password")
        account: Record = {
            "name": name,
            "owner": owner,
            "scope": "svm" if svm_scoped else "cluster",
            "role": role,
            "applications": applications,
            "locked": bool(body.get("locked", False)),
        }
        if "comment" in body:
            account["comment"] = body["comment"]
        if "password" in body:
            account["_password"] = _check_password(body["password"], name)
        fake.state.accounts[key] = account
        fake.state.changed("accounts", key)
        return respond({}, status=201, headers={"Location": href_of(account)})


def _owner(fake: FakeOntap, ref: Any) -> dict[str, str]:
    cluster = fake.state.cluster
    if ref is None or (
        isinstance(ref, dict)
        and ref.get("uuid", ref.get("name")) in (cluster.get("uuid"), cluster.get("name"))
    ):
        return {"name": str(cluster.get("name", "")), "uuid": str(cluster.get("uuid", ""))}
    svm = svm_from_ref(fake, ref, "owner")
    return {"name": svm["name"], "uuid": svm["uuid"]}


async def patch_account(request: web.Request) -> web.Response:
    """PATCH /api/security/accounts/{owner.uuid}/{name} (e.g. `{"password": ...}`)."""
    body = await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        account = _existing(request)
        only_fields(body, PATCH_FIELDS)
        changes: dict[str, Any] = {}
        if "password" in body:
            changes.update(_new_password(account, body["password"]))
        if "role" in body:
            changes["role"] = _role(body["role"], account["scope"] == "svm")
        if "applications" in body:
            changes["applications"] = _applications(body["applications"])
        if "locked" in body:
            changes["locked"] = bool(body["locked"])
        if "comment" in body:
            changes["comment"] = body["comment"]
        account.update(changes)
        return respond({})


async def delete_account(request: web.Request) -> web.Response:
    """DELETE /api/security/accounts/{owner.uuid}/{name}."""
    await read_body(request)
    fake = fake_of(request)
    with fake.lock:
        account = _existing(request)
        key = account_key(account["owner"]["uuid"], account["name"])
        del fake.state.accounts[key]
        fake.state.changed("accounts", key)
        return respond({})
