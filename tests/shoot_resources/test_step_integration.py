"""The shoot-resources step against a real kube-apiserver (no resource manager: MRs are only stored)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import structlog
import yaml
from kubernetes_asyncio import client as k8s

from controller.config import ControllerConfig
from controller.errorcodes import ErrorCode
from controller.kube.client import KubeRequestCounter
from controller.shoot import ShootInfo
from controller.shoot_resources import names
from controller.steps.base import ConditionStatus, PassState, StepError
from controller.steps.context import StepContext
from controller.steps.shoot_resources import ShootResourcesStep
from ontap.models import SvmInfo
from tests.kube_fixtures import KubeTestEnv, new_api_client
from tests.shoot_resources.helpers import (
    PASSWORD,
    SAMPLE_BUNDLE,
    SVM,
    controller_config,
    credentials,
    provider_config,
)
from tests.support import RecordedEvents

pytestmark = pytest.mark.integration

MR = ("resources.gardener.cloud", "v1alpha1")
MERGE_PATCH = "application/merge-patch+json"
GRM_FINALIZER = "resources.gardener.cloud/gardener-resource-manager"
ALL_MRS = {names.CREDENTIALS_MR, names.BACKEND_MR, names.OPERATOR_MR}


@dataclass
class Bed:
    kube: KubeTestEnv
    api_client: Any
    counter: KubeRequestCounter
    events: RecordedEvents

    def context(
        self,
        *,
        password: str = PASSWORD,
        config: ControllerConfig | None = None,
        verified: bool = True,
        state: dict[str, Any] | None = None,
        management_lif: str = "127.0.0.10",
    ) -> StepContext:
        values: dict[str, Any] = {"svm": SvmInfo(uuid="svm-uuid", name=SVM), **(state or {})}
        if verified:
            values["seed_credentials"] = credentials(password)
        return StepContext(
            extension={"metadata": {"name": "ontap", "namespace": self.kube.namespace}},
            shoot=ShootInfo(
                technical_id=self.kube.namespace,
                project_id="p1",
                shoot_name="s1",
                shoot_namespace="garden-p1",
            ),
            provider_config=provider_config(management_lif),
            config=config or controller_config(operatorBundleFile=str(SAMPLE_BUNDLE)),
            ontap=cast(Any, {}),
            api_client=self.api_client,
            events=self.events,
            log=structlog.get_logger("test"),
            state=PassState(**values),
        )

    async def managed_resources(self) -> dict[str, dict[str, Any]]:
        listing = await k8s.CustomObjectsApi(self.kube.api_client).list_namespaced_custom_object(
            *MR, self.kube.namespace, "managedresources"
        )
        return {item["metadata"]["name"]: item for item in listing["items"]}

    async def secrets(self) -> dict[str, Any]:
        listing = await k8s.CoreV1Api(self.kube.api_client).list_namespaced_secret(self.kube.namespace)
        return {s.metadata.name: s for s in listing.items if s.metadata.name.startswith("managedresource-")}

    async def patch_mr(self, name: str, patch: dict[str, Any]) -> None:
        await k8s.CustomObjectsApi(self.kube.api_client).patch_namespaced_custom_object(
            *MR,
            self.kube.namespace,
            "managedresources",
            name,
            patch,
            _content_type=MERGE_PATCH,  # type: ignore[call-arg]
        )


@pytest.fixture
async def bed(kube: KubeTestEnv) -> AsyncIterator[Bed]:
    api_client = await new_api_client(kube.kubeconfig)
    counter = KubeRequestCounter().attach(api_client)
    bed = Bed(kube, api_client, counter, RecordedEvents())
    try:
        yield bed
    finally:
        await api_client.close()
        # No resource manager runs here: drop test finalizers so the namespace can be removed.
        for name, item in (await bed.managed_resources()).items():
            if item["metadata"].get("finalizers"):
                await bed.patch_mr(name, {"metadata": {"finalizers": None}})


def decoded_manifests(secret: Any) -> list[dict[str, Any]]:
    return [yaml.safe_load(base64.b64decode(v).decode()) for v in secret.data.values()]


async def test_first_pass_creates_managed_resources_and_their_secrets(bed: Bed) -> None:
    outcome = await ShootResourcesStep().reconcile(bed.context())

    assert outcome.status is ConditionStatus.TRUE
    assert outcome.changed
    assert bed.counter.write_requests() == [("POST", "managedresources"), ("POST", "secrets")]
    # Three content secrets, three ManagedResources, and the shoot-access Secret for the health check.
    assert bed.counter.writes == 7
    access = await k8s.CoreV1Api(bed.kube.api_client).read_namespaced_secret(
        "shoot-access-extension-ontap", bed.kube.namespace
    )
    assert access.metadata.labels["resources.gardener.cloud/purpose"] == "token-requestor"
    assert access.metadata.labels["resources.gardener.cloud/class"] == "shoot"
    assert access.metadata.annotations == {
        "serviceaccount.resources.gardener.cloud/name": "extension-ontap",
        "serviceaccount.resources.gardener.cloud/namespace": "kube-system",
    }
    assert not access.data
    mrs = await bed.managed_resources()
    secrets = await bed.secrets()
    assert set(mrs) == ALL_MRS
    assert len(secrets) == 3
    for name, mr in mrs.items():
        (ref,) = mr["spec"]["secretRefs"]
        assert ref["name"].startswith(f"managedresource-{name}-")
        assert mr["spec"]["keepObjects"] is False
        assert "class" not in mr["spec"]
        assert "origin" not in mr["metadata"]["labels"]
        secret = secrets[ref["name"]]
        assert secret.immutable is True
        assert secret.metadata.labels[names.GARBAGE_COLLECTABLE_LABEL] == "true"
    credentials_secret = secrets[mrs[names.CREDENTIALS_MR]["spec"]["secretRefs"][0]["name"]]
    (shoot_secret,) = decoded_manifests(credentials_secret)
    assert base64.b64decode(shoot_secret["data"]["password"]).decode() == PASSWORD
    assert shoot_secret["metadata"] == {"name": "ontap-svm-credentials", "namespace": "kube-system"}
    kinds = {
        m["kind"] for m in decoded_manifests(secrets[mrs[names.BACKEND_MR]["spec"]["secretRefs"][0]["name"]])
    }
    assert kinds == {"TridentBackendConfig", "StorageClass", "Role", "RoleBinding"}
    for _, reason, message in bed.events.items:
        assert PASSWORD not in message, reason


async def test_steady_state_pass_makes_no_writes_and_two_reads(bed: Bed) -> None:
    await ShootResourcesStep().reconcile(bed.context())
    first_mrs = await bed.managed_resources()
    bed.counter.reset()

    outcome = await ShootResourcesStep().reconcile(bed.context())

    assert bed.counter.writes == 0, bed.counter.write_requests()
    assert bed.counter.reads == 2
    assert not outcome.changed
    assert outcome.status is ConditionStatus.TRUE
    after = await bed.managed_resources()
    assert {n: m["metadata"]["resourceVersion"] for n, m in after.items()} == {
        n: m["metadata"]["resourceVersion"] for n, m in first_mrs.items()
    }


async def test_password_change_rewrites_exactly_the_credentials_managed_resource(bed: Bed) -> None:
    await ShootResourcesStep().reconcile(bed.context())
    before = await bed.managed_resources()
    bed.counter.reset()

    outcome = await ShootResourcesStep().reconcile(bed.context(password="Rotated-0123456789-password-abcd"))

    assert outcome.changed
    assert sorted(bed.counter.by_resource().items()) == sorted(
        {
            ("LIST", "managedresources"): 1,
            ("LIST", "secrets"): 1,
            ("POST", "secrets"): 1,
            ("PATCH", "managedresources"): 1,
            ("DELETE", "secrets"): 1,
        }.items()
    )
    after = await bed.managed_resources()
    for name in (names.BACKEND_MR, names.OPERATOR_MR):
        assert after[name]["metadata"]["resourceVersion"] == before[name]["metadata"]["resourceVersion"]
    old_ref = before[names.CREDENTIALS_MR]["spec"]["secretRefs"][0]["name"]
    new_ref = after[names.CREDENTIALS_MR]["spec"]["secretRefs"][0]["name"]
    assert new_ref != old_ref
    secrets = await bed.secrets()
    assert old_ref not in secrets
    (shoot_secret,) = decoded_manifests(secrets[new_ref])
    assert base64.b64decode(shoot_secret["data"]["password"]).decode() == "Rotated-0123456789-password-abcd"
    assert len(secrets) == 3


async def test_unverified_credentials_are_never_deployed(bed: Bed) -> None:
    with pytest.raises(StepError) as raised:
        await ShootResourcesStep().reconcile(bed.context(verified=False))

    assert raised.value.reason == "WaitingForPrerequisites"
    assert "SeedSecretReady" in raised.value.message
    assert bed.counter.total == 0
    assert await bed.managed_resources() == {}


async def test_tampered_managed_resource_and_lost_secret_are_repaired(bed: Bed) -> None:
    await ShootResourcesStep().reconcile(bed.context())
    mrs = await bed.managed_resources()
    await bed.patch_mr(names.BACKEND_MR, {"spec": {"keepObjects": True, "class": "seed"}})
    lost = mrs[names.CREDENTIALS_MR]["spec"]["secretRefs"][0]["name"]
    await k8s.CoreV1Api(bed.kube.api_client).delete_namespaced_secret(lost, bed.kube.namespace)

    outcome = await ShootResourcesStep().reconcile(bed.context())

    assert outcome.changed
    assert any("keepObjects=true" in d for d in outcome.drift)
    repaired = await bed.managed_resources()
    assert repaired[names.BACKEND_MR]["spec"]["keepObjects"] is False
    assert "class" not in repaired[names.BACKEND_MR]["spec"]
    assert lost in await bed.secrets()
    bed.counter.reset()
    await ShootResourcesStep().reconcile(bed.context())
    assert bed.counter.writes == 0


async def test_without_operator_bundle_only_credentials_and_backend_are_deployed(bed: Bed) -> None:
    outcome = await ShootResourcesStep().reconcile(bed.context(config=controller_config()))

    assert outcome.status is ConditionStatus.TRUE
    assert "No Trident operator bundle is configured" in outcome.message
    assert set(await bed.managed_resources()) == {names.CREDENTIALS_MR, names.BACKEND_MR}


async def test_existing_operator_managed_resource_is_left_when_bundle_is_unconfigured(bed: Bed) -> None:
    await ShootResourcesStep().reconcile(bed.context())
    bed.counter.reset()

    outcome = await ShootResourcesStep().reconcile(bed.context(config=controller_config()))

    assert bed.counter.writes == 0
    assert "existing extension-ontap-trident-operator is left in place" in outcome.message
    assert names.OPERATOR_MR in await bed.managed_resources()


async def test_delete_removes_managed_resources_and_secrets(bed: Bed) -> None:
    await ShootResourcesStep().reconcile(bed.context())

    outcome = await ShootResourcesStep().delete(bed.context(verified=False))

    assert outcome.status is ConditionStatus.TRUE
    assert await bed.managed_resources() == {}
    assert await bed.secrets() == {}
    again = await ShootResourcesStep().delete(bed.context(verified=False))
    assert not again.changed


async def test_delete_waits_for_the_resource_manager_before_removing_the_operator(bed: Bed) -> None:
    await ShootResourcesStep().reconcile(bed.context())
    await bed.patch_mr(names.BACKEND_MR, {"metadata": {"finalizers": [GRM_FINALIZER]}})

    with pytest.raises(StepError) as raised:
        await ShootResourcesStep().delete(bed.context(verified=False))

    assert raised.value.reason == "WaitingForResourceManager"
    assert names.BACKEND_MR in raised.value.message and GRM_FINALIZER in raised.value.message
    assert raised.value.retry_after is not None
    remaining = await bed.managed_resources()
    assert set(remaining) == {names.BACKEND_MR, names.OPERATOR_MR}
    assert remaining[names.BACKEND_MR]["metadata"].get("deletionTimestamp")

    await bed.patch_mr(names.BACKEND_MR, {"metadata": {"finalizers": None}})
    outcome = await ShootResourcesStep().delete(bed.context(verified=False))
    assert outcome.status is ConditionStatus.TRUE
    assert await bed.managed_resources() == {}
    assert await bed.secrets() == {}


async def test_force_delete_does_not_wait(bed: Bed) -> None:
    await ShootResourcesStep().reconcile(bed.context())
    await bed.patch_mr(names.BACKEND_MR, {"metadata": {"finalizers": [GRM_FINALIZER]}})

    outcome = await ShootResourcesStep().delete(bed.context(verified=False, state={"force_delete": True}))

    assert outcome.status is ConditionStatus.TRUE
    assert "still terminating" in outcome.message
    assert set(await bed.managed_resources()) == {names.BACKEND_MR}


async def test_migrate_keeps_shoot_objects_and_removes_seed_objects(bed: Bed) -> None:
    await ShootResourcesStep().reconcile(bed.context())
    await bed.patch_mr(names.CREDENTIALS_MR, {"metadata": {"finalizers": [GRM_FINALIZER]}})

    with pytest.raises(StepError):
        await ShootResourcesStep().migrate(bed.context(verified=False))

    held = (await bed.managed_resources())[names.CREDENTIALS_MR]
    assert held["spec"]["keepObjects"] is True  # set before the deletion was requested
    await bed.patch_mr(names.CREDENTIALS_MR, {"metadata": {"finalizers": None}})
    outcome = await ShootResourcesStep().migrate(bed.context(verified=False))
    assert outcome.status is ConditionStatus.TRUE
    assert await bed.managed_resources() == {}
    assert await bed.secrets() == {}


async def test_a_terminating_managed_resource_does_not_hold_back_the_others(bed: Bed) -> None:
    await ShootResourcesStep().reconcile(bed.context())
    await bed.patch_mr(names.CREDENTIALS_MR, {"metadata": {"finalizers": [GRM_FINALIZER]}})
    await k8s.CustomObjectsApi(bed.kube.api_client).delete_namespaced_custom_object(
        *MR, bed.kube.namespace, "managedresources", names.CREDENTIALS_MR
    )
    before = await bed.managed_resources()

    with pytest.raises(StepError) as raised:
        await ShootResourcesStep().reconcile(bed.context(management_lif="127.0.0.50"))

    assert raised.value.reason == "ManagedResourceTerminating"
    assert names.CREDENTIALS_MR in raised.value.message
    after = await bed.managed_resources()
    assert after[names.BACKEND_MR]["spec"]["secretRefs"] != before[names.BACKEND_MR]["spec"]["secretRefs"]
    assert after[names.CREDENTIALS_MR]["metadata"]["deletionTimestamp"]


async def test_broken_operator_bundle_is_reported_after_the_rest_is_deployed(
    bed: Bed, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.yaml"
    bundle.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: trident}\n")
    config = controller_config(operatorBundleFile=str(bundle))
    bundle.write_text("kind: [unclosed\n")

    with pytest.raises(StepError) as raised:
        await ShootResourcesStep().reconcile(bed.context(config=config))

    assert raised.value.reason == "OperatorBundleInvalid"
    assert raised.value.codes == (ErrorCode.RETRYABLE_CONFIGURATION_PROBLEM,)
    assert "bundle.yaml" in raised.value.message and "not valid YAML" in raised.value.message
    assert set(await bed.managed_resources()) == {names.CREDENTIALS_MR, names.BACKEND_MR}


async def test_objects_that_lost_our_labels_are_adopted_not_duplicated(bed: Bed) -> None:
    await ShootResourcesStep().reconcile(bed.context())
    mrs = await bed.managed_resources()
    ref = mrs[names.BACKEND_MR]["spec"]["secretRefs"][0]["name"]
    await bed.patch_mr(names.BACKEND_MR, {"metadata": {"labels": None}})
    await k8s.CoreV1Api(bed.kube.api_client).patch_namespaced_secret(
        ref,
        bed.kube.namespace,
        {"metadata": {"labels": None}},
        _content_type=MERGE_PATCH,  # type: ignore[call-arg]
    )

    outcome = await ShootResourcesStep().reconcile(bed.context())

    assert outcome.changed
    adopted = await bed.managed_resources()
    assert adopted[names.BACKEND_MR]["metadata"]["labels"][names.MANAGED_RESOURCE_LABEL] == names.BACKEND_MR
    assert adopted[names.BACKEND_MR]["spec"]["secretRefs"] == [{"name": ref}]
    secrets = await bed.secrets()
    assert len(secrets) == 3
    assert secrets[ref].metadata.labels[names.GARBAGE_COLLECTABLE_LABEL] == "true"
    bed.counter.reset()
    await ShootResourcesStep().reconcile(bed.context())
    assert bed.counter.writes == 0
