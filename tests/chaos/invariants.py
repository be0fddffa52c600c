"""What must hold once the faults have cleared, checked against the stores themselves.

The ONTAP side is read from the fake's state, Kubernetes straight from the apiserver, and a
password is proven by logging in to the fake as the account over HTTP: none of it goes through the
controller's own code, so a bug there cannot make its own check pass.
"""

from __future__ import annotations

import asyncio
import base64
import copy
from dataclasses import dataclass
from typing import Any

import aiohttp

from ontap.fake.listeners import management_lifs
from ontap.fake.testing import FakeOntapServer
from ontap.naming import account_name, svm_name
from tests.chaos.bed import Admin, ShootUnderTest

SEED_SECRET = "ontap-svm-credentials"
CONTENT_SECRET_PREFIX = "managedresource-"
MANAGED_RESOURCES = "/apis/resources.gardener.cloud/v1alpha1/namespaces/{ns}/managedresources"


@dataclass(frozen=True)
class OntapView:
    """A copy of what the fake cluster holds that the controller manages."""

    svms: list[dict[str, Any]]
    interfaces: list[dict[str, Any]]
    accounts: list[dict[str, Any]]

    @classmethod
    def of(cls, fake: FakeOntapServer) -> OntapView:
        with fake.lock:
            state = fake.state
            svms = copy.deepcopy(list(state.svms.values()))
            interfaces = copy.deepcopy(list(state.interfaces.values()))
            accounts = copy.deepcopy([a for a in state.accounts.values() if a.get("scope") != "cluster"])
        return cls(svms, interfaces, accounts)

    def svms_named(self, name: str) -> list[dict[str, Any]]:
        return [s for s in self.svms if s["name"] == name]

    def interfaces_of(self, svm_uuid: str) -> list[dict[str, Any]]:
        return [i for i in self.interfaces if i["svm"]["uuid"] == svm_uuid]

    def accounts_of(self, svm_uuid: str) -> list[dict[str, Any]]:
        return [a for a in self.accounts if a["owner"]["uuid"] == svm_uuid]


def every_password(fake: FakeOntapServer) -> set[str]:
    """Every password any account of the fake has ever had (current and history)."""
    with fake.lock:
        accounts = list(fake.state.accounts.values())
        found: set[str] = set()
        for account in accounts:
            if account.get("_password"):
                found.add(str(account["_password"]))
            found.update(str(p) for p in account.get("_password_history", []) if p)
    return found


async def authenticates(fake: FakeOntapServer, owner_uuid: str, username: str, password: str) -> bool:
    """Log in to the fake as the SVM account where ONTAP lets it in: a management LIF of its SVM."""
    with fake.lock:
        addresses = [a for a, svm in management_lifs(fake.state).items() if svm == owner_uuid]
    if not addresses:
        return False
    url = f"{fake.scheme}://{addresses[0]}:{fake.port}/api/network/ip/interfaces?svm.uuid={owner_uuid}"
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Basic {token}"}) as session,
        session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response,
    ):
        return response.status == 200


def _decode(data: dict[str, str] | None) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (data or {}).items()}


async def shoot_side_passwords(admin: Admin, namespace: str) -> tuple[list[str], list[str]]:
    """Passwords the ManagedResources deliver to the shoot (from the content secrets they reference),
    and the content secrets that no ManagedResource references any more (left behind)."""
    managed = await asyncio.to_thread(admin.apiserver.request, "GET", MANAGED_RESOURCES.format(ns=namespace))
    referenced = {
        ref["name"]
        for item in managed.get("items", [])
        for ref in (item.get("spec") or {}).get("secretRefs", [])
    }
    passwords: list[str] = []
    unreferenced: list[str] = []
    listing = await admin.core.list_namespaced_secret(namespace)
    for secret in listing.items:
        name = secret.metadata.name
        if not name.startswith(CONTENT_SECRET_PREFIX):
            continue
        if name not in referenced:
            unreferenced.append(name)
            continue
        for text in _decode(secret.data).values():
            for document in _yaml_documents(text):
                if document.get("kind") != "Secret":
                    continue
                values = {**_decode(document.get("data")), **(document.get("stringData") or {})}
                if "password" in values:
                    passwords.append(values["password"])
    return passwords, unreferenced


def _yaml_documents(text: str) -> list[dict[str, Any]]:
    import yaml

    try:
        return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []


