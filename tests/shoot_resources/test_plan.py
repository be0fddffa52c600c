"""The pure decisions: which writes bring a ManagedResource to its current content, and the deletion order."""

from __future__ import annotations

from dataclasses import replace

from controller.kube.managed_resources import ObservedManagedResource
from controller.kube.secrets import ObservedContentSecret
from controller.shoot_resources import names
from controller.shoot_resources.managed_resource import DesiredManagedResource
from controller.shoot_resources.plan import next_deletion, plan_managed_resource
from controller.shoot_resources.trident import render_credentials
from tests.shoot_resources.helpers import inputs

NS = "shoot--p1--s1"


def desired(password: str = "Pass-word-0123456789-abcdefghijk") -> DesiredManagedResource:
    return render_credentials(inputs(password=password))


def observed_mr(d: DesiredManagedResource, **changes: object) -> ObservedManagedResource:
    mr = ObservedManagedResource(
        namespace=NS,
        name=d.name,
        secret_refs=(d.secret_name,),
        keep_objects=False,
        resource_class=None,
        labels=d.labels(),
        inject_labels={names.NO_CLEANUP_LABEL: "true"},
    )
    return replace(mr, **changes)  # type: ignore[arg-type]


def observed_secret(d: DesiredManagedResource, **changes: object) -> ObservedContentSecret:
    secret = ObservedContentSecret(NS, d.secret_name, dict(d.data), labels=d.secret_labels(), immutable=True)
    return replace(secret, **changes)  # type: ignore[arg-type]


def test_nothing_observed_creates_secret_then_managed_resource() -> None:
    plan = plan_managed_resource(desired(), None, [])
    assert plan.create_secret and plan.create_managed_resource
    assert not plan.managed_resource_patch and not plan.delete_secrets and not plan.drift


def test_steady_state_plans_nothing() -> None:
    d = desired()
    plan = plan_managed_resource(d, observed_mr(d), [observed_secret(d)])
    assert plan.is_empty
    assert plan.drift == ()


def test_changed_content_creates_new_secret_repoints_and_deletes_the_old_one() -> None:
    old, new = desired(), desired("Changed-0123456789-password-abcd")
    plan = plan_managed_resource(new, observed_mr(old), [observed_secret(old)])
    assert plan.create_secret
    assert plan.managed_resource_patch == {"spec": {"secretRefs": [{"name": new.secret_name}]}}
    assert plan.delete_secrets == (old.secret_name,)
    assert plan.drift == ()  # an update of our own content, not drift


def test_crash_after_repoint_still_deletes_the_superseded_secret() -> None:
    old, new = desired(), desired("Changed-0123456789-password-abcd")
    plan = plan_managed_resource(new, observed_mr(new), [observed_secret(old), observed_secret(new)])
    assert not plan.create_secret and not plan.managed_resource_patch
    assert plan.delete_secrets == (old.secret_name,)


def test_tampered_spec_is_patched_back_and_reported() -> None:
    d = desired()
    tampered = observed_mr(
        d, keep_objects=True, resource_class="seed", secret_refs=("foreign",), labels={}, inject_labels={}
    )
    plan = plan_managed_resource(d, tampered, [observed_secret(d)])
    assert plan.managed_resource_patch == {
        "spec": {
            "secretRefs": [{"name": d.secret_name}],
            "keepObjects": False,
            "class": None,
            "injectLabels": {names.NO_CLEANUP_LABEL: "true"},
        },
        "metadata": {"labels": d.labels()},
    }
    assert len(plan.drift) == 4


def test_secret_with_wrong_content_under_our_hash_is_recreated() -> None:
    d = desired()
    plan = plan_managed_resource(d, observed_mr(d), [observed_secret(d, data={"x": "y"})])
    assert plan.recreate_secret and not plan.create_secret
    assert any("does not match its hash" in item for item in plan.drift)


def test_missing_secret_labels_are_added() -> None:
    d = desired()
    secret = observed_secret(d, labels={names.MANAGED_RESOURCE_LABEL: d.name})
    plan = plan_managed_resource(d, observed_mr(d), [secret])
    assert plan.secret_labels == {
        names.MANAGED_BY_LABEL: names.MANAGED_BY,
        names.GARBAGE_COLLECTABLE_LABEL: "true",
    }


def test_secrets_of_other_managed_resources_are_never_deleted() -> None:
    d = desired()
    other = ObservedContentSecret(
        NS,
        "managedresource-extension-ontap-trident-backend-12345678",
        {},
        labels={names.MANAGED_RESOURCE_LABEL: names.BACKEND_MR},
    )
    plan = plan_managed_resource(d, observed_mr(d), [observed_secret(d), other])
    assert plan.is_empty


def test_terminating_managed_resource_blocks_with_its_finalizers() -> None:
    d = desired()
    mr = observed_mr(d, deleting=True, finalizers=("resources.gardener.cloud/gardener-resource-manager",))
    plan = plan_managed_resource(d, mr, [observed_secret(d)])
    assert "is being deleted" in plan.blocked
    assert "gardener-resource-manager" in plan.blocked
    assert plan.is_empty


def test_deletion_goes_backend_and_credentials_first_then_operator() -> None:
    d = desired()
    every = {
        name: observed_mr(d, name=name)
        for name in (names.OPERATOR_MR, names.BACKEND_MR, names.CREDENTIALS_MR)
    }
    first = next_deletion(every)
    assert first is not None
    assert set(first.delete) == {names.BACKEND_MR, names.CREDENTIALS_MR}
    only_operator = {names.OPERATOR_MR: every[names.OPERATOR_MR]}
    second = next_deletion(only_operator)
    assert second is not None and second.delete == (names.OPERATOR_MR,)
    assert next_deletion({}) is None


def test_deletion_waits_without_re_deleting_terminating_resources() -> None:
    d = desired()
    terminating = {names.BACKEND_MR: observed_mr(d, name=names.BACKEND_MR, deleting=True)}
    step = next_deletion(terminating)
    assert step is not None
    assert step.delete == () and step.waiting_for == (names.BACKEND_MR,)
