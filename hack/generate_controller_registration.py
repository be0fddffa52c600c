"""`make controller-registration`: the ControllerDeployment and ControllerRegistration of the chart.

Written the way Gardener's `hack/generate-controller-registration.sh` writes them (gardener/gardener):
the chart packaged by helm, re-packed reproducibly (names sorted, owner root, mtime 2019-01-01 UTC,
gzip without name or time) and inlined base64-encoded as `helm.rawChart` of a core.gardener.cloud/v1
ControllerDeployment, plus a core.gardener.cloud/v1beta1 ControllerRegistration for kind `Extension`,
type `ontap`. The same chart gives the same bytes, so the file changes only when the chart does.

    python hack/generate_controller_registration.py [--version 0.1.0] [--dest PATH]

The choices (name, lifecycle, timeouts, pod security) are explained in docs/controller-registration.md.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import io
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hack.localenv.kube import find_helm  # noqa: E402

CHART = REPO / "charts" / "gardener-extension-ontap"
DEST = REPO / "example" / "controller-registration.yaml"
# The name of metal-stack's Go extension's registration, so this one replaces it in place.
NAME = "ontap"
EXTENSION_TYPE = "ontap"
FIXED_MTIME = datetime(2019, 1, 1, tzinfo=UTC).timestamp()


def project_version() -> str:
    """`version` of pyproject.toml (the image tag and chart version written into the deployment)."""
    for line in (REPO / "pyproject.toml").read_text().splitlines():
        if line.startswith("version = "):
            return line.split('"')[1]
    raise SystemExit("pyproject.toml has no version")


def packaged_chart(chart: Path) -> bytes:
    """`helm package` of `chart`, re-packed so that the same chart always gives the same bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [str(find_helm()), "package", str(chart), "--destination", tmp],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (package,) = Path(tmp).glob("*.tgz")
        with tarfile.open(package, "r:gz") as source:
            members = sorted((m for m in source.getmembers() if m.isfile()), key=lambda m: m.name)
            files = [(m.name, source.extractfile(m).read()) for m in members]  # type: ignore[union-attr]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as target:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = int(FIXED_MTIME)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            target.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def example_values(version: str) -> dict[str, Any]:
    """Values the gardenlet passes to the chart: the image tag, and one ONTAP cluster to edit."""
    return {
        "image": {"tag": version},
        "ontap": {
            "clusters": [
                {
                    "name": "ontap-a",
                    "endpoint": "https://ontap-a.example.com",
                    "credentialsSecret": "ontap-a-credentials",
                }
            ]
        },
    }


def documents(version: str, raw_chart: bytes) -> list[dict[str, Any]]:
    """The ControllerDeployment and the ControllerRegistration."""
    deployment = {
        "apiVersion": "core.gardener.cloud/v1",
        "kind": "ControllerDeployment",
        "metadata": {"name": NAME},
        "helm": {
            "rawChart": base64.b64encode(raw_chart).decode(),
            "values": example_values(version),
        },
    }
    registration = {
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "ControllerRegistration",
        "metadata": {
            "name": NAME,
            # The pod meets Kubernetes' `restricted` pod security standard (non-root, no privilege
            # escalation, all capabilities dropped, RuntimeDefault seccomp).
            "annotations": {"security.gardener.cloud/pod-security-enforce": "restricted"},
        },
        "spec": {
            "deployment": {"policy": "OnDemand", "deploymentRefs": [{"name": NAME}]},
            "resources": [
                {
                    "kind": "Extension",
                    "type": EXTENSION_TYPE,
                    "primary": True,
                    # Creating an SVM is an ONTAP job; one pass may take up to passTimeout (10m).
                    "reconcileTimeout": "10m",
                    "lifecycle": {
                        "reconcile": "AfterKubeAPIServer",
                        "delete": "BeforeKubeAPIServer",
                        "migrate": "BeforeKubeAPIServer",
                    },
                    # Trident needs nodes; a shoot without workers has nowhere to mount volumes.
                    "workerlessSupported": False,
                    "clusterCompatibility": ["shoot"],
                }
            ],
        },
    }
    return [deployment, registration]


HEADER = """\
# Generated by `make controller-registration` (hack/generate_controller_registration.py) from
# charts/gardener-extension-ontap: do not edit. Before applying it to the garden cluster, set the
# ControllerDeployment's helm.values (image, ontap.clusters, ...); see docs/controller-registration.md.
"""


def render(version: str, chart: Path = CHART) -> str:
    """The file's text."""
    docs = documents(version, packaged_chart(chart))
    return HEADER + "".join("---\n" + yaml.safe_dump(doc, sort_keys=False, width=1 << 20) for doc in docs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--version", default=project_version(), help="image tag (default: pyproject version)")
    parser.add_argument("--dest", type=Path, default=DEST)
    args = parser.parse_args()
    args.dest.parent.mkdir(parents=True, exist_ok=True)
    args.dest.write_text(render(args.version))
    print(f"wrote {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
