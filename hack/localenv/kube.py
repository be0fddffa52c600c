"""A real kube-apiserver with etcd on loopback, started from locally built binaries.

Used by the integration-test fixtures (``tests/kube_fixtures.py``) and, through the CLI below, by
humans and the local demo::

    python -m hack.localenv.kube up      # starts both, writes .local/kube/kubeconfig
    python -m hack.localenv.kube status
    python -m hack.localenv.kube down

Only the standard library and PyYAML are used, so hack/ scripts can import this module without
the project's runtime dependencies. The binaries come from ``hack/build-kube-binaries.sh``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "hack" / "build-kube-binaries.sh"
CRD_DIR = REPO_ROOT / "hack" / "crds"
DEFAULT_STATE_DIR = REPO_ROOT / ".local" / "kube"
ADMIN_USER = "local-admin"
SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24"
# Admission plugins that need controllers we do not run (service accounts, storage, quotas).
DISABLED_ADMISSION_PLUGINS = (
    "ServiceAccount",
    "DefaultStorageClass",
    "StorageObjectInUseProtection",
    "PersistentVolumeClaimResize",
    "DefaultIngressClass",
    "ResourceQuota",
    "LimitRanger",
)
# Namespaced kinds a test may leave behind; cleared (finalizers dropped) before a namespace goes away.
PURGED_NAMESPACED_RESOURCES = (
    "/apis/extensions.gardener.cloud/v1alpha1/namespaces/{ns}/extensions",
    "/apis/resources.gardener.cloud/v1alpha1/namespaces/{ns}/managedresources",
    "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
    "/api/v1/namespaces/{ns}/secrets",
    "/api/v1/namespaces/{ns}/configmaps",
    "/api/v1/namespaces/{ns}/events",
    "/api/v1/namespaces/{ns}/serviceaccounts",
)
PORT_CLASH_ATTEMPTS = 3
_PR_SET_PDEATHSIG = 1


class KubeHarnessError(RuntimeError):
    """The local apiserver could not be built, started, reached or stopped."""


class KubeApiError(KubeHarnessError):
    """The apiserver answered a request with an error status."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path} -> HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


def find_helm() -> Path:
    """The helm binary for rendering the chart, built by ``hack/build-kube-binaries.sh helm`` on first use."""
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT), "helm"], stdout=subprocess.PIPE, stderr=None, text=True, check=False
    )
    if result.returncode != 0:
        raise KubeHarnessError(f"{BUILD_SCRIPT} helm failed with exit code {result.returncode}")
    return Path(result.stdout.strip().splitlines()[-1])


def find_binaries() -> Path:
    """Return the directory holding ``etcd`` and ``kube-apiserver``, building them on first use.

    ``KUBE_BIN_DIR`` overrides the lookup; otherwise ``hack/build-kube-binaries.sh`` prints the cached
    directory (or builds it, which takes several minutes the first time on a machine).
    """
    override = os.environ.get("KUBE_BIN_DIR")
    if override:
        bin_dir = Path(override)
    else:
        result = subprocess.run(
            ["bash", str(BUILD_SCRIPT)], stdout=subprocess.PIPE, stderr=None, text=True, check=False
        )
        if result.returncode != 0:
            raise KubeHarnessError(f"{BUILD_SCRIPT} failed with exit code {result.returncode}")
        bin_dir = Path(result.stdout.strip().splitlines()[-1])
    for binary in ("etcd", "kube-apiserver"):
        if not os.access(bin_dir / binary, os.X_OK):
            raise KubeHarnessError(f"{bin_dir / binary} is missing or not executable")
    return bin_dir


