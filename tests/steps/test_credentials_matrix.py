"""Every combination of account x seed secret x password state reaches a working state in ONE pass."""

from __future__ import annotations

import itertools

import pytest
from pydantic import SecretStr

from controller.kube.secrets import delete_secret, get_secret, replace_secret
from ontap.provisioning.account import set_password
from ontap.provisioning.deletion import delete_account
from tests.steps.conftest import ShootBed

SECRET_STATES = [
    "missing",
    "no-username-key",
    "no-password-key",
    "empty-password",
    "wrong-username",
    "valid",
]
ACCOUNT_STATES = ["exists", "missing"]
PASSWORD_STATES = ["works", "changed-on-ontap"]


@pytest.mark.parametrize(
    ("account", "secret", "password"),
    [
        combo
        for combo in itertools.product(ACCOUNT_STATES, SECRET_STATES, PASSWORD_STATES)
        # A missing account has no password to change.
        if not (combo[0] == "missing" and combo[2] == "changed-on-ontap")
    ],
)
async def test_state_matrix_converges_in_one_pass(
    bed: ShootBed, account: str, secret: str, password: str
) -> None:
    shoot = bed.shoot()
    await shoot.create()
    assert (await shoot.reconcile()).error is None
    svm = await bed.admin_svm(shoot.svm_name)
    if password == "changed-on-ontap":
        await set_password(bed.client, svm, shoot.username, SecretStr("changed-elsewhere-7"))
    if account == "missing":
        await delete_account(bed.client, svm, shoot.username)
    stored = await get_secret(bed.api_client, shoot.namespace, "ontap-svm-credentials")
    assert stored is not None
    if secret == "missing":
        await delete_secret(bed.api_client, shoot.namespace, "ontap-svm-credentials")
    elif secret != "valid":
        data = dict(stored.data)
        if secret == "no-username-key":
            del data["username"]
        elif secret == "no-password-key":
            del data["password"]
        elif secret == "empty-password":
            data["password"] = ""
        elif secret == "wrong-username":
            data["username"] = "somebody-else"
        await replace_secret(bed.api_client, stored, data)

    result = await shoot.reconcile()

    assert result.error is None, result.error.message if result.error else ""
    repaired = await shoot.secret()
    assert repaired is not None
    assert repaired.data["username"] == shoot.username
    assert "pending-password" not in repaired.data
    assert await shoot.login_works()
    # A second pass finds nothing left to do.
    again = await shoot.reconcile()
    assert again.error is None and not any(o.changed for o in again.outcomes)
