"""The Go extension's naming and the pure adoption decisions (no I/O)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from controller.adoption import names as go
from controller.adoption import plan
from ontap.models import IpInterfaceInfo
from ontap.naming import ownership_comment, parse_ownership
from ontap.provisioning.lifs import DesiredLifs, decide_lifs

ADOPTED = ownership_comment("1234-abcd", adopted_from="go-extension")


def test_account_name_is_the_shoot_name_cut_to_25_characters() -> None:
    # pkg/trident/user_test.go: shoot--proj--myshoot -> "myshoot"
    assert go.account_name("shoot--proj--myshoot") == "myshoot"
    assert go.account_name("shoot--proj--s1-production-eu-west-storage") == "s1-production-eu-west-sto"
    assert go.account_name("shoot--proj---dash") == "sdash"
    with pytest.raises(ValueError, match="shoot--<project>--<shoot>"):
        go.account_name("garden-proj")


def test_seed_secret_backend_and_lif_names() -> None:
    # pkg/controller/ontap/actuator.go: <svm>-<namespace without shoot-->-credentials, in kube-system
    assert go.seed_secret_name("1234-abcd", "shoot--proj--myshoot") == "p1234abcd-proj--myshoot-credentials"
    assert go.SEED_SECRET_NAMESPACE == "kube-system"
    assert go.backend_config_name("1234-abcd") == "ontap-p1234abcd-backend"
    assert go.lif_roles(2) == {
        "datalif+0": "default-data-nvme-tcp",
        "datalif+1": "default-data-nvme-tcp",
        "managementlif": "default-management",
    }


@pytest.mark.parametrize(
    ("name", "go_secret"),
    [
        ("managedresource-trident-crds-0a1b2c3d", True),
        ("managedresource-trident-svm-secret-0a1b2c3d", True),
        ("extension-ontap-shoot-0a1b2c3d", True),
        ("managedresource-trident-crds-extra-0a1b2c3d", False),
        ("managedresource-extension-ontap-shoot-webhooks-0a1b2c3d", False),
        ("managedresource-extension-ontap-trident-credentials-0a1b2c3d", False),
        ("ontap-svm-credentials", False),
    ],
)
def test_content_secrets_of_the_go_extension_and_never_ours(name: str, go_secret: bool) -> None:
    assert plan.is_go_content_secret(name) is go_secret


def test_svm_adoption_adopts_refuses_or_leaves_to_the_svm_step() -> None:
    adopt = plan.decide_svm_adoption("p1234abcd", "", "p1234abcd", enabled=True, comment=ADOPTED)
    assert adopt.action is plan.SvmAdoptionAction.ADOPT and adopt.comment == ADOPTED
    partner = plan.decide_svm_adoption("p1234abcd-mc", None, "p1234abcd", enabled=True, comment=ADOPTED)
    assert partner.action is plan.SvmAdoptionAction.ADOPT
    refuse = plan.decide_svm_adoption("p1234abcd", "", "p1234abcd", enabled=False, comment=ADOPTED)
    assert refuse.action is plan.SvmAdoptionAction.REFUSE and "adoption.goExtension: true" in refuse.reason
    ours = ownership_comment("1234-abcd")
    for comment in (ours, "managed-by=someone-else"):
        decision = plan.decide_svm_adoption("p1234abcd", comment, "p1234abcd", enabled=True, comment=ADOPTED)
        assert decision.action is plan.SvmAdoptionAction.NONE
    other = plan.decide_svm_adoption("pother", "", "p1234abcd", enabled=True, comment=ADOPTED)
    assert other.action is plan.SvmAdoptionAction.NONE


def test_adopted_marker_round_trips_and_names_the_go_lifs() -> None:
    marker = parse_ownership(ADOPTED)
    assert marker is not None and marker.adopted_from == "go-extension" and marker.project_id == "1234-abcd"
    assert plan.adopted_lifs(ADOPTED, 1) == {
        "datalif+0": "default-data-nvme-tcp",
        "managementlif": "default-management",
    }
    assert plan.adopted_lifs(ownership_comment("1234-abcd"), 1) == {}


def _lif(name: str, ip: str, policy: str) -> IpInterfaceInfo:
    return IpInterfaceInfo(
        uuid=f"u-{name}", name=name, ip=IPv4Address(ip), service_policy=policy, enabled=True
    )


def test_go_lifs_are_recognised_by_address_only_on_an_adopted_svm() -> None:
    desired = DesiredLifs(data_ips=(IPv4Address("10.0.0.11"),), management_ip=IPv4Address("10.0.0.10"))
    lifs = [
        _lif("datalif+0", "10.0.0.11", "default-data-nvme-tcp"),
        _lif("managementlif", "10.0.0.10", "default-management"),
    ]
    adopted = decide_lifs(desired, lifs, adopted=plan.adopted_lifs(ADOPTED, 1))
    assert adopted.nothing_to_do and adopted.drift == ()
    not_adopted = decide_lifs(desired, lifs)
    assert not not_adopted.missing and len(not_adopted.drift) == 2
    # A Go-named LIF in the other role's place is not taken for ours.
    swapped = [_lif("managementlif", "10.0.0.11", "default-management"), lifs[1]]
    assert decide_lifs(desired, swapped, adopted=plan.adopted_lifs(ADOPTED, 1)).drift


def test_account_name_recorded_else_observed_on_an_adopted_svm() -> None:
    ours, go_name = "proj--myshoot", "myshoot"
    assert plan.recorded_account_name(ours, go_name, "myshoot", None) == "myshoot"
    assert plan.recorded_account_name(ours, go_name, None, "myshoot") == "myshoot"
    assert plan.recorded_account_name(ours, go_name, "someone", "else") is None
    choose = plan.choose_account_name
    assert choose(ours, go_name, None, adopted_svm=True, ours_exists=False, go_exists=True) == go_name
    assert choose(ours, go_name, None, adopted_svm=True, ours_exists=True, go_exists=True) == ours
    assert choose(ours, go_name, None, adopted_svm=False, ours_exists=False, go_exists=True) == ours
    assert choose(ours, go_name, ours, adopted_svm=True, ours_exists=False, go_exists=True) == ours


def test_go_password_is_tried_only_when_ours_holds_none() -> None:
    assert plan.try_go_password(False, False, "myshoot", "pw", "myshoot")
    assert not plan.try_go_password(True, False, "myshoot", "pw", "myshoot")
    assert not plan.try_go_password(False, True, "myshoot", "pw", "myshoot")
    assert not plan.try_go_password(False, False, "other", "pw", "myshoot")
    assert not plan.try_go_password(False, False, "myshoot", "", "myshoot")


def test_handover_keeps_objects_before_deleting_and_the_secret_only_once_ours_is_verified() -> None:
    managed = {
        "trident-crds": plan.GoManagedResource(
            "trident-crds", True, False, ("managedresource-trident-crds-0a1b2c3d",)
        ),
        "trident-svm-secret": plan.GoManagedResource(
            "trident-svm-secret", False, False, ("managedresource-trident-svm-secret-1a1b2c3d",)
        ),
    }
    secrets = {"managedresource-trident-crds-0a1b2c3d", "managedresource-trident-svm-secret-1a1b2c3d"}
    steps = plan.plan_handover(managed, secrets, go_seed_secret=True, ours_verified=False)
    A = plan.HandoverAction
    assert [(s.action, s.name) for s in steps] == [
        (A.DELETE_MANAGED_RESOURCE, "trident-crds"),
        (A.KEEP_OBJECTS, "trident-svm-secret"),
        (A.DELETE_MANAGED_RESOURCE, "trident-svm-secret"),
    ]
    gone = plan.plan_handover(
        {}, secrets | {"managedresource-mine-0a1b2c3d"}, go_seed_secret=True, ours_verified=True
    )
    assert [(s.action, s.name) for s in gone] == [
        (A.DELETE_CONTENT_SECRET, "managedresource-trident-crds-0a1b2c3d"),
        (A.DELETE_CONTENT_SECRET, "managedresource-trident-svm-secret-1a1b2c3d"),
        (A.DELETE_SEED_SECRET, ""),
    ]
    assert plan.plan_handover({}, set(), go_seed_secret=False, ours_verified=True) == ()


def test_the_go_backend_is_taken_over_by_name_only_on_an_adopted_svm() -> None:
    project = "0f3a2b6c-1d4e-4f5a-8b9c-7d6e5f4a3b21"
    adopted = ownership_comment(project, adopted_from="go-extension")
    assert plan.go_backend_names(adopted, project) == (
        "ontap-p0f3a2b6c1d4e4f5a8b9c7d6e5f4a3b21-backend",
        "ontap-p0f3a2b6c1d4e4f5a8b9c7d6e5f4a3b21",
    )
    assert plan.go_backend_names(ownership_comment(project), project) is None
    assert plan.go_backend_names(None, project) is None
