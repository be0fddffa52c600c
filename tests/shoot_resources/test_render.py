"""Rendering of the shoot's Trident objects and of their ManagedResources (pure, no API server)."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from controller.config import StorageClassConfig
from controller.shoot_resources import names
from controller.shoot_resources.managed_resource import (
    DesiredManagedResource,
    ManifestError,
    desired_managed_resource,
    manifest_key,
)
from controller.shoot_resources.render import render_shoot_resources
from controller.shoot_resources.trident import render_backend, render_credentials, trident_inputs
from tests.shoot_resources.helpers import (
    PASSWORD,
    SAMPLE_BUNDLE,
    SVM,
    controller_config,
    credentials,
    inputs,
    provider_config,
)


def objects_of(desired: DesiredManagedResource) -> dict[str, dict]:
    """The manifests of a ManagedResource, parsed, by `Kind/name`."""
    parsed = [yaml.safe_load(text) for text in desired.data.values()]
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in parsed}


def test_credentials_secret_lands_in_trident_namespace_with_username_and_password() -> None:
    desired = render_credentials(inputs())
    assert desired.name == "extension-ontap-trident-credentials"
    secret = objects_of(desired)["Secret/ontap-svm-credentials"]
    assert secret["metadata"]["namespace"] == "kube-system"
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded == {"username": "shoot--p1--s1", "password": PASSWORD}


def test_backend_config_names_svm_lif_driver_and_credentials() -> None:
    tbc = objects_of(render_backend(inputs()))[f"TridentBackendConfig/ontap-{SVM}"]
    assert tbc["apiVersion"] == "trident.netapp.io/v1"
    assert tbc["metadata"] == {"name": f"ontap-{SVM}", "namespace": "kube-system"}
    assert tbc["spec"] == {
        "version": 1,
        "backendName": f"ontap-{SVM}",
        "storageDriverName": "ontap-san",
        "managementLIF": "127.0.0.10",
        "svm": SVM,
        "sanType": "nvme",
        "credentials": {"name": "ontap-svm-credentials"},
        "deletionPolicy": "retain",
    }


def test_default_storage_class_is_ontap_gold_provisioned_by_trident() -> None:
    sc = objects_of(render_backend(inputs()))["StorageClass/ontap-gold"]
    assert sc["provisioner"] == "csi.trident.netapp.io"
    assert sc["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "true",
        # Parameters are immutable: the resource manager replaces a class of this name with others.
        "resources.gardener.cloud/delete-on-invalid-update": "true",
    }
    assert sc["parameters"] == {"backendType": "ontap-san", "csi.storage.k8s.io/fstype": "ext4"}
    assert sc["reclaimPolicy"] == "Delete"
    assert sc["allowVolumeExpansion"] is True


def test_provider_config_overrides_driver_and_san_type() -> None:
    tbc = objects_of(render_backend(inputs(sanType="iscsi")))[f"TridentBackendConfig/ontap-{SVM}"]
    assert tbc["spec"]["sanType"] == "iscsi"
    nas = objects_of(render_backend(inputs(storageDriver="ontap-nas")))
    spec = nas[f"TridentBackendConfig/ontap-{SVM}"]["spec"]
    assert spec["storageDriverName"] == "ontap-nas"
    assert "sanType" not in spec
    assert spec["dataLIF"] == "127.0.0.11"
    assert nas["StorageClass/ontap-gold"]["parameters"] == {"backendType": "ontap-nas"}


def test_luks_storage_class_selects_an_encrypted_pool() -> None:
    classes = [
        StorageClassConfig(name="ontap-gold", default=True),
        StorageClassConfig(name="ontap-luks", luks_encryption=True, reclaim_policy="Retain"),
    ]
    objects = objects_of(render_backend(inputs(storage_classes=classes)))
    pools = objects[f"TridentBackendConfig/ontap-{SVM}"]["spec"]["storage"]
    assert {"labels": {"luks": "true"}, "defaults": {"luksEncryption": "true"}} in pools
    gold, luks = objects["StorageClass/ontap-gold"], objects["StorageClass/ontap-luks"]
    assert gold["parameters"]["selector"] == "luks=false"
    assert luks["metadata"]["annotations"] == {"resources.gardener.cloud/delete-on-invalid-update": "true"}
    assert luks["reclaimPolicy"] == "Retain"
    assert luks["parameters"]["selector"] == "luks=true"
    assert luks["parameters"]["csi.storage.k8s.io/node-stage-secret-name"] == "luks-${pvc.name}"


def test_configured_parameters_win_over_defaults() -> None:
    classes = [
        StorageClassConfig(name="fast", parameters={"csi.storage.k8s.io/fstype": "xfs", "snapshots": "true"})
    ]
    sc = objects_of(render_backend(inputs(storage_classes=classes)))["StorageClass/fast"]
    assert sc["parameters"]["csi.storage.k8s.io/fstype"] == "xfs"
    assert sc["parameters"]["snapshots"] == "true"


def test_hash_is_stable_for_equal_inputs() -> None:
    first = render_shoot_resources(inputs(), SAMPLE_BUNDLE)
    second = render_shoot_resources(inputs(), SAMPLE_BUNDLE)
    assert [d.secret_name for d in first.managed_resources] == [
        d.secret_name for d in second.managed_resources
    ]
    for desired in first.managed_resources:
        assert desired.secret_name.startswith(f"managedresource-{desired.name}-")
        assert len(desired.secret_name.rsplit("-", 1)[1]) == 8


def test_hash_is_independent_of_object_order() -> None:
    a = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}}
    b = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "namespace": "x"}}
    assert (
        desired_managed_resource("mr", [a, b], "").secret_name
        == desired_managed_resource("mr", [b, a], "").secret_name
    )


def test_password_change_changes_only_the_credentials_hash() -> None:
    before = {
        d.name: d.secret_name for d in render_shoot_resources(inputs(), SAMPLE_BUNDLE).managed_resources
    }
    after = {
        d.name: d.secret_name
        for d in render_shoot_resources(
            inputs(password="Other-password-0123456789abcdef"), SAMPLE_BUNDLE
        ).managed_resources
    }
    assert before[names.CREDENTIALS_MR] != after[names.CREDENTIALS_MR]
    assert before[names.BACKEND_MR] == after[names.BACKEND_MR]
    assert before[names.OPERATOR_MR] == after[names.OPERATOR_MR]


def test_management_lif_change_changes_only_the_backend_hash() -> None:
    before = {d.name: d.secret_name for d in render_shoot_resources(inputs(), None).managed_resources}
    after = {
        d.name: d.secret_name
        for d in render_shoot_resources(inputs(management="127.0.0.20"), None).managed_resources
    }
    assert before[names.CREDENTIALS_MR] == after[names.CREDENTIALS_MR]
    assert before[names.BACKEND_MR] != after[names.BACKEND_MR]


def test_every_manifest_is_valid_single_document_yaml() -> None:
    for desired in render_shoot_resources(inputs(), SAMPLE_BUNDLE).managed_resources:
        for key, text in desired.data.items():
            documents = list(yaml.safe_load_all(text))
            assert len(documents) == 1, key
            assert key == manifest_key(documents[0])


def test_password_never_in_names_labels_spec_or_summary() -> None:
    rendered = render_shoot_resources(inputs(), SAMPLE_BUNDLE)
    for desired in rendered.managed_resources:
        visible = json.dumps(
            [
                desired.body("shoot--p1--s1"),
                desired.secret_labels(),
                desired.summary,
                desired.secret_name,
                repr(desired),
            ]
        )
        assert PASSWORD not in visible
        assert base64.b64encode(PASSWORD.encode()).decode() not in visible
    assert PASSWORD not in repr(inputs())


def test_managed_resource_spec_and_labels() -> None:
    desired = render_credentials(inputs())
    body = desired.body("shoot--p1--s1")
    assert body["apiVersion"] == "resources.gardener.cloud/v1alpha1"
    assert body["spec"] == {
        "secretRefs": [{"name": desired.secret_name}],
        "keepObjects": False,
        "injectLabels": {"shoot.gardener.cloud/no-cleanup": "true"},
    }
    assert "class" not in body["spec"]
    assert "origin" not in body["metadata"]["labels"]
    assert desired.secret_labels()["resources.gardener.cloud/garbage-collectable-reference"] == "true"


def test_no_operator_bundle_means_no_operator_managed_resource() -> None:
    rendered = render_shoot_resources(inputs(), None)
    assert [d.name for d in rendered.managed_resources] == [names.CREDENTIALS_MR, names.BACKEND_MR]
    assert not rendered.operator_configured
    assert rendered.operator_error is None


def test_operator_bundle_passes_through_every_object() -> None:
    rendered = render_shoot_resources(inputs(), SAMPLE_BUNDLE)
    operator = rendered.managed_resources[-1]
    assert operator.name == names.OPERATOR_MR
    source = [d for d in yaml.safe_load_all(SAMPLE_BUNDLE.read_text()) if d]
    assert sorted(objects_of(operator).values(), key=repr) == sorted(source, key=repr)
    assert "Deployment/trident-operator" in objects_of(operator)


def test_duplicate_object_is_refused() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}}
    with pytest.raises(ManifestError, match="appears twice"):
        desired_managed_resource("mr", [obj, obj], "")


def test_on_an_svm_adopted_from_the_go_extension_the_backend_takes_the_go_names() -> None:
    """Trident updates a backend in place when its TridentBackendConfig keeps name and backendName."""
    adopted = trident_inputs(
        SVM,
        provider_config("127.0.0.10"),
        credentials(PASSWORD),
        controller_config().trident,
        go_backend=(f"ontap-{SVM}-backend", f"ontap-{SVM}"),
        go_credentials_secret=f"{SVM}-p1--s1-credentials",
    )
    tbc = objects_of(render_backend(adopted))[f"TridentBackendConfig/ontap-{SVM}-backend"]
    assert tbc["metadata"] == {"name": f"ontap-{SVM}-backend", "namespace": "kube-system"}
    assert tbc["spec"]["backendName"] == f"ontap-{SVM}"
    # The Go backend's Secret is taken over by name too, so it never keeps an old password.
    assert tbc["spec"]["credentials"] == {"name": f"{SVM}-p1--s1-credentials"}
    secret = objects_of(render_credentials(adopted))[f"Secret/{SVM}-p1--s1-credentials"]
    assert secret["metadata"]["namespace"] == "kube-system"
    assert tbc["spec"]["deletionPolicy"] == "retain"


def test_tridents_namespace_comes_from_the_configuration() -> None:
    trident = controller_config().trident.model_copy(update={"namespace": "t1"})
    rendered = trident_inputs(SVM, provider_config("127.0.0.10"), credentials(PASSWORD), trident)
    namespaced = [
        o for d in (render_credentials(rendered), render_backend(rendered)) for o in objects_of(d).values()
    ]
    assert {o["metadata"].get("namespace") for o in namespaced} == {"t1", None}  # None: StorageClasses
