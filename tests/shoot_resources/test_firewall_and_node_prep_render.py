"""Rendering of the metal-stack firewall policy and of the node-preparation webhook configuration (pure)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.config import ShootWebhookConfig
from controller.shoot_resources import names
from controller.shoot_resources.firewall import cluster_wide_network_policy, firewall_wanted
from controller.shoot_resources.managed_resource import DesiredManagedResource
from controller.shoot_resources.node_prep import NodePrepError
from controller.shoot_resources.plan import DELETION_PHASES, plan_retirement
from controller.shoot_resources.render import render_shoot_resources
from tests.shoot_resources.helpers import SVM, inputs
from tests.shoot_resources.test_plan import observed_mr, observed_secret

PEM = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def only_object(desired: DesiredManagedResource) -> dict[str, Any]:
    (text,) = desired.data.values()
    parsed = yaml.safe_load(text)
    assert isinstance(parsed, dict)
    return parsed


def webhook(tmp_path: Path, **changes: Any) -> ShootWebhookConfig:
    for name in ("tls.crt", "tls.key"):
        (tmp_path / name).write_text("x")
    (tmp_path / "ca.crt").write_bytes(PEM)
    return ShootWebhookConfig.model_validate(
        {
            "certFile": str(tmp_path / "tls.crt"),
            "keyFile": str(tmp_path / "tls.key"),
            "caFile": str(tmp_path / "ca.crt"),
            "url": "https://gardener-extension-ontap.extension-ontap:443",
            **changes,
        }
    )


def by_name(rendered: Any) -> dict[str, DesiredManagedResource]:
    return {d.name: d for d in rendered.managed_resources}


# -- the firewall policy -----------------------------------------------------------------------------


def test_nvme_policy_opens_management_on_443_and_every_data_lif_on_4420() -> None:
    policy = cluster_wide_network_policy(inputs(management="10.0.0.10", data=("10.0.0.11", "10.0.0.12")))
    assert policy["apiVersion"] == "metal-stack.io/v1"
    assert policy["kind"] == "ClusterwideNetworkPolicy"
    assert policy["metadata"] == {"name": "allow-to-ontap", "namespace": "firewall"}
    assert policy["spec"]["egress"] == [
        {"to": [{"cidr": "10.0.0.10/32"}], "ports": [{"protocol": "TCP", "port": 443}]},
        {
            "to": [{"cidr": "10.0.0.11/32"}, {"cidr": "10.0.0.12/32"}],
            "ports": [{"protocol": "TCP", "port": 4420}],
        },
    ]


def test_iscsi_opens_the_data_lifs_on_3260() -> None:
    policy = cluster_wide_network_policy(inputs(sanType="iscsi"))
    assert policy["spec"]["egress"][1]["ports"] == [{"protocol": "TCP", "port": 3260}]


def test_san_economy_speaks_iscsi_tridents_default() -> None:
    san_inputs = inputs(storageDriver="ontap-san-economy")
    assert san_inputs.san_protocol == "iscsi"
    assert cluster_wide_network_policy(san_inputs)["spec"]["egress"][1]["ports"][0]["port"] == 3260


@pytest.mark.parametrize("extra", [{"sanType": "fcp"}, {"storageDriver": "ontap-nas"}])
def test_fc_and_nas_open_only_the_management_lif(extra: dict[str, Any]) -> None:
    egress = cluster_wide_network_policy(inputs(**extra))["spec"]["egress"]
    assert egress == [{"to": [{"cidr": "127.0.0.10/32"}], "ports": [{"protocol": "TCP", "port": 443}]}]


@pytest.mark.parametrize(
    ("policy", "provider", "expected"),
    [
        ("auto", "metal", True),
        ("auto", "aws", False),
        ("auto", "", False),
        ("always", "aws", True),
        ("never", "metal", False),
    ],
)
def test_the_firewall_is_decided_from_the_shoots_provider_or_the_configuration(
    policy: str, provider: str, expected: bool
) -> None:
    assert firewall_wanted(policy, provider) is expected


def test_a_changed_lif_address_changes_the_firewall_content_hash() -> None:
    first = by_name(render_shoot_resources(inputs(data=("127.0.0.11", "127.0.0.12")), None, firewall=True))
    moved = by_name(render_shoot_resources(inputs(data=("127.0.0.11", "127.0.0.99")), None, firewall=True))
    assert first[names.FIREWALL_MR].secret_name != moved[names.FIREWALL_MR].secret_name
    cidrs = [to["cidr"] for to in only_object(moved[names.FIREWALL_MR])["spec"]["egress"][1]["to"]]
    assert cidrs == ["127.0.0.11/32", "127.0.0.99/32"]


def test_without_firewall_there_is_no_policy_and_its_managed_resource_is_retired() -> None:
    rendered = render_shoot_resources(inputs(), None, firewall=False)
    assert names.FIREWALL_MR not in by_name(rendered)
    assert names.FIREWALL_MR in rendered.retired


# -- the node preparation webhook configuration -------------------------------------------------------


def test_nvme_shoot_gets_the_webhook_configuration(tmp_path: Path) -> None:
    rendered = render_shoot_resources(
        inputs(), None, technical_id="shoot--p1--s1", shoot_webhook=webhook(tmp_path)
    )
    configuration = only_object(by_name(rendered)[names.SHOOT_WEBHOOKS_MR])
    assert configuration["kind"] == "MutatingWebhookConfiguration"
    assert configuration["metadata"]["name"] == "gardener-extension-ontap-shoot"
    assert configuration["metadata"]["labels"] == {"remediation.webhook.shoot.gardener.cloud/exclude": "true"}
    (hook,) = configuration["webhooks"]
    assert hook["clientConfig"] == {
        "url": "https://gardener-extension-ontap.extension-ontap:443/webhooks/trident-node/shoot--p1--s1",
        "caBundle": base64.b64encode(PEM).decode(),
    }
    assert hook["sideEffects"] == "None"
    assert hook["failurePolicy"] == "Fail"
    assert hook["admissionReviewVersions"] == ["v1"]
    assert hook["rules"] == [
        {
            "apiGroups": ["apps"],
            "apiVersions": ["v1"],
            "resources": ["daemonsets"],
            "operations": ["CREATE", "UPDATE"],
            "scope": "Namespaced",
        }
    ]
    assert hook["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
    assert hook["objectSelector"] == {"matchLabels": {"app": "node.csi.trident.netapp.io"}}
    assert names.SHOOT_WEBHOOKS_MR not in rendered.retired


def test_the_failure_policy_comes_from_the_configuration(tmp_path: Path) -> None:
    rendered = render_shoot_resources(inputs(), None, shoot_webhook=webhook(tmp_path, failurePolicy="Ignore"))
    (hook,) = only_object(by_name(rendered)[names.SHOOT_WEBHOOKS_MR])["webhooks"]
    assert hook["failurePolicy"] == "Ignore"


@pytest.mark.parametrize("extra", [{"sanType": "iscsi"}, {"storageDriver": "ontap-nas"}, {"sanType": "fcp"}])
def test_only_nvme_shoots_get_node_preparation(tmp_path: Path, extra: dict[str, Any]) -> None:
    rendered = render_shoot_resources(inputs(**extra), None, shoot_webhook=webhook(tmp_path))
    assert names.SHOOT_WEBHOOKS_MR not in by_name(rendered)
    assert names.SHOOT_WEBHOOKS_MR in rendered.retired
    assert "no NVMe/TCP preparation" in rendered.node_prep


def test_nvme_without_a_configured_webhook_says_the_nodes_are_not_prepared() -> None:
    rendered = render_shoot_resources(inputs(), None)
    assert names.SHOOT_WEBHOOKS_MR not in by_name(rendered)
    assert "NOT prepared" in rendered.node_prep and "shootWebhook" in rendered.node_prep


def test_an_unreadable_ca_leaves_the_webhook_managed_resource_alone(tmp_path: Path) -> None:
    config = webhook(tmp_path)
    config.ca_file.write_text("not a certificate")
    rendered = render_shoot_resources(inputs(), None, shoot_webhook=config)
    assert isinstance(rendered.node_prep_error, NodePrepError)
    assert "shootWebhook.caFile" in str(rendered.node_prep_error)
    assert names.SHOOT_WEBHOOKS_MR not in by_name(rendered)
    assert names.SHOOT_WEBHOOKS_MR not in rendered.retired


# -- deletion and retirement ---------------------------------------------------------------------------


def test_firewall_and_webhook_are_deleted_after_trident_released_the_backend() -> None:
    first, last = DELETION_PHASES
    assert names.BACKEND_MR in first and names.CREDENTIALS_MR in first
    assert {names.FIREWALL_MR, names.SHOOT_WEBHOOKS_MR, names.OPERATOR_MR} == set(last)


def test_retirement_deletes_the_managed_resource_first_and_its_secrets_once_it_is_gone() -> None:
    firewall = by_name(render_shoot_resources(inputs(), None, firewall=True))[names.FIREWALL_MR]
    secret = observed_secret(firewall)
    present = plan_retirement((names.FIREWALL_MR,), {names.FIREWALL_MR: observed_mr(firewall)}, [secret])
    assert present.delete == (names.FIREWALL_MR,) and present.delete_secrets == ()
    deleting = plan_retirement(
        (names.FIREWALL_MR,), {names.FIREWALL_MR: observed_mr(firewall, deleting=True)}, [secret]
    )
    assert deleting.delete == () and deleting.waiting_for == (names.FIREWALL_MR,)
    gone = plan_retirement((names.FIREWALL_MR,), {}, [secret])
    assert gone.delete == () and [s.name for s in gone.delete_secrets] == [firewall.secret_name]
    assert plan_retirement((names.FIREWALL_MR,), {}, []) == plan_retirement((), {}, [])


def test_svm_name_is_in_the_policy_description() -> None:
    assert SVM in cluster_wide_network_policy(inputs())["spec"]["description"]


def test_webhook_config_requires_https_and_existing_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="https://"):
        webhook(tmp_path, url="http://plain:80")
    with pytest.raises(ValueError, match="is not a file"):
        webhook(tmp_path, caFile=str(tmp_path / "missing.crt"))
