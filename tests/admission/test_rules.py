"""The admission's decisions (pure): the controller's parser messages, and the changes it refuses."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from controller.admission.rules import DEFAULT_PROJECT_ANNOTATION, validate_shoot
from controller.admission.server import AdmissionSettings, decide
from controller.provider_config import ProviderConfigError, parse_provider_config
from hack.localenv.gardener_objects import provider_config


def shoot(
    config: Any = None, *, project: str | None = "1234-abcd", disabled: bool | None = None
) -> dict[str, Any]:
    extension: dict[str, Any] = {
        "type": "ontap",
        "providerConfig": provider_config() if config is None else config,
    }
    if disabled is not None:
        extension["disabled"] = disabled
    annotations = {DEFAULT_PROJECT_ANNOTATION: project} if project else {}
    return {
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "Shoot",
        "metadata": {"name": "s1", "namespace": "garden-p", "annotations": annotations},
        "spec": {"extensions": [{"type": "other"}, extension]},
    }


def controller_message(raw: Any) -> str:
    with pytest.raises(ProviderConfigError) as caught:
        parse_provider_config(raw)
    return caught.value.message


def test_a_valid_shoot_and_one_without_the_extension_are_admitted() -> None:
    assert validate_shoot(shoot()) == []
    assert validate_shoot({"spec": {"extensions": [{"type": "other"}]}}) == []
    assert validate_shoot(shoot({"bad": True}, disabled=True)) == []


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda c: c["svmIpaddresses"].update(managementLif="300.1.1.1"), id="bad-address"),
        pytest.param(lambda c: c["svmIpaddresses"].update(dataLifs=[]), id="no-data-lifs"),
        pytest.param(lambda c: c["svmIpaddresses"].update(dataLifs=["127.0.0.10"]), id="duplicate"),
        pytest.param(lambda c: c.update(kind="Other"), id="kind"),
        pytest.param(lambda c: c.update(netmaskBits=40), id="netmask"),
        pytest.param(lambda c: c.update(storageDriver="ontap-nfs"), id="driver"),
        pytest.param(lambda c: c.update(extra=1), id="unknown-field"),
    ],
)
def test_an_invalid_provider_config_is_refused_with_the_controllers_message(mutate: Any) -> None:
    config = provider_config()
    mutate(config)
    (problem,) = validate_shoot(shoot(config))
    assert problem == f"spec.extensions[1] (ontap): {controller_message(config)}"
    assert "providerConfig" in problem


def test_a_missing_provider_config_and_a_missing_project_are_refused() -> None:
    raw = shoot()
    del raw["spec"]["extensions"][1]["providerConfig"]
    (problem,) = validate_shoot(raw)
    assert problem == f"spec.extensions[1] (ontap): {controller_message(None)}"
    (problem,) = validate_shoot(shoot(project=None))
    assert problem.startswith(f"metadata.annotations[{DEFAULT_PROJECT_ANNOTATION}]: missing")


def changed(edit: Any) -> dict[str, Any]:
    new = shoot()
    edit(new["spec"]["extensions"][1]["providerConfig"], new)
    return new


@pytest.mark.parametrize(
    ("edit", "path", "words"),
    [
        (lambda c, s: c["svmIpaddresses"].update(managementLif="127.0.0.20"), "managementLif", "never moves"),
        (
            lambda c, s: c["svmIpaddresses"]["dataLifs"].__setitem__(0, "127.0.0.21"),
            "dataLifs[0]",
            "never moves",
        ),
        (lambda c, s: c["svmIpaddresses"]["dataLifs"].pop(), "dataLifs[1]", "never deletes"),
        (lambda c, s: c.update(netmaskBits=16), "netmaskBits", "never re-created"),
        (
            lambda c, s: s["metadata"]["annotations"].update({DEFAULT_PROJECT_ANNOTATION: "5678"}),
            f"metadata.annotations[{DEFAULT_PROJECT_ANNOTATION}]",
            "project's SVM",
        ),
    ],
)
def test_changes_the_controller_cannot_carry_out_are_refused(edit: Any, path: str, words: str) -> None:
    (problem,) = validate_shoot(changed(edit), shoot())
    assert path in problem and words in problem, problem


def test_changes_the_controller_carries_out_are_admitted() -> None:
    more = changed(lambda c, s: c["svmIpaddresses"]["dataLifs"].append("127.0.0.30"))
    assert validate_shoot(more, shoot()) == []
    assert validate_shoot(shoot({"kind": "broken"}, disabled=True), shoot()) == []
    broken_before = shoot({"kind": "broken"})
    assert (
        validate_shoot(
            changed(lambda c, s: c["svmIpaddresses"].update(managementLif="127.0.0.40")), broken_before
        )
        == []
    )


def review(operation: str, obj: Any, old: Any = None, kind: str = "Shoot") -> dict[str, Any]:
    request = {
        "uid": "u-1",
        "kind": {"group": "core.gardener.cloud", "version": "v1beta1", "kind": kind},
        "operation": operation,
        "object": obj,
    }
    if old is not None:
        request["oldObject"] = old
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def test_admission_reviews_are_answered_per_admission_k8s_io_v1() -> None:
    settings = AdmissionSettings()
    allowed = decide(review("CREATE", shoot()), settings)
    assert allowed == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": "u-1", "allowed": True},
    }
    old = copy.deepcopy(shoot())
    denied = decide(review("UPDATE", changed(lambda c, s: c.update(netmaskBits=16)), old), settings)[
        "response"
    ]
    assert denied["uid"] == "u-1" and denied["allowed"] is False
    assert denied["status"]["code"] == 403 and denied["status"]["reason"] == "Forbidden"
    assert "netmaskBits" in denied["status"]["message"]
    wrong = decide(review("CREATE", shoot(), kind="Seed"), settings)["response"]
    assert wrong["allowed"] is False and wrong["status"]["code"] == 400
    assert decide(review("DELETE", None), settings)["response"]["allowed"] is True
    assert decide({"request": {}}, settings)["response"]["status"]["code"] == 400
