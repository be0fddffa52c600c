"""Typed views built from netapp-ontap resources, and the cluster connection config."""

from __future__ import annotations

from pathlib import Path

import pytest
from netapp_ontap.resources.aggregate import Aggregate
from netapp_ontap.resources.ip_interface import IpInterface
from netapp_ontap.resources.svm import Svm
from pydantic import ValidationError

from ontap import models
from ontap.config import OntapClusterConfig
from ontap.errors import OntapUnexpectedAnswer


def test_svm_from_library_resource() -> None:
    resource = Svm.from_dict(
        {
            "uuid": "u1",
            "name": "p1",
            "state": "running",
            "comment": "c",
            "aggregates": [{"name": "aggr1"}, {"name": "aggr2"}],
            "nvme": {"enabled": True, "allowed": True},
        }
    )
    info = models.svm_from(resource.to_dict())
    assert info.aggregates == ("aggr1", "aggr2")
    assert info.nvme_enabled is True and info.is_settled


def test_interface_with_dotted_netmask() -> None:
    resource = IpInterface.from_dict(
        {
            "uuid": "i1",
            "name": "data1",
            "svm": {"name": "p1", "uuid": "u1"},
            "ip": {"address": "127.0.0.11", "netmask": "255.255.255.0"},
            "location": {"home_node": {"name": "fake-01"}},
            "service_policy": {"name": "default-data-nvme-tcp"},
            "enabled": True,
        }
    )
    info = models.interface_from(resource.to_dict())
    assert (str(info.ip), info.prefix_length, info.home_node, info.svm) == ("127.0.0.11", 24, "fake-01", "p1")
    assert str(info.network) == "127.0.0.0/24"


def test_aggregate_volume_count_uses_the_hyphenated_key() -> None:
    resource = Aggregate.from_dict({"uuid": "a", "name": "aggr1", "node": {"name": "n1"}, "volume-count": 7})
    assert models.aggregate_from(resource.to_dict()).volume_count == 7


@pytest.mark.parametrize(
    ("builder", "record", "what"),
    [
        (models.svm_from, {"name": "p1"}, "svm p1"),
        (
            models.interface_from,
            {"uuid": "i", "name": "data1", "ip": {"address": "not-an-ip"}},
            "interface data1",
        ),
        (
            models.interface_from,
            {"uuid": "i", "name": "d", "ip": {"address": "1.2.3.4", "netmask": "x"}},
            "interface d",
        ),
        (models.account_from, {"role": {"name": "vsadmin"}}, "account ?"),
    ],
)
def test_unreadable_records_name_the_object(builder: object, record: dict[str, object], what: str) -> None:
    with pytest.raises(OntapUnexpectedAnswer) as caught:
        builder(record)  # type: ignore[operator]
    assert what in str(caught.value)


def test_config_camel_case_and_defaults() -> None:
    config = OntapClusterConfig.model_validate(
        {"name": "c1", "endpoint": "ontap.example", "username": "admin", "password": "pw", "maxInFlight": 2}
    )
    assert config.endpoint == "https://ontap.example"
    assert (config.host, config.port, config.scheme, config.verify) == ("ontap.example", 443, "https", True)
    assert config.max_in_flight == 2 and config.connect_timeout == 6 and config.read_timeout == 45


def test_config_credentials_from_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pw").write_text("from-file\n")
    monkeypatch.setenv("ONTAP_USER", "admin-env")
    config = OntapClusterConfig.model_validate(
        {
            "name": "c1",
            "endpoint": "http://127.0.0.1:8080",
            "usernameEnv": "ONTAP_USER",
            "passwordFile": tmp_path / "pw",
        }
    )
    username, password = config.credentials()
    assert (username, password.get_secret_value()) == ("admin-env", "from-file")
    assert config.port == 8080 and config.verify is True


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "a", "usernameEnv": "X", "password": "p"}, "username: give exactly one"),
        ({"username": "a"}, "password: missing"),
        ({"username": "a", "passwordFile": "/nonexistent/pw"}, "passwordFile: cannot read"),
        ({"username": "a", "passwordEnv": "SURELY_UNSET_VARIABLE"}, "passwordEnv: environment variable"),
        ({"username": "a", "password": "p", "maxInFlight": 0}, "maxInFlight"),
        ({"username": "a", "password": "p", "insecure": True, "caBundleFile": "/etc/hostname"}, "not both"),
    ],
)
def test_config_errors_name_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        OntapClusterConfig.model_validate({"name": "c1", "endpoint": "https://h", **data})
    assert message in str(caught.value)


def test_config_errors_never_show_the_password() -> None:
    with pytest.raises(ValidationError) as caught:
        OntapClusterConfig.model_validate(
            {"name": "c1", "endpoint": "ftp://h", "username": "a", "password": "very-secret-pw"}
        )
    assert "very-secret-pw" not in str(caught.value)
    config = OntapClusterConfig(name="c", endpoint="https://h", username="a", password="very-secret-pw")
    assert "very-secret-pw" not in repr(config)


def test_insecure_is_explicit() -> None:
    config = OntapClusterConfig(name="c", endpoint="https://h", username="a", password="p", insecure=True)
    assert config.verify is False
