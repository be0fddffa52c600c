"""The controller's configuration: one YAML file with camelCase keys, validated at start.

A mistake in the file stops the process before it touches anything, with a message that names the
offending key the way it is spelled in the YAML (`ontapClusters.0.endpoint: ...`).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from ontap.config import OntapClusterConfig

LEADER_ELECTION_NAMESPACE_ENV = "LEADER_ELECTION_NAMESPACE"
DEFAULT_NAMESPACE = "garden"

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message names each bad key."""


def parse_duration(value: Any) -> timedelta:
    """Read a duration: `"30s"`, `"5m"`, `"1h30m"`, `"250ms"`, a number of seconds, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or a string like '30s', '5m', '1h'")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError("a duration must be a number of seconds or a string like '30s', '5m', '1h'")
    text = value.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return timedelta(seconds=float(text))
    position = 0
    seconds = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not text or position != len(text):
        raise ValueError(f"{value!r} is not a duration (use e.g. '30s', '5m', '1h30m', '250ms')")
    return timedelta(seconds=seconds)


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be greater than zero")
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration), AfterValidator(_positive)]


def _default_namespace() -> str:
    return os.environ.get(LEADER_ELECTION_NAMESPACE_ENV) or DEFAULT_NAMESPACE


class _Section(BaseModel):
    """Common settings: camelCase keys in YAML, snake_case in Python, unknown keys rejected."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="forbid", frozen=True
    )


class BackoffConfig(_Section):
    """Per-key retry delay after a failed reconcile: base * 2^(failures-1), capped, with jitter."""

    base: Duration = timedelta(seconds=1)
    cap: Duration = timedelta(minutes=5)
    jitter: float = Field(default=0.2, ge=0.0, lt=1.0)

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> BackoffConfig:
        if self.cap < self.base:
            raise ValueError("cap must not be smaller than base")
        return self


class LeaderElectionConfig(_Section):
    """Lease-based leader election: only the leader reconciles; standbys keep their cache warm."""

    enabled: bool = True
    namespace: str = Field(default_factory=_default_namespace, min_length=1)
    lease_name: str = Field(default="gardener-extension-ontap-leader-election", min_length=1)
    lease_duration: Duration = timedelta(seconds=15)
    renew_deadline: Duration = timedelta(seconds=10)
    retry_period: Duration = timedelta(seconds=2)

    @model_validator(mode="after")
    def _timings_are_ordered(self) -> LeaderElectionConfig:
        if not self.lease_duration > self.renew_deadline > self.retry_period:
            raise ValueError("leaseDuration > renewDeadline > retryPeriod must hold")
        return self


class HeartbeatConfig(_Section):
    """The `gardener-extension-heartbeat` Lease that tells gardenlet the extension is alive."""

    enabled: bool = True
    namespace: str = Field(default_factory=_default_namespace, min_length=1)
    lease_name: str = Field(default="gardener-extension-heartbeat", min_length=1)
    holder_identity: str = Field(default="gardener-extension-ontap", min_length=1)
    renew_interval: Duration = timedelta(seconds=30)


class StorageClassConfig(_Section):
    """One StorageClass deployed into every shoot, backed by the shoot's Trident backend."""

    name: str = Field(min_length=1, max_length=253)
    default: bool = False
    luks_encryption: bool = False
    reclaim_policy: Literal["Delete", "Retain"] = "Delete"
    allow_volume_expansion: bool = True
    parameters: dict[str, str] = Field(default_factory=dict)


def _default_storage_classes() -> list[StorageClassConfig]:
    return [StorageClassConfig(name="ontap-gold", default=True)]


class TridentConfig(_Section):
    """How Trident is wired into the shoots."""

    operator_bundle_file: Path | None = None
    # The shoot namespace of Trident and of every Trident object we deploy (docs/shoot-resources.md,
    # "Trident's namespace"): kube-system, where the shoot's resource manager can write and Gardener
    # treats DaemonSets as node-critical.
    namespace: str = Field(
        default="kube-system", min_length=1, max_length=63, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    )
    storage_driver: str = Field(default="ontap-san", min_length=1)
    san_type: Literal["nvme", "iscsi", "fcp"] = "nvme"
    storage_classes: list[StorageClassConfig] = Field(default_factory=_default_storage_classes)

    @field_validator("storage_classes")
    @classmethod
    def _storage_classes_are_consistent(cls, value: list[StorageClassConfig]) -> list[StorageClassConfig]:
        names = [sc.name for sc in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"storage class names must be unique, repeated: {duplicates}")
        if sum(1 for sc in value if sc.default) > 1:
            raise ValueError("at most one storage class may be the default")
        return value

    @field_validator("operator_bundle_file")
    @classmethod
    def _bundle_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{str(value)!r} is not a file")
        return value


class ImageConfig(_Section):
    """One image the controller puts into shoots, an entry in the form of Gardener's image vector."""

    name: str = Field(min_length=1)
    repository: str = Field(min_length=1)
    tag: str | None = None
    source_repository: str | None = None

    @property
    def reference(self) -> str:
        """`repository:tag`, `repository@sha256:...` for a digest, or the bare repository."""
        if not self.tag:
            return self.repository
        separator = "@" if self.tag.startswith("sha256:") else ":"
        return f"{self.repository}{separator}{self.tag}"


# The image of the init container that loads nvme-tcp on every node (see docs/shoot-resources.md).
NVME_TCP_INIT_IMAGE = "nvme-tcp-init"


