"""providerConfig validation happens before any ONTAP call and names the offending field."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pytest

from controller.errorcodes import ErrorCode
from controller.provider_config import API_VERSION, KIND, ProviderConfigError, parse_provider_config


def config(**ips: Any) -> dict[str, Any]:
    addresses = {"managementLif": "127.0.0.10", "dataLifs": ["127.0.0.11", "127.0.0.12"], **ips}
    return {"apiVersion": API_VERSION, "kind": KIND, "svmIpaddresses": addresses}


def test_metal_stack_format_is_accepted() -> None:
    parsed = parse_provider_config(config())
    assert parsed.management_lif == IPv4Address("127.0.0.10")
    assert parsed.data_lifs == [IPv4Address("127.0.0.11"), IPv4Address("127.0.0.12")]
    assert parsed.netmask_bits == 24
    assert parsed.storage_driver is None


def test_optional_fields() -> None:
    raw = {**config(), "netmaskBits": 32, "storageDriver": "ontap-san", "sanType": "iscsi"}
    parsed = parse_provider_config(raw)
    assert (parsed.netmask_bits, parsed.storage_driver, parsed.san_type) == (32, "ontap-san", "iscsi")


def test_missing_provider_config_is_a_configuration_problem() -> None:
    with pytest.raises(ProviderConfigError) as info:
        parse_provider_config(None)
    assert info.value.code is ErrorCode.CONFIGURATION_PROBLEM
    assert "spec.providerConfig is missing" in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({**config(), "apiVersion": "v1"}, "providerConfig.apiVersion"),
        ({**config(), "kind": "Other"}, "providerConfig.kind"),
        (config(dataLifs=[]), "providerConfig.svmIpaddresses.dataLifs"),
        (config(dataLifs=["127.0.0.11", "300.0.0.1"]), "providerConfig.svmIpaddresses.dataLifs[1]"),
        (config(managementLif="fe80::1"), "providerConfig.svmIpaddresses.managementLif"),
        (config(dataLifs=["127.0.0.11", "127.0.0.11"]), "svmIpaddresses.dataLifs[1]: address 127.0.0.11"),
        (
            config(dataLifs=["127.0.0.10"]),
            "svmIpaddresses.dataLifs[0]: address 127.0.0.10 is already used by svmIpaddresses.managementLif",
        ),
        ({**config(), "netmaskBits": 40}, "providerConfig.netmaskBits"),
        ({**config(), "storageDriver": "nfs"}, "providerConfig.storageDriver"),
        ({**config(), "surprise": 1}, "providerConfig.surprise"),
        ({"apiVersion": API_VERSION, "kind": KIND}, "providerConfig.svmIpaddresses"),
    ],
)
def test_invalid_configs_name_the_field(raw: dict[str, Any], expected: str) -> None:
    with pytest.raises(ProviderConfigError) as info:
        parse_provider_config(raw)
    assert expected in str(info.value)


def test_not_an_object() -> None:
    with pytest.raises(ProviderConfigError, match="must be an object"):
        parse_provider_config(["x"])
