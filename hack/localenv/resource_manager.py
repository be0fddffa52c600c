"""The shoot side of a local environment: a second apiserver as the shoot, the real gardener-resource-manager.

In a Gardener seed, every shoot has its own gardener-resource-manager (GRM) in its seed namespace. It
reads the ManagedResources of that namespace (source: the seed) and applies their objects into the
shoot (target: the shoot's kube-apiserver); its token requestor fills the shoot-access secrets of the
namespace with service-account tokens of the shoot. This module starts the same pieces on loopback:

- :func:`shoot_apiserver` - a :class:`LocalKubeApiServer` that plays the shoot: the shoot-side CRDs of
  ``hack/crds/shoot/`` and the API audiences Gardener gives a shoot's kube-apiserver, so the tokens
  the token requestor asks for (audience ``gardener``) authenticate;
- :class:`ResourceManager` - ``gardener-resource-manager`` (built by ``hack/build-go-tool.sh``) as a
  process, configured the way Gardener configures a shoot's GRM, watching one seed namespace;
- :func:`write_generic_token_kubeconfig` - the ``generic-token-kubeconfig`` Secret gardenlet writes
  into every seed namespace (the shoot's address and CA, the token taken from a file), with the
  annotation on the Cluster that names it.

The configuration follows Gardener v1.150.0: ``pkg/apis/config/resourcemanager/v1alpha1/types.go`` (the
fields), ``pkg/component/gardener/resourcemanager/resource_manager.go`` and
``pkg/component/shared/resourcemanager.go`` (what gardenlet sets for a shoot's GRM). Only the standard
library and PyYAML are used, like ``hack/localenv/kube.py``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from hack.localenv.kube import (
    CRD_DIR,
    REPO_ROOT,
    KubeApiError,
    KubeHarnessError,
    LocalKubeApiServer,
    ProcessRecord,
    _die_with_parent,
    _process_alive,
    _terminate_group,
    free_loopback_ports,
)

BUILD_SCRIPT = REPO_ROOT / "hack" / "build-go-tool.sh"
BINARY_NAME = "gardener-resource-manager"
SHOOT_CRD_DIR = CRD_DIR / "shoot"
# Gardener's default `--api-audiences` of a shoot kube-apiserver (pkg/component/shared/kubeapiserver.go).
SHOOT_API_AUDIENCES = ("kubernetes", "gardener")

# Gardener's names (pkg/apis/core/v1beta1/constants/types_constants.go, pkg/utils/gardener/shoot.go).
GENERIC_TOKEN_KUBECONFIG = "generic-token-kubeconfig"
GENERIC_TOKEN_KUBECONFIG_ANNOTATION = "generic-token-kubeconfig.secret.gardener.cloud/name"
PATH_SHOOT_TOKEN = "/var/run/secrets/gardener.cloud/shoot/generic-kubeconfig/token"
SHOOT_ACCESS_PREFIX = "shoot-access-"
# The token requestor's contract (pkg/apis/resources/v1alpha1/types.go constants).
PURPOSE_LABEL = "resources.gardener.cloud/purpose"
PURPOSE_TOKEN_REQUESTOR = "token-requestor"
CLASS_LABEL = "resources.gardener.cloud/class"
CLASS_SHOOT = "shoot"
SERVICE_ACCOUNT_NAME_ANNOTATION = "serviceaccount.resources.gardener.cloud/name"
SERVICE_ACCOUNT_NAMESPACE_ANNOTATION = "serviceaccount.resources.gardener.cloud/namespace"
TOKEN_RENEW_ANNOTATION = "serviceaccount.resources.gardener.cloud/token-renew-timestamp"
# Namespaces the target cache of a shoot's GRM is limited to (botanist.DefaultResourceManager).
TARGET_CACHE_NAMESPACES = ("kube-system", "kubernetes-dashboard", "kube-node-lease")
CLUSTER_ID = "local-seed"
# What metal-stack adds to every shoot GRM's target cache: gardener-extension-provider-metal's control-plane
# webhook appends these to `targetClientConnection.namespaces` of the GRM's ConfigMap
# (pkg/webhook/controlplane/add.go `mutateResourceManagerConfigMap`). With Gardener's three, this is the
# whole target cache of a shoot GRM on a metal-stack seed: Trident's objects (kube-system) and the
# firewall policy (`firewall`) are inside it; no other namespace is.
METAL_STACK_TARGET_NAMESPACES = ("firewall", "metallb-system", "csi-lvm", "audit")


def find_resource_manager() -> Path:
    """The gardener-resource-manager binary, built on first use by ``hack/build-go-tool.sh``.

    ``GARDENER_RESOURCE_MANAGER`` names a binary to use instead (no build).
    """
    override = os.environ.get("GARDENER_RESOURCE_MANAGER")
    if override:
        binary = Path(override)
    else:
        result = subprocess.run(
            ["bash", str(BUILD_SCRIPT), BINARY_NAME],
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise KubeHarnessError(f"{BUILD_SCRIPT} {BINARY_NAME} failed with exit code {result.returncode}")
        binary = Path(result.stdout.strip().splitlines()[-1])
    if not os.access(binary, os.X_OK):
        raise KubeHarnessError(f"{binary} is missing or not executable")
    return binary


def shoot_apiserver(workdir: Path | None = None) -> LocalKubeApiServer:
    """An apiserver that plays a shoot: shoot-side CRDs, and tokens for audience ``gardener`` accepted."""
    return LocalKubeApiServer(
        workdir,
        crd_dir=SHOOT_CRD_DIR,
        apiserver_args=[f"--api-audiences={','.join(SHOOT_API_AUDIENCES)}"],
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def token_kubeconfig(
    server: LocalKubeApiServer, context_name: str, *, token: str | None = None
) -> dict[str, Any]:
    """A kubeconfig for ``server`` with its CA inline; the user has ``token``, else Gardener's token file."""
    user: dict[str, Any] = {"token": token} if token is not None else {"tokenFile": PATH_SHOOT_TOKEN}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": context_name,
                "cluster": {
                    "server": server.server,
                    "certificate-authority-data": _b64(server.ca_file.read_bytes()),
                },
            }
        ],
        "users": [{"name": context_name, "user": user}],
        "contexts": [{"name": context_name, "context": {"cluster": context_name, "user": context_name}}],
        "current-context": context_name,
    }


