"""Builders shared by the shoot-resources tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from controller.config import ControllerConfig, StorageClassConfig, TridentConfig
from controller.credentials import SeedCredentials
from controller.provider_config import API_VERSION, KIND, ProviderConfig, parse_provider_config
from controller.shoot_resources.trident import TridentInputs, trident_inputs

SAMPLE_BUNDLE = Path(__file__).resolve().parents[2] / "hack" / "samples" / "trident-operator-bundle.yaml"
PASSWORD = "Zq7-pass.word+XyZ0123456789abcdE"
SVM = "p1234abcd"


def provider_config(
    management: str = "127.0.0.10", data: tuple[str, ...] = ("127.0.0.11", "127.0.0.12"), **extra: Any
) -> ProviderConfig:
    return parse_provider_config(
        {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "svmIpaddresses": {"managementLif": management, "dataLifs": list(data)},
            **extra,
        }
    )


def credentials(password: str = PASSWORD, username: str = "shoot--p1--s1") -> SeedCredentials:
    return SeedCredentials(username, SecretStr(password), "ontap-svm-credentials", "shoot--p1--s1")


def controller_config(**trident: Any) -> ControllerConfig:
    return ControllerConfig.model_validate(
        {
            "ontapClusters": [
                {"name": "c1", "endpoint": "https://ontap.example", "username": "admin", "password": "secret"}
            ],
            "trident": trident,
        }
    )


def inputs(
    *,
    password: str = PASSWORD,
    management: str = "127.0.0.10",
    storage_classes: list[StorageClassConfig] | None = None,
    **overrides: Any,
) -> TridentInputs:
    trident = TridentConfig(
        storage_classes=storage_classes or [StorageClassConfig(name="ontap-gold", default=True)]
    )
    return trident_inputs(SVM, provider_config(management, **overrides), credentials(password), trident)
