"""The shoot endpoint from the generic token kubeconfig and the shoot-access Secret (pure)."""

from __future__ import annotations

import base64

import pytest
import yaml

from controller.shoot_access.kubeconfig import (
    ShootAccessError,
    endpoint_from_secrets,
    generic_kubeconfig_secret_name,
    in_cluster_server,
)

NS = "shoot--p1--s1"
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def kubeconfig(server: str = "https://kube-apiserver", user: dict[str, str] | None = None) -> str:
    """The shape gardenlet writes (GenerateGenericTokenKubeconfig): the token is a file of the pod."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": NS,
            "clusters": [
                {
                    "name": NS,
                    "cluster": {
                        "server": server,
                        "certificate-authority-data": base64.b64encode(CA.encode()).decode(),
                    },
                }
            ],
            "contexts": [{"name": NS, "context": {"cluster": NS, "user": NS}}],
            "users": [
                {
                    "name": NS,
                    "user": user
                    or {"tokenFile": "/var/run/secrets/gardener.cloud/shoot/generic-kubeconfig/token"},
                }
            ],
        }
    )


def test_generic_kubeconfig_name_from_the_cluster_annotation_with_gardeners_fallback() -> None:
    annotated = {
        "metadata": {
            "annotations": {
                "generic-token-kubeconfig.secret.gardener.cloud/name": "generic-token-kubeconfig-a1b2c3d4"
            }
        }
    }
    assert generic_kubeconfig_secret_name(annotated) == "generic-token-kubeconfig-a1b2c3d4"
    assert generic_kubeconfig_secret_name({"metadata": {}}) == "generic-token-kubeconfig"


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("https://kube-apiserver", f"https://kube-apiserver.{NS}.svc"),
        ("https://kube-apiserver:443", f"https://kube-apiserver.{NS}.svc:443"),
        ("kube-apiserver", f"https://kube-apiserver.{NS}.svc"),
        ("https://api.s1.p1.example.com", "https://api.s1.p1.example.com"),
        ("https://127.0.0.1:6443", "https://127.0.0.1:6443"),
        ("https://localhost:6443", "https://localhost:6443"),
    ],
)
def test_in_cluster_server(server: str, expected: str) -> None:
    assert in_cluster_server(server, NS) == expected


def test_token_from_the_access_secret_server_and_ca_from_the_generic_kubeconfig() -> None:
    endpoint = endpoint_from_secrets(
        NS, "generic-token-kubeconfig", {"kubeconfig": kubeconfig()}, "shoot-access-x", {"token": "tkn"}
    )
    assert (endpoint.server, endpoint.ca_pem, endpoint.token) == (
        f"https://kube-apiserver.{NS}.svc",
        CA,
        "tkn",
    )
    assert "tkn" not in repr(endpoint)


def test_access_secret_with_its_own_kubeconfig_wins() -> None:
    own = kubeconfig("https://10.0.0.1", user={"token": "injected"})
    endpoint = endpoint_from_secrets(NS, "g", None, "shoot-access-x", {"kubeconfig": own})
    assert (endpoint.server, endpoint.token) == ("https://10.0.0.1", "injected")


def test_fingerprint_changes_with_the_token() -> None:
    first = endpoint_from_secrets(NS, "g", {"kubeconfig": kubeconfig()}, "a", {"token": "one"})
    second = endpoint_from_secrets(NS, "g", {"kubeconfig": kubeconfig()}, "a", {"token": "two"})
    assert first.fingerprint != second.fingerprint


@pytest.mark.parametrize(
    ("generic", "access", "expected"),
    [
        ({"kubeconfig": kubeconfig()}, None, f"Secret {NS}/shoot-access-x not found"),
        ({"kubeconfig": kubeconfig()}, {}, f"Secret {NS}/shoot-access-x has no key 'token' yet"),
        (None, {"token": "t"}, f"Secret {NS}/generic-token-kubeconfig not found"),
        ({}, {"token": "t"}, f"Secret {NS}/generic-token-kubeconfig has no key 'kubeconfig'"),
        ({"kubeconfig": ": ["}, {"token": "t"}, "is not valid YAML"),
        ({"kubeconfig": kubeconfig(server="")}, {"token": "t"}, "names no cluster server"),
        (
            {"kubeconfig": kubeconfig().replace("certificate-authority-data", "x")},
            {"token": "t"},
            "no certificate-authority-data",
        ),
        (
            None,
            {"kubeconfig": kubeconfig()},
            f"Secret {NS}/shoot-access-x has no token in its kubeconfig yet",
        ),
    ],
)
def test_errors_name_the_secret_and_key(
    generic: dict[str, str] | None, access: dict[str, str] | None, expected: str
) -> None:
    with pytest.raises(ShootAccessError) as caught:
        endpoint_from_secrets(NS, "generic-token-kubeconfig", generic, "shoot-access-x", access)
    assert expected in str(caught.value)