def free_loopback_ports(count: int) -> list[int]:
    """Return ``count`` distinct TCP ports on 127.0.0.1 that were free a moment ago."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the parent thread dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _process_alive(pid: int, binary: str | None = None) -> bool:
    """True if ``pid`` runs (and, if given, runs ``binary``: guards against a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    if "State:\tZ" in status:
        return False
    return binary is None or binary.encode() in cmdline


def _terminate_group(pid: int, binary: str, timeout: float) -> None:
    """SIGTERM the process group led by ``pid``, then SIGKILL it if it outlives ``timeout``."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        if not _process_alive(pid, binary):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not _process_alive(pid, binary):
                return
            time.sleep(0.05)
    raise KubeHarnessError(f"process {pid} ({binary}) survived SIGKILL")


@dataclass
class ProcessRecord:
    """One started binary: enough to find, stop and debug it later (also from another process)."""

    name: str
    pid: int
    binary: str
    log_file: str


@dataclass
class KubeState:
    """What ``up`` leaves in the state directory so that ``down`` and other tools can find it."""

    workdir: str
    server: str
    token: str
    ca_file: str
    kubeconfig: str
    etcd_url: str
    processes: list[ProcessRecord] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> KubeState:
        """Read a state file written by :meth:`save`."""
        raw = json.loads(path.read_text())
        raw["processes"] = [ProcessRecord(**p) for p in raw.get("processes", [])]
        return cls(**raw)

    def save(self, path: Path) -> None:
        """Write the state as JSON (readable by the owner only: it holds the admin token)."""
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        path.chmod(0o600)


class LocalKubeApiServer:
    """etcd plus kube-apiserver on free loopback ports, with an admin token and kubeconfig.

    ``start()`` takes a few seconds once the binaries are built. ``stop()`` (also run at interpreter
    exit) terminates both process groups; children also die with the starting thread when the
    parent is killed outright, unless started with ``detach=True`` (the CLI's ``up``).
    """

    def __init__(
        self,
        workdir: Path | None = None,
        *,
        bin_dir: Path | None = None,
        crd_dir: Path = CRD_DIR,
        apiserver_args: Iterable[str] = (),
    ) -> None:
        self._owns_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="ontap-kube-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._bin_dir = bin_dir
        self.crd_dir = crd_dir
        # Extra kube-apiserver flags (e.g. the shoot's `--api-audiences`), appended after the defaults.
        self.apiserver_args = list(apiserver_args)
        self.token = secrets.token_hex(24)
        self.server = ""
        self.etcd_url = ""
        self._processes: list[ProcessRecord] = []
        self._popens: dict[int, subprocess.Popen[bytes]] = {}
        self._ssl: ssl.SSLContext | None = None
        self._atexit_registered = False

    @property
    def ca_file(self) -> Path:
        """The apiserver's self-signed serving certificate bundle (trusted by the kubeconfig)."""
        return self.workdir / "certs" / "apiserver.crt"

    @property
    def kubeconfig(self) -> Path:
        """Path of the admin kubeconfig written by :meth:`start`."""
        return self.workdir / "kubeconfig"

    @property
    def processes(self) -> list[ProcessRecord]:
        """The running binaries (etcd first)."""
        return list(self._processes)

    def state(self) -> KubeState:
        """A serialisable description of this instance."""
        return KubeState(
            workdir=str(self.workdir),
            server=self.server,
            token=self.token,
            ca_file=str(self.ca_file),
            kubeconfig=str(self.kubeconfig),
            etcd_url=self.etcd_url,
            processes=list(self._processes),
        )

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self, timeout: float = 60.0, *, detach: bool = False) -> None:
        """Start etcd and kube-apiserver, wait for ``/readyz`` and write the admin kubeconfig."""
        bin_dir = self._bin_dir or find_binaries()
        if not detach and not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        deadline = time.monotonic() + timeout
        for attempt in range(1, PORT_CLASH_ATTEMPTS + 1):
            try:
                self._start_etcd(bin_dir, deadline, detach)
                self._start_apiserver(bin_dir, deadline, detach)
                break
            except KubeHarnessError as err:
                self.stop(remove_workdir=False)
                # Another process may take a port between choosing it and binding it: try new ports.
                if "address already in use" not in str(err) or attempt == PORT_CLASH_ATTEMPTS:
                    raise
                shutil.rmtree(self.workdir / "etcd-data", ignore_errors=True)
            except BaseException:
                self.stop(remove_workdir=False)
                raise
        self._write_kubeconfig()

    def stop(self, timeout: float = 10.0, *, remove_workdir: bool | None = None) -> None:
        """Stop the apiserver, then etcd; remove the work directory if this instance created it."""
        for record in reversed(self._processes):
            _terminate_group(record.pid, record.binary, timeout)
            popen = self._popens.pop(record.pid, None)
            if popen is not None:
                popen.wait(timeout=5)
        self._processes.clear()
        if remove_workdir is None:
            remove_workdir = self._owns_workdir
        if remove_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LocalKubeApiServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _spawn(self, name: str, binary: Path, args: list[str], detach: bool) -> ProcessRecord:
        log_path = self.workdir / f"{name}.log"
        in_main_thread = threading.current_thread() is threading.main_thread()
        # PDEATHSIG fires when the *thread* that forked exits, so only use it from the main thread.
        preexec = _die_with_parent if (not detach and in_main_thread) else None
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                [str(binary), *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,
                preexec_fn=preexec,
            )
        record = ProcessRecord(name=name, pid=popen.pid, binary=str(binary), log_file=str(log_path))
        self._processes.append(record)
        self._popens[popen.pid] = popen
        return record

    def _exited(self, record: ProcessRecord) -> str | None:
        popen = self._popens.get(record.pid)
        code = popen.poll() if popen else (None if _process_alive(record.pid, record.binary) else -1)
        if code is None:
            return None
        tail = Path(record.log_file).read_text(errors="replace")[-3000:]
        return f"{record.name} exited with code {code}; last log lines:\n{tail}"

    def _start_etcd(self, bin_dir: Path, deadline: float, detach: bool) -> None:
        client_port, peer_port = free_loopback_ports(2)
        self.etcd_url = f"http://127.0.0.1:{client_port}"
        peer_url = f"http://127.0.0.1:{peer_port}"
        record = self._spawn(
            "etcd",
            bin_dir / "etcd",
            [
                "--name=local",
                f"--data-dir={self.workdir / 'etcd-data'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=local={peer_url}",
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
            detach,
        )
        self._wait_until(deadline, record, lambda: self._etcd_healthy())

    def _etcd_healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.etcd_url}/health", timeout=2) as response:
                return bool(json.loads(response.read()).get("health") == "true")
        except (OSError, ValueError):
            return False

    def _start_apiserver(self, bin_dir: Path, deadline: float, detach: bool) -> None:
        cert_dir = self.workdir / "certs"
        cert_dir.mkdir(exist_ok=True)
        sa_key = self.workdir / "service-account.key"
        _generate_rsa_key(sa_key)
        token_file = self.workdir / "tokens.csv"
        token_file.write_text(f'{self.token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n')
        token_file.chmod(0o600)
        [port] = free_loopback_ports(1)
        self.server = f"https://127.0.0.1:{port}"
        record = self._spawn(
            "kube-apiserver",
            bin_dir / "kube-apiserver",
            [
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={cert_dir}",
                f"--etcd-servers={self.etcd_url}",
                f"--token-auth-file={token_file}",
                "--authorization-mode=RBAC",
                f"--service-account-key-file={sa_key}",
                f"--service-account-signing-key-file={sa_key}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                f"--disable-admission-plugins={','.join(DISABLED_ADMISSION_PLUGINS)}",
                "--enable-priority-and-fairness=false",
                "--endpoint-reconciler-type=none",
                "--profiling=false",
                # As Gardener runs shoot apiservers (pkg/component/kubernetes/apiserver/deployment.go):
                # Trident's node plugin and the nvme-tcp init container are privileged.
                "--allow-privileged=true",
                "--v=1",
                *self.apiserver_args,
            ],
            detach,
        )
        self._wait_until(deadline, record, self._apiserver_ready)

    def _apiserver_ready(self) -> bool:
        if not self.ca_file.exists():
            return False
        try:
            self.request("GET", "/readyz", timeout=2)
            self.request("GET", "/api/v1/namespaces/default", timeout=2)
        except (OSError, KubeHarnessError, ssl.SSLError):
            return False
        return True

    def _wait_until(self, deadline: float, record: ProcessRecord, ready: Any) -> None:
        while True:
            if ready():
                return
            failure = self._exited(record)
            if failure:
                raise KubeHarnessError(failure)
            if time.monotonic() > deadline:
                raise KubeHarnessError(f"{record.name} not ready in time; log: {record.log_file}")
            time.sleep(0.1)

    def _write_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "local",
                    "cluster": {"server": self.server, "certificate-authority": str(self.ca_file)},
                }
            ],
            "users": [{"name": ADMIN_USER, "user": {"token": self.token}}],
            "contexts": [{"name": "local", "context": {"cluster": "local", "user": ADMIN_USER}}],
            "current-context": "local",
        }
        self.kubeconfig.write_text(yaml.safe_dump(config, sort_keys=False))
        self.kubeconfig.chmod(0o600)

    # -- API access (stdlib only) ------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        content_type: str = "application/json",
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """Send one authenticated request and return the decoded JSON answer (``{}`` if none)."""
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=str(self.ca_file))
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.server}{path}", data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self._ssl) as response:
                payload = response.read()
        except urllib.error.HTTPError as err:
            raise KubeApiError(method, path, err.code, err.read().decode(errors="replace")) from None
        if not payload:
            return {}
        try:
            decoded = json.loads(payload)
        except ValueError:
            return {"raw": payload.decode(errors="replace")}
        return decoded if isinstance(decoded, dict) else {"items": decoded}

    def apply(self, obj: dict[str, Any], path: str) -> dict[str, Any]:
        """Create ``obj`` at the collection ``path``, or replace it if it already exists."""
        try:
            return self.request("POST", path, obj)
        except KubeApiError as err:
            if err.status != 409:
                raise
        name = obj["metadata"]["name"]
        current = self.request("GET", f"{path}/{name}")
        obj = {
            **obj,
            "metadata": {**obj["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]},
        }
        return self.request("PUT", f"{path}/{name}", obj)

    # -- CRDs and namespaces -----------------------------------------------------------------------

    def install_crds(self, paths: Iterable[Path] | None = None, timeout: float = 30.0) -> list[str]:
        """Apply CRDs (default: ``hack/crds/*.yaml``) and wait until each is Established and served."""
        files = sorted(paths) if paths is not None else sorted(self.crd_dir.glob("*.yaml"))
        crds = [
            doc
            for file in files
            for doc in _yaml_documents(file)
            if doc.get("kind") == "CustomResourceDefinition"
        ]
        if not crds:
            raise KubeHarnessError(f"no CustomResourceDefinition found in {[str(f) for f in files]}")
        collection = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        for crd in crds:
            self.apply(crd, collection)
        deadline = time.monotonic() + timeout
        for crd in crds:
            self._wait_crd_served(crd, deadline)
        return [crd["metadata"]["name"] for crd in crds]

    def _wait_crd_served(self, crd: dict[str, Any], deadline: float) -> None:
        name = crd["metadata"]["name"]
        spec = crd["spec"]
        version = next(v["name"] for v in spec["versions"] if v.get("served", True))
        scope_path = "" if spec["scope"] == "Cluster" else "/namespaces/default"
        list_path = f"/apis/{spec['group']}/{version}{scope_path}/{spec['names']['plural']}"
        while True:
            current = self.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
            reported = (current.get("status") or {}).get("conditions") or []
            conditions = {c["type"]: c["status"] for c in reported}
            if conditions.get("Established") == "True":
                with contextlib.suppress(KubeApiError):
                    self.request("GET", list_path)
                    return
            if time.monotonic() > deadline:
                raise KubeHarnessError(f"CRD {name} not established in time (conditions: {conditions})")
            time.sleep(0.1)

    def create_namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        """Create a namespace (no-op if it exists)."""
        self.apply(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}},
            "/api/v1/namespaces",
        )

    def purge_namespace(self, name: str) -> None:
        """Remove a namespace and what tests leave in it, as the absent namespace controller would.

        Finalizers are dropped first: without a resource manager or controller-manager nothing else
        would ever remove them. The Cluster of the same name (Gardener's convention) goes too.
        """
        for template in PURGED_NAMESPACED_RESOURCES:
            collection = template.format(ns=name)
            with contextlib.suppress(KubeApiError):
                for item in self.request("GET", collection).get("items", []):
                    self._force_delete(f"{collection}/{item['metadata']['name']}", item)
        cluster_path = f"/apis/extensions.gardener.cloud/v1alpha1/clusters/{name}"
        with contextlib.suppress(KubeApiError):
            self._force_delete(cluster_path, self.request("GET", cluster_path))
        with contextlib.suppress(KubeApiError):
            namespace = self.request("DELETE", f"/api/v1/namespaces/{name}")
            # No namespace controller runs: finalize it ourselves so the name is really gone.
            namespace["spec"] = {"finalizers": []}
            self.request("PUT", f"/api/v1/namespaces/{name}/finalize", namespace)

    def _force_delete(self, path: str, item: dict[str, Any]) -> None:
        if item.get("metadata", {}).get("finalizers"):
            self.request(
                "PATCH",
                path,
                {"metadata": {"finalizers": None}},
                content_type="application/merge-patch+json",
            )
        with contextlib.suppress(KubeApiError):
            self.request("DELETE", path)