def generic_token_kubeconfig_secret(namespace: str, shoot: LocalKubeApiServer) -> dict[str, Any]:
    """gardenlet's ``generic-token-kubeconfig`` (pkg/utils/gardener/tokenrequest/secrets.go): no token."""
    kubeconfig = yaml.safe_dump(token_kubeconfig(shoot, namespace), sort_keys=False)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": GENERIC_TOKEN_KUBECONFIG, "namespace": namespace},
        "type": "Opaque",
        "data": {"kubeconfig": _b64(kubeconfig.encode())},
    }


def write_generic_token_kubeconfig(
    seed: LocalKubeApiServer, namespace: str, shoot: LocalKubeApiServer
) -> None:
    """Write the generic token kubeconfig into ``namespace`` of the seed; name it on its Cluster, if any."""
    seed.apply(generic_token_kubeconfig_secret(namespace, shoot), f"/api/v1/namespaces/{namespace}/secrets")
    try:
        seed.request(
            "PATCH",
            f"/apis/extensions.gardener.cloud/v1alpha1/clusters/{namespace}",
            {"metadata": {"annotations": {GENERIC_TOKEN_KUBECONFIG_ANNOTATION: GENERIC_TOKEN_KUBECONFIG}}},
            content_type="application/merge-patch+json",
        )
    except KubeApiError as err:
        if err.status != 404:
            raise