class ShootWebhookConfig(_Section):
    """The HTTPS listener serving the shoot webhook that prepares Trident's node plugin for NVMe/TCP."""

    port: int = Field(default=10250, ge=0, le=65535)
    cert_file: Path
    key_file: Path
    ca_file: Path
    url: str = Field(min_length=1)
    failure_policy: Literal["Fail", "Ignore"] = "Fail"
    timeout_seconds: int = Field(default=10, ge=1, le=30)

    @field_validator("cert_file", "key_file", "ca_file")
    @classmethod
    def _file_exists(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError(f"{str(value)!r} is not a file")
        return value

    @field_validator("url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        if not value.startswith("https://") or len(value) <= len("https://"):
            raise ValueError("must be an https:// URL (the shoots' kube-apiservers call it)")
        return value.rstrip("/")


class FirewallConfig(_Section):
    """When the shoot gets the metal-stack ClusterwideNetworkPolicy that opens egress to its SVM's LIFs."""

    policy: Literal["auto", "always", "never"] = "auto"


class AdoptionConfig(_Section):
    """Taking over what metal-stack's Go extension made; off by default.

    See docs/migration-from-go-extension.md.
    """

    go_extension: bool = False


class ShootHealthConfig(_Section):
    """The `SystemComponentsHealthy` condition: reading the shoot (Trident's backend) through Gardener's shoot
    access; see docs/shoot-resources.md ("Health")."""

    timeout: Duration = timedelta(seconds=10)
    max_clients: int = Field(default=100, ge=1, le=10000)
    credentials_refresh: Duration = timedelta(minutes=30)
    credentials_retry: Duration = timedelta(minutes=1)
    progressing_threshold: Duration = timedelta(minutes=10)


class ControllerConfig(_Section):
    """Everything the controller reads at start; see docs/controller-runtime.md for each key."""

    ontap_clusters: list[OntapClusterConfig] = Field(min_length=1)
    extension_type: str = Field(default="ontap", min_length=1)
    project_annotation: str = Field(default="cluster.metal-stack.io/project", min_length=1)
    resync_period: Duration = timedelta(minutes=5)
    max_concurrent_reconciles: int = Field(default=5, ge=1, le=256)
    drain_timeout: Duration = timedelta(seconds=30)
    backoff: BackoffConfig = Field(default_factory=BackoffConfig)
    leader_election: LeaderElectionConfig = Field(default_factory=LeaderElectionConfig)
    heartbeat: HeartbeatConfig = Field(default_factory=HeartbeatConfig)
    health_port: int = Field(default=8081, ge=0, le=65535)
    metrics_port: int = Field(default=8080, ge=0, le=65535)
    bind_address: str = "0.0.0.0"
    password_length: int = Field(default=32, ge=16, le=128)
    trident: TridentConfig = Field(default_factory=TridentConfig)
    seed_secret_name: str = Field(default="ontap-svm-credentials", min_length=1, max_length=253)
    kubeconfig: Path | None = None
    kube_request_timeout: Duration = timedelta(seconds=30)
    pass_timeout: Duration = timedelta(minutes=10)
    slow_pass_after: Duration = timedelta(seconds=30)
    shoot_health: ShootHealthConfig = Field(default_factory=ShootHealthConfig)
    shoot_webhook: ShootWebhookConfig | None = None
    images: list[ImageConfig] = Field(default_factory=list)
    firewall: FirewallConfig = Field(default_factory=FirewallConfig)
    adoption: AdoptionConfig = Field(default_factory=AdoptionConfig)

    def image(self, name: str) -> ImageConfig | None:
        """The image vector entry `name`, if configured."""
        return next((image for image in self.images if image.name == name), None)

    @model_validator(mode="after")
    def _webhook_images_configured(self) -> ControllerConfig:
        image_names = [image.name for image in self.images]
        repeated = sorted({n for n in image_names if image_names.count(n) > 1})
        if repeated:
            raise ValueError(f"images: names must be unique, repeated: {repeated}")
        if self.shoot_webhook is not None and self.image(NVME_TCP_INIT_IMAGE) is None:
            raise ValueError(
                f"images: no entry named {NVME_TCP_INIT_IMAGE!r}; shootWebhook needs it for the init "
                "container that loads nvme-tcp on every node"
            )
        return self

    @field_validator("ontap_clusters")
    @classmethod
    def _cluster_names_unique(cls, value: list[OntapClusterConfig]) -> list[OntapClusterConfig]:
        names = [c.name for c in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"ONTAP cluster names must be unique, repeated: {duplicates}")
        return value


def format_validation_error(error: ValidationError) -> str:
    """One line per problem, each starting with the YAML key path (`ontapClusters.0.endpoint`)."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{location}: {message}")
    return "\n".join(lines)


def config_from_mapping(data: Any, *, source: str = "configuration") -> ControllerConfig:
    """Validate already-parsed YAML; raises `ConfigError` naming every bad key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of keys at the top level")
    try:
        return ControllerConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source} is invalid:\n{format_validation_error(exc)}") from None


def load_config(path: Path | str) -> ControllerConfig:
    """Read and validate the controller configuration from a YAML file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {str(file)!r}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{str(file)!r} is not valid YAML{_yaml_position(exc)}") from None
    return config_from_mapping(data, source=str(file))


def _yaml_position(exc: yaml.YAMLError) -> str:
    # Only the position and the parser's complaint: the offending line may hold a password.
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{where}: {problem}" if problem else where
