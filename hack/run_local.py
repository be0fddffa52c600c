"""`make run`: local kube-apiserver + etcd, the fake ONTAP, the controller and a sample shoot.

Starts the apiserver with Gardener's CRDs, the fake ONTAP (HTTPS, verified with its own CA), and the
controller in this process (leader election and heartbeat included); applies the sample Cluster and
Extension from hack/kind/sample-shoot.yaml; starts a second apiserver as the shoot and the real
gardener-resource-manager for the sample's seed namespace; shows progress until the Extension is
Succeeded; prints what exists on ONTAP, in Kubernetes and in the shoot apiserver; keeps running until
Ctrl-C, then cleans up.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from controller.app import ControllerApp  # noqa: E402
from controller.config import config_from_mapping  # noqa: E402
from controller.reconciler import ExtensionReconciler  # noqa: E402
from controller.runtime.logging import configure_logging  # noqa: E402
from hack.localenv.kube import LocalKubeApiServer  # noqa: E402
from hack.localenv.shoot_side import demo_shoot_config, describe_shoot_side, start_shoot_side  # noqa: E402
from ontap.fake.testing import FakeOntapServer  # noqa: E402

SAMPLE = REPO / "hack" / "kind" / "sample-shoot.yaml"
EXT_PATH = "/apis/extensions.gardener.cloud/v1alpha1/namespaces/{ns}/extensions"
COLLECTIONS = {
    "Namespace": "/api/v1/namespaces",
    "Cluster": "/apis/extensions.gardener.cloud/v1alpha1/clusters",
    "Extension": EXT_PATH,
}


def _say(text: str) -> None:
    print(f"[make run] {text}", flush=True)


def _apply_sample(apiserver: LocalKubeApiServer, sample: Path = SAMPLE) -> tuple[str, str]:
    key = ("", "")
    for doc in yaml.safe_load_all(sample.read_text()):
        ns = doc["metadata"].get("namespace", "")
        apiserver.apply(doc, COLLECTIONS[doc["kind"]].format(ns=ns))
        if doc["kind"] == "Extension":
            key = (ns, doc["metadata"]["name"])
    return key


async def _wait_succeeded(
    apiserver: LocalKubeApiServer, ns: str, name: str, limit: float = 120
) -> dict[str, Any]:
    seen = ""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        ext = await asyncio.to_thread(apiserver.request, "GET", EXT_PATH.format(ns=ns) + f"/{name}")
        op = ext.get("status", {}).get("lastOperation", {})
        state = f"{op.get('type', '-')} {op.get('state', 'pending')} {op.get('progress', 0)}%"
        line = f"{state}: {op.get('description', '')}"
        if line != seen:
            _say(f"Extension {ns}/{name}: {line}")
            seen = line
        if op.get("state") == "Succeeded":
            return ext
        await asyncio.sleep(0.5)
    raise SystemExit(f"the Extension {ns}/{name} did not reach Succeeded within {limit:.0f}s")


def _print_state(apiserver: LocalKubeApiServer, fake: FakeOntapServer, ext: dict[str, Any], ns: str) -> None:
    for cond in ext["status"].get("conditions", []):
        _say(f"  condition {cond['type']}={cond['status']} ({cond['reason']}): {cond['message']}")
    snapshot = fake.snapshot()
    for kind in ("svms", "interfaces", "accounts"):
        records = snapshot.get(kind, {})
        for record in records.values() if isinstance(records, dict) else records:
            _say(f"  ONTAP {kind}: {record.get('name', '?') if isinstance(record, dict) else record}")
    for item in apiserver.request("GET", f"/api/v1/namespaces/{ns}/secrets").get("items", []):
        _say(
            f"  Kubernetes Secret {ns}/{item['metadata']['name']}"
            f" (keys: {', '.join(sorted(item.get('data', {})))})"
        )
    mrs = apiserver.request(
        "GET", f"/apis/resources.gardener.cloud/v1alpha1/namespaces/{ns}/managedresources"
    )
    for item in mrs.get("items", []):
        _say(f"  Kubernetes ManagedResource {ns}/{item['metadata']['name']}")


ADOPT = "--adopt" in sys.argv[1:]
GO_SAMPLE = REPO / "hack" / "kind" / "sample-shoot-go-extension.yaml"


async def _seed_go_extension(apiserver: LocalKubeApiServer, config: Any) -> tuple[str, str]:
    """The sample shoot as metal-stack's Go extension left it (hack/go_extension_state.py)."""
    from hack.go_extension_state import seed_local_environment

    docs = list(yaml.safe_load_all(GO_SAMPLE.read_text()))
    key = _apply_sample(apiserver, GO_SAMPLE)
    ext = next(d for d in docs if d["kind"] == "Extension")
    cluster = next(d for d in docs if d["kind"] == "Cluster")
    project = cluster["spec"]["shoot"]["metadata"]["annotations"][config.project_annotation]
    go = await seed_local_environment(
        apiserver.kubeconfig, config.ontap_clusters[0], key[0], project, ext["spec"]["providerConfig"]
    )
    _say(
        f"seeded the Go extension's state: SVM {go.svm_name} (no marker), LIFs datalif+N/managementlif, "
        f"account {go.username}, seed secret kube-system/{go.seed_secret_name}, "
        f"its ManagedResources in {key[0]}"
    )
    return key


