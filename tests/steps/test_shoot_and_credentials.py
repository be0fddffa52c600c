"""Reading the shoot from a Cluster, and the passwords the controller generates."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.credentials import ALPHABET, SeedCredentials, generate_password, is_acceptable
from controller.shoot import ShootInfo, ShootInfoError

ANNOTATION = "cluster.metal-stack.io/project"


def cluster(annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "shoot--proj--s1"},
        "spec": {
            "shoot": {
                "metadata": {
                    "name": "s1",
                    "namespace": "garden-proj",
                    "uid": "u-1",
                    "annotations": {ANNOTATION: "1234-abcd"} if annotations is None else annotations,
                },
                "spec": {"purpose": "production", **spec},
                "status": {"hibernated": False},
            }
        },
    }


def test_shoot_info_from_cluster() -> None:
    info = ShootInfo.from_cluster(cluster(), ANNOTATION)
    assert info.technical_id == "shoot--proj--s1"
    assert (info.project_id, info.shoot_name, info.shoot_namespace) == ("1234-abcd", "s1", "garden-proj")
    assert (info.uid, info.purpose, info.hibernated, info.force_deletion) == (
        "u-1",
        "production",
        False,
        False,
    )


def test_hibernation_and_force_deletion() -> None:
    annotations = {ANNOTATION: "p", "confirmation.gardener.cloud/force-deletion": "true"}
    info = ShootInfo.from_cluster(cluster(annotations, hibernation={"enabled": True}), ANNOTATION)
    assert info.hibernated and info.force_deletion


def test_missing_project_annotation_names_annotation_and_shoot() -> None:
    with pytest.raises(ShootInfoError) as info:
        ShootInfo.from_cluster(cluster({}), ANNOTATION)
    assert ANNOTATION in str(info.value)
    assert "garden-proj/s1" in str(info.value)


def test_custom_annotation_name() -> None:
    info = ShootInfo.from_cluster(cluster({"example.com/project": "x1"}), "example.com/project")
    assert info.project_id == "x1"


def test_cluster_without_shoot() -> None:
    with pytest.raises(ShootInfoError, match=r"spec\.shoot"):
        ShootInfo.from_cluster({"metadata": {"name": "c"}, "spec": {}}, ANNOTATION)


@settings(max_examples=200)
@given(
    length=st.integers(min_value=8, max_value=128), username=st.sampled_from(["", "ab", "shoot-user", "x1"])
)
def test_generated_passwords_meet_ontap_rules(length: int, username: str) -> None:
    password = generate_password(length, username=username).get_secret_value()
    assert len(password) == length
    assert set(password) <= set(ALPHABET)
    assert any(c in string.ascii_letters for c in password)
    assert any(c in string.digits for c in password)
    assert not username or username not in password.lower()
    assert is_acceptable(password, username=username)


@pytest.mark.parametrize("length", [7, 129])
def test_password_length_bounds(length: int) -> None:
    with pytest.raises(ValueError, match="between 8 and 128"):
        generate_password(length)


def test_acceptable_rules() -> None:
    assert not is_acceptable("onlyletters")
    assert not is_acceptable("12345678")
    assert not is_acceptable("abcUSER123", username="user")
    assert is_acceptable("abc12345")


def test_credentials_repr_hides_password() -> None:
    creds = SeedCredentials("u", generate_password(32), "s", "ns")
    assert creds.password.get_secret_value() not in repr(creds)
    assert creds.password.get_secret_value() not in str(creds)