def _yaml_documents(path: Path) -> Iterator[dict[str, Any]]:
    with path.open() as stream:
        for doc in yaml.safe_load_all(stream):
            if isinstance(doc, dict):
                yield doc


def _generate_rsa_key(path: Path) -> None:
    """Write a PEM RSA private key (service-account signing key) with openssl."""
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    path.chmod(0o600)


# -- CLI ---------------------------------------------------------------------------------------------


def _state_file(state_dir: Path) -> Path:
    return state_dir / "state.json"


def _running(state: KubeState) -> bool:
    return bool(state.processes) and all(_process_alive(p.pid, p.binary) for p in state.processes)


def cli_up(state_dir: Path, *, install_crds: bool = True, timeout: float = 120.0) -> KubeState:
    """Start a detached apiserver whose state (kubeconfig, pids, logs, data) lives in ``state_dir``."""
    state_path = _state_file(state_dir)
    if state_path.exists():
        state = KubeState.load(state_path)
        if _running(state):
            return state
        cli_down(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    server = LocalKubeApiServer(state_dir)
    server.start(timeout=timeout, detach=True)
    try:
        server.state().save(state_path)
        if install_crds:
            server.install_crds()
    except BaseException:
        server.stop(remove_workdir=False)
        state_path.unlink(missing_ok=True)
        raise
    return server.state()


def cli_down(state_dir: Path, *, keep_logs: bool = False) -> bool:
    """Stop what ``up`` started in ``state_dir``; return False if nothing was recorded there."""
    state_path = _state_file(state_dir)
    if not state_path.exists():
        return False
    state = KubeState.load(state_path)
    for record in reversed(state.processes):
        _terminate_group(record.pid, record.binary, timeout=10.0)
    if keep_logs:
        shutil.rmtree(state_dir / "etcd-data", ignore_errors=True)
        state_path.unlink()
    else:
        shutil.rmtree(state_dir, ignore_errors=True)
    return True


def main(argv: list[str] | None = None) -> int:
    """``python -m hack.localenv.kube up|down|status|kubeconfig``."""
    parser = argparse.ArgumentParser(prog="python -m hack.localenv.kube", description=__doc__.split("\n")[0])
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start etcd + kube-apiserver in the background and install the CRDs")
    up.add_argument("--no-crds", action="store_true", help="do not install hack/crds/*.yaml")
    down = sub.add_parser("down", help="stop them and remove the state directory")
    down.add_argument("--keep-logs", action="store_true")
    sub.add_parser("status", help="print the state and whether the processes run")
    sub.add_parser("kubeconfig", help="print the kubeconfig path")
    args = parser.parse_args(argv)
    state_dir: Path = args.state_dir.resolve()

    if args.command == "up":
        state = cli_up(state_dir, install_crds=not args.no_crds)
        print(f"kube-apiserver {state.server} ready; export KUBECONFIG={state.kubeconfig}")
        return 0
    if args.command == "down":
        stopped = cli_down(state_dir, keep_logs=args.keep_logs)
        print("stopped" if stopped else f"nothing running in {state_dir}")
        return 0
    state_path = _state_file(state_dir)
    if not state_path.exists():
        print(f"nothing running in {state_dir}", file=sys.stderr)
        return 1
    state = KubeState.load(state_path)
    if args.command == "kubeconfig":
        print(state.kubeconfig)
        return 0
    running = _running(state)
    print(f"server: {state.server} ({'running' if running else 'NOT running'})")
    print(f"kubeconfig: {state.kubeconfig}")
    for record in state.processes:
        alive = "up" if _process_alive(record.pid, record.binary) else "down"
        print(f"{record.name}: pid {record.pid} {alive}, log {record.log_file}")
    return 0 if running else 1


if __name__ == "__main__":
    raise SystemExit(main())
