"""The real kube-apiserver calls the admission webhook over HTTPS (its CA in the caBundle) for Shoots.

Shoots are a stand-in CRD (hack/crds/garden/core.gardener.cloud_shoots.yaml): the apiserver sends the
AdmissionReview exactly as it would for Gardener's own Shoot API, and turns our answer into the error
the user sees.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from controller.admission.server import VALIDATE_PATH, AdmissionSettings, start
from hack.localenv.kube import KubeApiError, LocalKubeApiServer
from ontap.fake.tls import FakeCertificateAuthority
from tests.admission.test_rules import shoot
from tests.kube_fixtures import KubeTestEnv

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

REPO = Path(__file__).resolve().parents[2]
SHOOT_CRD = REPO / "hack" / "crds" / "garden" / "core.gardener.cloud_shoots.yaml"
WEBHOOKS = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"


def webhook_configuration(name: str, port: int, ca_pem: bytes, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [
            {
                "name": "validation.ontap.admission.extensions.gardener.cloud",
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "failurePolicy": "Fail",
                "timeoutSeconds": 10,
                "clientConfig": {
                    "url": f"https://127.0.0.1:{port}{VALIDATE_PATH}",
                    "caBundle": base64.b64encode(ca_pem).decode(),
                },
                "rules": [
                    {
                        "apiGroups": ["core.gardener.cloud"],
                        "apiVersions": ["v1beta1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["shoots"],
                        "scope": "Namespaced",
                    }
                ],
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
            }
        ],
    }


class Garden:
    def __init__(self, apiserver: LocalKubeApiServer, namespace: str) -> None:
        self.apiserver = apiserver
        self.path = f"/apis/core.gardener.cloud/v1beta1/namespaces/{namespace}/shoots"
        self.namespace = namespace

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        # urllib in a thread: the webhook answers on this test's event loop meanwhile.
        return await asyncio.to_thread(self.apiserver.request, method, path, body)

    def body(self, name: str, config: Any = None) -> dict[str, Any]:
        obj = shoot(config)
        obj["metadata"].update(name=name, namespace=self.namespace)
        return obj

    async def refused(self, method: str, path: str, body: dict[str, Any]) -> KubeApiError:
        with pytest.raises(KubeApiError) as caught:
            await self.call(method, path, body)
        return caught.value


@pytest.fixture
async def garden(kube: KubeTestEnv, tmp_path: Path) -> AsyncIterator[Garden]:
    apiserver = kube.apiserver
    await asyncio.to_thread(apiserver.install_crds, [SHOOT_CRD])
    authority = FakeCertificateAuthority(tmp_path / "admission-ca.pem")
    context = authority.server_context(("127.0.0.1",))
    runner, port = await start(AdmissionSettings(), host="127.0.0.1", port=0, context=context)
    name = f"ontap-admission-{uuid.uuid4().hex[:8]}"
    config = webhook_configuration(name, port, authority.path.read_bytes(), kube.namespace)
    garden = Garden(apiserver, kube.namespace)
    await garden.call("POST", WEBHOOKS, config)
    try:
        await _wait_until_active(garden)
        yield garden
    finally:
        with contextlib.suppress(KubeApiError):
            await garden.call("DELETE", f"{WEBHOOKS}/{name}")
        await runner.cleanup()


async def _wait_until_active(garden: Garden, within: float = 30.0) -> None:
    """The apiserver picks up a new webhook configuration asynchronously: probe with an invalid Shoot."""
    deadline = time.monotonic() + within
    probe = garden.body("probe", {"kind": "broken"})
    while time.monotonic() < deadline:
        try:
            await garden.call("POST", garden.path, probe)
        except KubeApiError as err:
            if "denied the request" in err.body:
                return
            raise
        await garden.call("DELETE", f"{garden.path}/probe")
        await asyncio.sleep(0.2)
    raise AssertionError("the webhook configuration never became active")


async def test_the_apiserver_refuses_an_invalid_provider_config_with_the_field_named(garden: Garden) -> None:
    bad = garden.body("bad")
    bad["spec"]["extensions"][1]["providerConfig"]["svmIpaddresses"]["managementLif"] = "300.1.1.1"
    err = await garden.refused("POST", garden.path, bad)
    assert err.status == 403, err.body
    assert "denied the request" in err.body
    assert "providerConfig.svmIpaddresses.managementLif" in err.body, err.body
    with pytest.raises(KubeApiError) as missing:
        await garden.call("GET", f"{garden.path}/bad")
    assert missing.value.status == 404


async def test_a_valid_shoot_is_admitted_and_only_changes_the_controller_can_make(garden: Garden) -> None:
    created = await garden.call("POST", garden.path, garden.body("good"))
    assert created["metadata"]["name"] == "good"

    moved = copy.deepcopy(created)
    moved["spec"]["extensions"][1]["providerConfig"]["svmIpaddresses"]["managementLif"] = "127.0.0.20"
    err = await garden.refused("PUT", f"{garden.path}/good", moved)
    assert err.status == 403 and "svmIpaddresses.managementLif" in err.body and "never moves" in err.body

    rebound = copy.deepcopy(created)
    rebound["metadata"]["annotations"]["cluster.metal-stack.io/project"] = "5678-ef"
    err = await garden.refused("PUT", f"{garden.path}/good", rebound)
    assert err.status == 403 and "changing the project" in err.body

    grown = copy.deepcopy(created)
    grown["spec"]["extensions"][1]["providerConfig"]["svmIpaddresses"]["dataLifs"].append("127.0.0.30")
    updated = await garden.call("PUT", f"{garden.path}/good", grown)
    assert (
        updated["spec"]["extensions"][1]["providerConfig"]["svmIpaddresses"]["dataLifs"][-1] == "127.0.0.30"
    )
