"""The local shoot side itself: Gardener's shoot access via the token requestor, and GRM's target cache."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import urllib.request
from typing import Any

import yaml

from controller.shoot_resources import names
from hack.localenv.resource_manager import (
    GENERIC_TOKEN_KUBECONFIG,
    GENERIC_TOKEN_KUBECONFIG_ANNOTATION,
    PATH_SHOOT_TOKEN,
    TOKEN_RENEW_ANNOTATION,
    shoot_access_secret,
)
from tests.shoot_env_fixtures import ShootEnv, conditions_of
from tests.shoot_side.conftest import ShootSide


def _kubeconfig_of(secret: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(base64.b64decode(secret["data"]["kubeconfig"]))
    return config


def _who_am_i(server: str, ca_pem: str, token: str) -> dict[str, Any]:
    """A SelfSubjectReview against the shoot: who the apiserver takes the token for."""
    body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}).encode()
    request = urllib.request.Request(
        f"{server}/apis/authentication.k8s.io/v1/selfsubjectreviews", data=body, method="POST"
    )
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    context = ssl.create_default_context(cadata=ca_pem)
    with urllib.request.urlopen(request, timeout=5, context=context) as response:
        review: dict[str, Any] = json.loads(response.read())
    return review


async def test_the_token_requestor_gives_a_shoot_access_secret_a_token_the_shoot_accepts(
    shoot_env: ShootEnv,
) -> None:
    seed = shoot_env.seed.apiserver
    ns = shoot_env.namespace
    generic = await asyncio.to_thread(
        seed.request, "GET", f"/api/v1/namespaces/{ns}/secrets/{GENERIC_TOKEN_KUBECONFIG}"
    )
    generic_config = _kubeconfig_of(generic)
    [user] = generic_config["users"]
    assert user["user"] == {"tokenFile": PATH_SHOOT_TOKEN}, "the generic kubeconfig carries no credentials"
    [cluster] = generic_config["clusters"]
    server = cluster["cluster"]["server"]
    ca_pem = base64.b64decode(cluster["cluster"]["certificate-authority-data"]).decode()
    assert server == shoot_env.shoot.server

    await asyncio.to_thread(
        seed.apply,
        shoot_access_secret("extension-ontap", ns, shoot_env.shoot),
        f"/api/v1/namespaces/{ns}/secrets",
    )

    async def token_written() -> dict[str, Any] | None:
        secret = await asyncio.to_thread(
            seed.request, "GET", f"/api/v1/namespaces/{ns}/secrets/shoot-access-extension-ontap"
        )
        return secret if TOKEN_RENEW_ANNOTATION in (secret["metadata"].get("annotations") or {}) else None

    secret = await shoot_env.wait_for(
        "the token requestor to fill shoot-access-extension-ontap", token_written
    )
    token = _kubeconfig_of(secret)["users"][0]["user"]["token"]
    assert token
    review = await asyncio.to_thread(_who_am_i, server, ca_pem, token)
    assert review["status"]["userInfo"]["username"] == "system:serviceaccount:kube-system:extension-ontap"
    account = await shoot_env.shoot_get("/api/v1/namespaces/kube-system/serviceaccounts/extension-ontap")
    assert account is not None and account["automountServiceAccountToken"] is False


async def test_the_cluster_names_the_generic_token_kubeconfig(side: ShootSide) -> None:
    await side.create()
    cluster = await asyncio.to_thread(
        side.env.seed.apiserver.request,
        "GET",
        f"/apis/extensions.gardener.cloud/v1alpha1/clusters/{side.shoot.namespace}",
    )
    assert cluster["metadata"]["annotations"][GENERIC_TOKEN_KUBECONFIG_ANNOTATION] == GENERIC_TOKEN_KUBECONFIG


async def test_a_trident_namespace_outside_the_target_cache_is_refused(side: ShootSide) -> None:
    """A shoot's GRM caches only Gardener's kube-system, kubernetes-dashboard and kube-node-lease
    (gardenlet's TargetNamespaces) plus what metal-stack adds (`firewall`, metallb-system, csi-lvm, audit):
    with `trident.namespace: trident` our Secret cannot even be applied, which is why the default is
    kube-system (docs/shoot-resources.md, "Trident's namespace")."""
    side.configure(trident=side.world.config.trident.model_copy(update={"namespace": "trident"}))
    await asyncio.to_thread(side.env.shoot.create_namespace, "trident")
    await side.create()
    await side.shoot.reconcile()
    mr = await side.env.wait_for_conditions(
        names.CREDENTIALS_MR, {"ResourcesApplied": "False"}, limit=90, current=False
    )
    message = conditions_of(mr)["ResourcesApplied"]["message"]
    assert "v1/Secret/trident/ontap-svm-credentials" in message, message
    assert "unknown namespace for the cache" in message, message
    assert await side.env.shoot_secret_data("trident", names.SHOOT_CREDENTIALS_SECRET) is None