async def main() -> int:
    configure_logging("info", json=False)
    with tempfile.TemporaryDirectory() as tmp, LocalKubeApiServer() as apiserver:
        apiserver.install_crds()
        apiserver.create_namespace("garden")
        _say(f"kube-apiserver at {apiserver.server} (kubeconfig {apiserver.kubeconfig})")
        ca_path = Path(tmp) / "fake-ontap-ca.pem"
        password_file = Path(tmp) / "ontap-password"
        password_file.write_text("fake-admin-password")
        with FakeOntapServer(tls=True, ca_path=ca_path) as fake:
            _say(f"fake ONTAP at {fake.url} (CA bundle {ca_path})")
            config_mapping = {
                "kubeconfig": str(apiserver.kubeconfig),
                "ontapClusters": [
                    {
                        "name": "fake-cluster",
                        "endpoint": fake.url,
                        "username": "admin",
                        "passwordFile": str(password_file),
                        "caBundleFile": str(ca_path),
                    }
                ],
                "leaderElection": {"namespace": "garden"},
                "heartbeat": {"namespace": "garden"},
                "healthPort": 0,
                "metricsPort": 0,
                "resyncPeriod": "1m",
                "trident": {
                    "operatorBundleFile": str(REPO / "hack" / "samples" / "trident-operator-bundle.yaml")
                },
            }
            # The demo shoot's node preparation (webhook served by the controller) and firewall policy.
            config_mapping.update(demo_shoot_config(Path(tmp)))
            if ADOPT:
                # `make run-adopt`: the Go extension's state first, then our controller with adoption on.
                config_mapping["adoption"] = {"goExtension": True}
                ns, name = await _seed_go_extension(apiserver, config_from_mapping(config_mapping))
                # The shoot as the Go extension left it: the resource manager applies its ManagedResources
                # before our controller starts.
                shoot_stack = contextlib.ExitStack()
                shoot_side = start_shoot_side(shoot_stack, apiserver, ns, Path(tmp))
                for line in await asyncio.to_thread(describe_shoot_side, apiserver, ns, shoot_side):
                    _say(f"before: {line}")
            config = config_from_mapping(config_mapping)
            config_file = Path(tmp) / "controller-config.yaml"
            config_file.write_text(yaml.safe_dump(config_mapping))
            app = ControllerApp(config, reconciler_factory=ExtensionReconciler)
            controller = asyncio.create_task(app.run(handle_signals=False))
            if not ADOPT:
                ns, name = _apply_sample(apiserver)
                _say(f"applied the sample Cluster and Extension {ns}/{name}")
            if not ADOPT:
                # The shoot: a second apiserver and its gardener-resource-manager watching the namespace.
                shoot_stack = contextlib.ExitStack()
                shoot_side = start_shoot_side(shoot_stack, apiserver, ns, Path(tmp))
            _say(f"shoot kube-apiserver at {shoot_side.shoot.server}; gardener-resource-manager watches {ns}")
            ext = await _wait_succeeded(apiserver, ns, name)
            _print_state(apiserver, fake, ext, ns)
            for line in await asyncio.to_thread(describe_shoot_side, apiserver, ns, shoot_side):
                _say(line)
            _say(f"doctor: .venv/bin/ontap-extension doctor --config {config_file} {ns}")
            _say("running until Ctrl-C (the controller re-checks every dependency each minute)")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await asyncio.wait(
                {controller, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED
            )
            app.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(controller, timeout=40)
            shoot_stack.close()
    _say("stopped and cleaned up")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
