"""Pure: the shoot's API endpoint (server, CA, token) from the two seed secrets Gardener provides.

Facts from gardener/gardener:
- the generic kubeconfig's name is the Cluster annotation
  `generic-token-kubeconfig.secret.gardener.cloud/name`, else `generic-token-kubeconfig`
  (`pkg/extensions/cluster.go` GenericTokenKubeconfigSecretNameFromCluster,
  `pkg/apis/core/v1beta1/constants/types_constants.go`);
- it holds key `kubeconfig` with the shoot's server, its CA and a user whose token is a file
  (`pkg/utils/gardener/tokenrequest/secrets.go` GenerateGenericTokenKubeconfig); the server is the in-cluster
  address `https://kube-apiserver`, resolvable only inside the shoot's namespace, and
  `kube-apiserver.<namespace>.svc` from elsewhere (`pkg/gardenlet/operation/shoot/shoot.go`
  ComputeInClusterAPIServerAddress; the serving certificate covers both, `pkg/utils/kubernetes/service.go`
  DNSNamesForService);
- the token lives in a shoot-access Secret `shoot-access-<name>` (`pkg/utils/gardener/shoot.go`
  NewShootAccessSecret) under key `token`, or injected into its own `kubeconfig` key when it has one
  (`pkg/controller/tokenrequestor/reconciler.go` updateSecretData).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

GENERIC_KUBECONFIG_ANNOTATION = "generic-token-kubeconfig.secret.gardener.cloud/name"
GENERIC_KUBECONFIG_DEFAULT = "generic-token-kubeconfig"
DATA_KEY_KUBECONFIG = "kubeconfig"
DATA_KEY_TOKEN = "token"


class ShootAccessError(Exception):
    """The shoot cannot be reached with what the seed holds; the message names the secret and the key."""


@dataclass(frozen=True)
class ShootEndpoint:
    """Where and how to reach a shoot's kube-apiserver. `repr` never shows the token."""

    server: str
    ca_pem: str
    token: str = field(repr=False)

    @property
    def fingerprint(self) -> str:
        """Changes whenever server, CA or token change (a client built for another one is replaced)."""
        digest = hashlib.sha256("\0".join((self.server, self.ca_pem, self.token)).encode())
        return digest.hexdigest()


def generic_kubeconfig_secret_name(cluster: dict[str, Any] | None) -> str:
    """The generic token kubeconfig Secret of the shoot's seed namespace, as Gardener names it."""
    annotations = ((cluster or {}).get("metadata") or {}).get("annotations") or {}
    name = annotations.get(GENERIC_KUBECONFIG_ANNOTATION)
    return str(name) if name else GENERIC_KUBECONFIG_DEFAULT


def in_cluster_server(server: str, namespace: str) -> str:
    """`https://kube-apiserver` (a bare Service name) as reachable from outside the shoot's namespace."""
    parts = urlsplit(server if "://" in server else f"https://{server}")
    host = parts.hostname or ""
    if not host or "." in host or host == "localhost" or _is_ip(host):
        return urlunsplit(parts)
    netloc = f"{host}.{namespace}.svc" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class _Kubeconfig:
    server: str
    ca_pem: str
    token: str = field(repr=False)


def _parse(text: str, where: str) -> _Kubeconfig:
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ShootAccessError(f"{where} is not valid YAML") from None
    if not isinstance(config, dict):
        raise ShootAccessError(f"{where} is not a kubeconfig")
    contexts = {
        c.get("name"): c.get("context") or {} for c in config.get("contexts") or [] if isinstance(c, dict)
    }
    context = contexts.get(config.get("current-context")) or next(iter(contexts.values()), {})
    clusters = {
        c.get("name"): c.get("cluster") or {} for c in config.get("clusters") or [] if isinstance(c, dict)
    }
    users = {u.get("name"): u.get("user") or {} for u in config.get("users") or [] if isinstance(u, dict)}
    cluster = clusters.get(context.get("cluster")) or next(iter(clusters.values()), {})
    user = users.get(context.get("user")) or next(iter(users.values()), {})
    server = str(cluster.get("server") or "")
    if not server:
        raise ShootAccessError(f"{where} names no cluster server")
    ca_data = cluster.get("certificate-authority-data")
    if not ca_data:
        raise ShootAccessError(f"{where} has no certificate-authority-data for {server}")
    try:
        ca_pem = base64.b64decode(str(ca_data), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ShootAccessError(f"{where}: certificate-authority-data is not base64 PEM") from None
    return _Kubeconfig(server=server, ca_pem=ca_pem, token=str(user.get("token") or ""))


def endpoint_from_secrets(
    namespace: str,
    generic_name: str,
    generic_data: dict[str, str] | None,
    access_name: str,
    access_data: dict[str, str] | None,
) -> ShootEndpoint:
    """Server and CA from the generic kubeconfig, the token from the shoot-access Secret."""
    generic_ref = f"Secret {namespace}/{generic_name}"
    access_ref = f"Secret {namespace}/{access_name}"
    if access_data is None:
        raise ShootAccessError(f"{access_ref} not found")
    own_kubeconfig = access_data.get(DATA_KEY_KUBECONFIG)
    if own_kubeconfig:
        parsed = _parse(own_kubeconfig, f"key {DATA_KEY_KUBECONFIG!r} of {access_ref}")
        if not parsed.token:
            raise ShootAccessError(
                f"{access_ref} has no token in its kubeconfig yet "
                "(gardener-resource-manager's token requestor fills it)"
            )
        return ShootEndpoint(in_cluster_server(parsed.server, namespace), parsed.ca_pem, parsed.token)
    token = access_data.get(DATA_KEY_TOKEN, "").strip()
    if not token:
        raise ShootAccessError(
            f"{access_ref} has no key {DATA_KEY_TOKEN!r} yet "
            "(gardener-resource-manager's token requestor fills it)"
        )
    if generic_data is None:
        raise ShootAccessError(f"{generic_ref} not found (the Cluster's generic token kubeconfig)")
    text = generic_data.get(DATA_KEY_KUBECONFIG)
    if not text:
        raise ShootAccessError(f"{generic_ref} has no key {DATA_KEY_KUBECONFIG!r}")
    parsed = _parse(text, f"key {DATA_KEY_KUBECONFIG!r} of {generic_ref}")
    return ShootEndpoint(in_cluster_server(parsed.server, namespace), parsed.ca_pem, token)