async def converged_violations(
    fake: FakeOntapServer,
    admin: Admin,
    shoots: list[ShootUnderTest],
    *,
    shoot_resources: bool = True,
) -> list[str]:
    """Everything that is not as it should be after convergence; empty when all invariants hold."""
    problems: list[str] = []
    view = OntapView.of(fake)
    projects = {s.project_id for s in shoots}
    expected_svms = {svm_name(p) for p in projects}
    for other in view.svms:
        if other["name"] not in expected_svms:
            problems.append(f"orphaned SVM {other['name']}")
    for project in sorted(projects):
        name = svm_name(project)
        found = view.svms_named(name)
        if len(found) != 1:
            problems.append(f"{len(found)} SVMs named {name}, want exactly 1")
            continue
        svm = found[0]
        if svm.get("state") != "running":
            problems.append(f"SVM {name} is {svm.get('state')}")
        wanted_ips = set().union(*(s.wanted_ips for s in shoots if s.project_id == project))
        ips = sorted(i["ip"]["address"] for i in view.interfaces_of(svm["uuid"]))
        if sorted(wanted_ips) != ips:
            problems.append(f"SVM {name} has LIF addresses {ips}, want {sorted(wanted_ips)}")
        wanted_accounts = sorted(account_name(s.namespace) for s in shoots if s.project_id == project)
        accounts = sorted(a["name"] for a in view.accounts_of(svm["uuid"]))
        if accounts != wanted_accounts:
            problems.append(f"SVM {name} has accounts {accounts}, want {wanted_accounts}")
    known_svm_uuids = {s["uuid"] for s in view.svms}
    for interface in view.interfaces:
        if interface["svm"]["uuid"] not in known_svm_uuids:
            problems.append(f"orphaned LIF {interface['name']} ({interface['ip']['address']})")
    for shoot in shoots:
        problems.extend(await _shoot_violations(fake, admin, view, shoot, shoot_resources))
    return problems


async def _shoot_violations(
    fake: FakeOntapServer, admin: Admin, view: OntapView, shoot: ShootUnderTest, shoot_resources: bool
) -> list[str]:
    problems: list[str] = []
    ext = await admin.extension(shoot)
    if ext is None:
        return [f"{shoot.namespace}: Extension is gone"]
    last = (ext.get("status") or {}).get("lastOperation") or {}
    if last.get("state") != "Succeeded":
        problems.append(
            f"{shoot.namespace}: lastOperation {last.get('type')}/{last.get('state')}: "
            f"{last.get('description', '')[:300]}"
        )
    svms = view.svms_named(svm_name(shoot.project_id))
    secret = await admin.secret_data(shoot.namespace, SEED_SECRET)
    if secret is None:
        problems.append(f"{shoot.namespace}: seed secret {SEED_SECRET} missing")
    elif svms:
        username = secret.get("username", "")
        if username != account_name(shoot.namespace):
            problems.append(f"{shoot.namespace}: seed secret names user {username!r}")
        elif not await authenticates(fake, svms[0]["uuid"], username, secret.get("password", "")):
            problems.append(f"{shoot.namespace}: the seed secret's password does not authenticate on ONTAP")
        if shoot_resources:
            delivered, unreferenced = await shoot_side_passwords(admin, shoot.namespace)
            if unreferenced:
                problems.append(
                    f"{shoot.namespace}: ManagedResource content secrets left behind: {unreferenced}"
                )
            if not delivered:
                problems.append(f"{shoot.namespace}: no ManagedResource secret carries ONTAP credentials")
            for password in delivered:
                if not await authenticates(fake, svms[0]["uuid"], username, password):
                    problems.append(f"{shoot.namespace}: the shoot's Trident password does not authenticate")
    return problems


async def deleted_violations(
    fake: FakeOntapServer, admin: Admin, gone: ShootUnderTest, remaining: list[ShootUnderTest]
) -> list[str]:
    """What is left of a deleted shoot that should not be (the project's SVM stays while others use it)."""
    problems: list[str] = []
    if await admin.extension(gone) is not None:
        problems.append(f"{gone.namespace}: Extension still present (finalizer not removed)")
    view = OntapView.of(fake)
    username = account_name(gone.namespace)
    for account in view.accounts:
        if account["name"] == username:
            problems.append(f"account {username} still on SVM {account['owner']['name']}")
    svms = view.svms_named(svm_name(gone.project_id))
    if any(s.project_id == gone.project_id for s in remaining):
        if len(svms) != 1:
            problems.append(f"SVM {svm_name(gone.project_id)} shared by another shoot: {len(svms)} found")
    elif svms:
        problems.append(f"SVM {svm_name(gone.project_id)} of the deleted project is still there")
    if await admin.secret_data(gone.namespace, SEED_SECRET) is not None:
        problems.append(f"{gone.namespace}: seed secret still present")
    leftover = await admin.list_names(MANAGED_RESOURCES.format(ns=gone.namespace))
    if leftover:
        problems.append(f"{gone.namespace}: ManagedResources left: {leftover}")
    known = {s["uuid"] for s in view.svms}
    for interface in view.interfaces:
        if interface["svm"]["uuid"] not in known:
            problems.append(f"orphaned LIF {interface['name']}")
    return problems
