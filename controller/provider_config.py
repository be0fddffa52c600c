"""The Extension's `spec.providerConfig`: which IPs the project's SVM gets, validated before any ONTAP call.

The format is the metal-stack one, so existing shoot manifests keep working:

    apiVersion: ontap.metal.extensions.gardener.cloud/v1alpha1
    kind: TridentConfig
    svmIpaddresses:
      managementLif: 127.0.0.10
      dataLifs: [127.0.0.11, 127.0.0.12]

Optional fields of our own: `netmaskBits` (prefix length of the LIFs, default 24), `storageDriver` and
`sanType` (override the controller's Trident defaults for this shoot).
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from controller.errorcodes import ErrorCode

API_VERSION = "ontap.metal.extensions.gardener.cloud/v1alpha1"
KIND = "TridentConfig"


class ProviderConfigError(ValueError):
    """The providerConfig cannot be used; the message names the field path. Gardener stops retrying on it."""

    code = ErrorCode.CONFIGURATION_PROBLEM

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class SvmIpAddresses(BaseModel):
    """The LIF addresses of the project's SVM."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)

    management_lif: IPv4Address = Field(alias="managementLif")
    data_lifs: list[IPv4Address] = Field(alias="dataLifs", min_length=1)


class ProviderConfig(BaseModel):
    """Typed view of `Extension.spec.providerConfig`."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)

    api_version: Literal["ontap.metal.extensions.gardener.cloud/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["TridentConfig"]
    svm_ip_addresses: SvmIpAddresses = Field(alias="svmIpaddresses")
    netmask_bits: int = Field(default=24, alias="netmaskBits", ge=8, le=32)
    storage_driver: str | None = Field(default=None, alias="storageDriver")
    san_type: Literal["nvme", "iscsi", "fcp"] | None = Field(default=None, alias="sanType")

    @field_validator("storage_driver")
    @classmethod
    def _known_driver(cls, value: str | None) -> str | None:
        if value is not None and value not in {"ontap-san", "ontap-san-economy", "ontap-nas"}:
            raise ValueError(f"unsupported storage driver {value!r}")
        return value

    @property
    def management_lif(self) -> IPv4Address:
        return self.svm_ip_addresses.management_lif

    @property
    def data_lifs(self) -> list[IPv4Address]:
        return list(self.svm_ip_addresses.data_lifs)


def duplicate_address_problems(addresses: SvmIpAddresses) -> list[str]:
    """Each address used twice (across data and management LIFs), named by the path of its second use."""
    seen: dict[IPv4Address, str] = {addresses.management_lif: "svmIpaddresses.managementLif"}
    problems = []
    for index, address in enumerate(addresses.data_lifs):
        path = f"svmIpaddresses.dataLifs[{index}]"
        if address in seen:
            problems.append(f"{path}: address {address} is already used by {seen[address]}")
        else:
            seen[address] = path
    return problems


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def parse_provider_config(raw: Any) -> ProviderConfig:
    """Validate `spec.providerConfig`; raises `ProviderConfigError` naming the field path on any problem."""
    if raw is None:
        raise ProviderConfigError(
            "spec.providerConfig is missing: it must be a TridentConfig "
            f"({API_VERSION}) with svmIpaddresses.managementLif and svmIpaddresses.dataLifs"
        )
    if not isinstance(raw, dict):
        raise ProviderConfigError(f"spec.providerConfig must be an object, got {type(raw).__name__}")
    try:
        config = ProviderConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"providerConfig.{_field_path(err['loc'])}: {err['msg']}" if err["loc"] else err["msg"]
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise ProviderConfigError("invalid providerConfig: " + "; ".join(problems)) from None
    duplicates = duplicate_address_problems(config.svm_ip_addresses)
    if duplicates:
        raise ProviderConfigError("invalid providerConfig: " + "; ".join(duplicates))
    return config