def shoot_access_secret(
    name: str, namespace: str, shoot: LocalKubeApiServer, *, service_account: str | None = None
) -> dict[str, Any]:
    """A shoot-access Secret ``shoot-access-<name>`` for the token requestor (``gardenerutils.AccessSecret``).

    The token requestor creates the ServiceAccount ``kube-system/<service_account or name>`` in the shoot,
    requests a token for it and writes the token into the ``kubeconfig`` key.
    """
    secret_name = name if name.startswith(SHOOT_ACCESS_PREFIX) else SHOOT_ACCESS_PREFIX + name
    kubeconfig = token_kubeconfig(shoot, namespace, token="")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name,
            "namespace": namespace,
            "labels": {PURPOSE_LABEL: PURPOSE_TOKEN_REQUESTOR, CLASS_LABEL: CLASS_SHOOT},
            "annotations": {
                SERVICE_ACCOUNT_NAME_ANNOTATION: service_account or name.removeprefix(SHOOT_ACCESS_PREFIX),
                SERVICE_ACCOUNT_NAMESPACE_ANNOTATION: "kube-system",
            },
        },
        "type": "Opaque",
        "data": {"kubeconfig": _b64(yaml.safe_dump(kubeconfig, sort_keys=False).encode())},
    }


def resource_manager_config(
    *,
    namespace: str,
    source_kubeconfig: Path,
    target_kubeconfig: Path,
    health_port: int,
    metrics_port: int,
    webhook_port: int,
    cert_dir: Path,
    cluster_id: str = CLUSTER_ID,
    health_sync_seconds: int = 15,
) -> dict[str, Any]:
    """The ResourceManagerConfiguration of a shoot's GRM, as gardenlet writes it, for loopback.

    From Gardener: one watched seed namespace, the target cache limited to Gardener's target namespaces,
    managed-resource, health, garbage-collector, token-requestor (class ``shoot``) and node-critical
    components controllers, ``alwaysUpdate: true``. Differences: no leader election (one process), ports
    on loopback, a health sync period of ``health_sync_seconds`` (Gardener: 1m; the minimum is 15s), and
    none of the GRM webhooks (nothing registers them in the local shoot).
    """
    return {
        "apiVersion": "resourcemanager.config.gardener.cloud/v1alpha1",
        "kind": "ResourceManagerConfiguration",
        "sourceClientConnection": {"kubeconfig": str(source_kubeconfig), "namespaces": [namespace]},
        "targetClientConnection": {
            "kubeconfig": str(target_kubeconfig),
            "namespaces": list(TARGET_CACHE_NAMESPACES),
        },
        "leaderElection": {"leaderElect": False, "resourceNamespace": namespace},
        "server": {
            "webhooks": {
                "bindAddress": "127.0.0.1",
                "port": webhook_port,
                "tls": {"serverCertDir": str(cert_dir)},
            },
            "healthProbes": {"bindAddress": "127.0.0.1", "port": health_port},
            "metrics": {"bindAddress": "127.0.0.1", "port": metrics_port},
        },
        "logLevel": "info",
        "logFormat": "json",
        "controllers": {
            "clusterID": cluster_id,
            "garbageCollector": {"enabled": True, "syncPeriod": "12h"},
            "health": {"concurrentSyncs": 10, "syncPeriod": f"{health_sync_seconds}s"},
            "managedResource": {"concurrentSyncs": 20, "syncPeriod": "1h", "alwaysUpdate": True},
            "tokenRequestor": {"enabled": True, "concurrentSyncs": 5},
            "nodeCriticalComponents": {"enabled": True},
        },
        "webhooks": {},
    }


