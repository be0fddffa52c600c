"""Connection settings of one ONTAP cluster, as the operator writes them in the controller's YAML."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import structlog
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

log = structlog.get_logger(__name__)


class OntapClusterConfig(BaseModel):
    """One ONTAP cluster: where it is, how to authenticate, how to trust it, how hard to push it.

    Credentials come from exactly one source per value: inline (`username`/`password`), a file
    (`usernameFile`/`passwordFile`, e.g. a mounted Secret) or an environment variable
    (`usernameEnv`/`passwordEnv`). Files and variables are read once, when the config is loaded.
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True, hide_input_in_errors=True)

    name: str = Field(min_length=1)
    endpoint: str
    username: str | None = None
    password: SecretStr | None = None
    username_file: Path | None = Field(default=None, alias="usernameFile")
    password_file: Path | None = Field(default=None, alias="passwordFile")
    username_env: str | None = Field(default=None, alias="usernameEnv")
    password_env: str | None = Field(default=None, alias="passwordEnv")
    ca_bundle_file: Path | None = Field(default=None, alias="caBundleFile")
    insecure: bool = False
    svm_ca_bundle_file: Path | None = Field(default=None, alias="svmCaBundleFile")
    svm_insecure: bool | None = Field(default=None, alias="svmInsecure")
    max_in_flight: int = Field(default=4, ge=1, alias="maxInFlight")
    connect_timeout: float = Field(default=6.0, gt=0, alias="connectTimeout")
    read_timeout: float = Field(default=45.0, gt=0, alias="readTimeout")
    # Bounds of one ONTAP call as a whole: a trickling answer or a huge body ends in an error naming it.
    request_timeout: float = Field(default=60.0, gt=0, alias="requestTimeout")
    max_response_bytes: int = Field(default=32 * 1024 * 1024, ge=1024, alias="maxResponseBytes")
    # ONTAP's asynchronous jobs (SVM create/modify/delete) are polled first after `jobPollInitial`, then at
    # intervals doubling up to `jobPollMax`, until `jobTimeout`: a fast job is seen almost as soon as it ends,
    # a slow one costs few polls.
    job_poll_initial: float = Field(default=0.05, gt=0, alias="jobPollInitial")
    job_poll_max: float = Field(default=2.0, gt=0, alias="jobPollMax")
    job_timeout: float = Field(default=300.0, gt=0, alias="jobTimeout")
    # Idle keep-alive connections kept to SVM management LIFs for the shoots' password checks.
    max_login_connections: int = Field(default=64, ge=0, alias="maxLoginConnections")

    @field_validator("endpoint")
    @classmethod
    def _endpoint_is_a_url(cls, value: str) -> str:
        text = value.strip().rstrip("/")
        if "://" not in text:
            text = f"https://{text}"
        parts = urlsplit(text)
        if parts.scheme not in ("https", "http"):
            raise ValueError(
                f"endpoint: scheme must be https (or http for a test server), got {parts.scheme!r}"
            )
        if not parts.hostname:
            raise ValueError(f"endpoint: no host in {value!r}")
        if parts.path not in ("", "/") or parts.query:
            raise ValueError(f"endpoint: must be scheme://host[:port] only, got {value!r}")
        return text

    @model_validator(mode="before")
    @classmethod
    def _resolve_credentials(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        resolved = dict(data)
        for field, file_key, env_key in (
            ("username", ("username_file", "usernameFile"), ("username_env", "usernameEnv")),
            ("password", ("password_file", "passwordFile"), ("password_env", "passwordEnv")),
        ):
            resolved[field] = _resolve_one(resolved, field, file_key, env_key)
        return resolved

    @model_validator(mode="after")
    def _check_job_polling(self) -> OntapClusterConfig:
        if self.job_poll_initial > self.job_poll_max:
            raise ValueError(
                f"jobPollInitial ({self.job_poll_initial:g}s) must not exceed "
                f"jobPollMax ({self.job_poll_max:g}s)"
            )
        return self

    @model_validator(mode="after")
    def _check_tls(self) -> OntapClusterConfig:
        # The cluster address and the SVMs' management LIFs follow the same two rules.
        for insecure, bundle, keys, what in (
            (self.insecure, self.ca_bundle_file, ("caBundleFile", "insecure"), "ontap TLS"),
            (self.svm_insecure, self.svm_ca_bundle_file, ("svmCaBundleFile", "svmInsecure"), "SVM LIF TLS"),
        ):
            if insecure and bundle is not None:
                raise ValueError(f"cluster {self.name!r}: set either {keys[0]} or {keys[1]}, not both")
            if bundle is not None and not bundle.is_file():
                raise ValueError(f"cluster {self.name!r}: {keys[0]} {str(bundle)!r} is not a file")
            if insecure and self.scheme == "https":
                log.warning(f"{what} verification disabled", cluster=self.name, endpoint=self.endpoint)
        return self

    @property
    def scheme(self) -> str:
        """`https` or `http`."""
        return urlsplit(self.endpoint).scheme

    @property
    def host(self) -> str:
        """Host name or IP address of the cluster management interface."""
        return urlsplit(self.endpoint).hostname or ""

    @property
    def port(self) -> int:
        """TCP port, defaulting from the scheme."""
        parts = urlsplit(self.endpoint)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def verify(self) -> str | bool:
        """What `requests` gets as `verify`: the CA bundle path, True, or False only when insecure."""
        if self.insecure:
            return False
        if self.ca_bundle_file is not None:
            return str(self.ca_bundle_file)
        return True

    def at_svm_lif(self, address: str) -> OntapClusterConfig:
        """The settings for talking to one of the cluster's SVM management LIFs at `address`.

        SVM-scoped accounts log in there, not at the cluster address (see docs/seed-secret.md). Same
        scheme and port as the cluster address; TLS is verified with `svmCaBundleFile`, or else as
        for the cluster address (`caBundleFile`, `insecure`); `svmInsecure: true` turns it off.
        """
        host = f"[{address}]" if ":" in address else address
        if self.svm_insecure:
            tls: dict[str, Any] = {"insecure": True, "ca_bundle_file": None}
        elif self.svm_ca_bundle_file is not None:
            tls = {"insecure": False, "ca_bundle_file": self.svm_ca_bundle_file}
        elif self.svm_insecure is False:
            tls = {"insecure": False, "ca_bundle_file": self.ca_bundle_file}
        else:
            tls = {}
        return self.model_copy(update={"endpoint": f"{self.scheme}://{host}:{self.port}", **tls})

    def credentials(self) -> tuple[str, SecretStr]:
        """The resolved username and password."""
        if self.username is None or self.password is None:
            raise ValueError(f"cluster {self.name!r}: credentials were not resolved")
        return self.username, self.password


def _resolve_one(
    data: dict[str, Any], field: str, file_keys: tuple[str, str], env_keys: tuple[str, str]
) -> Any:
    inline = data.get(field)
    file_key = next((k for k in file_keys if data.get(k) is not None), None)
    env_key = next((k for k in env_keys if data.get(k) is not None), None)
    given = [k for k in (field if inline is not None else None, file_key, env_key) if k is not None]
    if len(given) > 1:
        raise ValueError(f"{field}: give exactly one of {field}, {file_keys[1]}, {env_keys[1]} (got {given})")
    if not given:
        raise ValueError(f"{field}: missing; give one of {field}, {file_keys[1]}, {env_keys[1]}")
    if file_key is not None:
        path = Path(str(data[file_key]))
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"{file_keys[1]}: cannot read {str(path)!r}: {exc.strerror}") from None
        if not value:
            raise ValueError(f"{file_keys[1]}: {str(path)!r} is empty")
        return value
    if env_key is not None:
        name = str(data[env_key])
        env_value = os.environ.get(name)
        if not env_value:
            raise ValueError(f"{env_keys[1]}: environment variable {name!r} is not set or empty")
        return env_value
    if isinstance(inline, SecretStr):
        return inline
    if isinstance(inline, str) and not inline:
        raise ValueError(f"{field}: must not be empty")
    return inline
