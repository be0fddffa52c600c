"""The shoot-access Secret's plan: labelled for GRM's token requestor, repaired, its data never touched."""

from __future__ import annotations

from controller.kube.secrets import ObservedContentSecret
from controller.shoot_access.names import ACCESS_SECRET
from controller.shoot_access.secret import access_annotations, access_labels, plan_access_secret
from controller.shoot_resources.health_reader import reader_objects

NS = "shoot--p1--s1"


def observed(
    labels: dict[str, str], annotations: dict[str, str], deleting: bool = False
) -> ObservedContentSecret:
    return ObservedContentSecret(
        NS, ACCESS_SECRET, {"token": "t"}, labels=labels, annotations=annotations, deleting=deleting
    )


def test_missing_secret_is_created_the_way_gardener_labels_it() -> None:
    plan = plan_access_secret(ACCESS_SECRET, [])
    assert plan.create
    assert plan.labels["resources.gardener.cloud/purpose"] == "token-requestor"
    assert plan.labels["resources.gardener.cloud/class"] == "shoot"
    assert plan.annotations == {
        "serviceaccount.resources.gardener.cloud/name": "extension-ontap",
        "serviceaccount.resources.gardener.cloud/namespace": "kube-system",
    }


def test_present_secret_with_its_token_needs_nothing() -> None:
    current = observed({**access_labels(), "other": "kept"}, {**access_annotations(ACCESS_SECRET), "x": "y"})
    assert plan_access_secret(ACCESS_SECRET, [current]).is_empty


def test_lost_label_is_repaired_alone() -> None:
    labels = {k: v for k, v in access_labels().items() if k != "resources.gardener.cloud/class"}
    plan = plan_access_secret(ACCESS_SECRET, [observed(labels, access_annotations(ACCESS_SECRET))])
    assert (plan.create, plan.labels, plan.annotations) == (
        False,
        {"resources.gardener.cloud/class": "shoot"},
        {},
    )


def test_secret_being_deleted_is_left_alone() -> None:
    assert plan_access_secret(ACCESS_SECRET, [observed({}, {}, deleting=True)]).is_empty


def test_the_service_account_may_only_get_backend_configs_in_tridents_namespace() -> None:
    role, binding = reader_objects("kube-system")
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == "kube-system"
    assert role["rules"] == [
        {"apiGroups": ["trident.netapp.io"], "resources": ["tridentbackendconfigs"], "verbs": ["get"]}
    ]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "extension-ontap", "namespace": "kube-system"}
    ]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