def _self_signed_certificate(cert_dir: Path) -> None:
    """``tls.crt``/``tls.key`` for the GRM's webhook server, which starts even with no webhook enabled."""
    cert_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=gardener-resource-manager",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(cert_dir / "tls.key"),
            "-out",
            str(cert_dir / "tls.crt"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    (cert_dir / "tls.key").chmod(0o600)


class ResourceManager:
    """One gardener-resource-manager process for one seed namespace (source) and one shoot (target).

    ``start()`` writes the configuration and a target kubeconfig (the shoot's admin token: gardenlet
    would bootstrap the GRM's own shoot access instead), starts the binary and waits until its
    ``/readyz`` answers 200 (caches of both clusters synced). ``stop()`` ends it (SIGTERM, then SIGKILL).

    ``extra_target_namespaces`` become ``--extra-target-namespace`` flags (the same list as the ConfigMap
    mutation of :data:`METAL_STACK_TARGET_NAMESPACES`; Gardener's way for an extension
    to widen the target cache through its control-plane webhook, ``EnsureGardenerResourceManagerDeployment``):
    without them the health controller cannot read objects outside :data:`TARGET_CACHE_NAMESPACES`.
    """

    def __init__(
        self,
        seed: LocalKubeApiServer,
        shoot: LocalKubeApiServer,
        namespace: str,
        workdir: Path | None = None,
        *,
        binary: Path | None = None,
        health_sync_seconds: int = 15,
        extra_target_namespaces: tuple[str, ...] = (),
        cluster_id: str = CLUSTER_ID,
    ) -> None:
        self.seed = seed
        self.shoot = shoot
        self.namespace = namespace
        self._owns_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="ontap-grm-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._binary = binary
        self.health_sync_seconds = health_sync_seconds
        self.extra_target_namespaces = extra_target_namespaces
        self.cluster_id = cluster_id
        self.health_port = 0
        self.record: ProcessRecord | None = None
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def binary(self) -> Path:
        """The binary this instance runs (built or found on first use)."""
        if self._binary is None:
            self._binary = find_resource_manager()
        return self._binary

    @property
    def log_file(self) -> Path:
        return self.workdir / f"{BINARY_NAME}.log"

    @property
    def config_file(self) -> Path:
        return self.workdir / "config.yaml"

    def start(self, timeout: float = 60.0) -> None:
        """Start the process and wait until it is ready; on failure the error carries the log's tail."""
        binary = self.binary
        target_kubeconfig = self.workdir / "target-kubeconfig"
        target_kubeconfig.write_text(
            yaml.safe_dump(token_kubeconfig(self.shoot, "shoot", token=self.shoot.token), sort_keys=False)
        )
        target_kubeconfig.chmod(0o600)
        cert_dir = self.workdir / "certs"
        _self_signed_certificate(cert_dir)
        health_port, metrics_port, webhook_port = free_loopback_ports(3)
        self.health_port = health_port
        config = resource_manager_config(
            namespace=self.namespace,
            source_kubeconfig=self.seed.kubeconfig,
            target_kubeconfig=target_kubeconfig,
            health_port=health_port,
            metrics_port=metrics_port,
            webhook_port=webhook_port,
            cert_dir=cert_dir,
            health_sync_seconds=self.health_sync_seconds,
            cluster_id=self.cluster_id,
        )
        self.config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        # GRM lets KUBECONFIG / TARGET_KUBECONFIG override the configured kubeconfigs: keep them out.
        env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "TARGET_KUBECONFIG")}
        with self.log_file.open("ab") as log:
            self._popen = subprocess.Popen(
                [
                    str(binary),
                    f"--config={self.config_file}",
                    *(f"--extra-target-namespace={ns}" for ns in self.extra_target_namespaces),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=env,
                start_new_session=True,
                # PDEATHSIG fires when the forking *thread* exits: only from the main thread.
                preexec_fn=_die_with_parent
                if threading.current_thread() is threading.main_thread()
                else None,
            )
        self.record = ProcessRecord(
            name=BINARY_NAME, pid=self._popen.pid, binary=str(binary), log_file=str(self.log_file)
        )
        deadline = time.monotonic() + timeout
        while not self._ready():
            code = self._popen.poll()
            if code is not None or time.monotonic() > deadline:
                tail = self.log_file.read_text(errors="replace")[-3000:]
                self.stop()
                what = f"exited with code {code}" if code is not None else f"not ready after {timeout:.0f}s"
                raise KubeHarnessError(f"{BINARY_NAME} {what}; last log lines:\n{tail}")
            time.sleep(0.1)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/readyz", timeout=2) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    @property
    def running(self) -> bool:
        return self.record is not None and _process_alive(self.record.pid, self.record.binary)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process; remove the work directory if this instance created it."""
        if self.record is not None:
            _terminate_group(self.record.pid, self.record.binary, timeout)
            if self._popen is not None:
                self._popen.wait(timeout=5)
            self.record = None
            self._popen = None
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ResourceManager:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_lines(self) -> list[dict[str, Any]]:
        """The process's JSON log lines so far (non-JSON lines skipped)."""
        lines = []
        for raw in self.log_file.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict):
                lines.append(entry)
        return lines
