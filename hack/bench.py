"""`make bench`: the controller process at scale, measured against the budgets.

Starts the local kube-apiserver (Gardener's CRDs) and the fake ONTAP, creates N shoots (namespace,
Cluster filled as Gardener fills it on a landscape, about 24 kB each, the ontap Extension and another
extension's Extension) spread over P projects, and runs the real controller as its own process
(`ontap-extension --config ...`, as in a seed). It then measures:

- the time until every Extension is Succeeded;
- the controller's resident memory (VmRSS, and the peak VmHWM) with all N Extensions cached;
- one steady-state round: as many periodic passes as there are Extensions, counted by the fake
  ONTAP (requests per pass) and the controller's own metrics (passes, Kubernetes requests and
  writes per pass), how long the round took and the controller's CPU per pass;
- the most ONTAP requests the fake served at once (every answer delayed by 5 ms so that concurrent
  requests overlap), against the per-cluster bound `maxInFlight`.

Budgets checked: steady state <= 3 ONTAP requests and 0 Kubernetes writes per pass, peak RSS under
200 MB for 1,000 Extensions and under 300 MB for 10,000, the round within the resync period, ONTAP
concurrency within `maxInFlight`. Exit code 1 when one is missed.

    python hack/bench.py [--shoots 1000] [--projects 100] [--resync 60]
    make bench                                   # 1,000 shoots, resync 60 s
    make bench SHOOTS=10000 PROJECTS=1000 RESYNC=300
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from controller.runtime.logging import configure_logging  # noqa: E402
from hack.localenv.gardener_objects import (  # noqa: E402
    GROUP,
    VERSION,
    cluster_object,
    extension_object,
    with_landscape_payload,
)
from hack.localenv.kube import LocalKubeApiServer  # noqa: E402
from ontap.fake.request_log import WRITE_METHODS  # noqa: E402
from ontap.fake.testing import FakeOntapServer  # noqa: E402

# Resident memory budgets by seed size: (at most this many Extensions, MB).
RSS_BUDGETS_MB = ((1_000, 200.0), (10_000, 300.0))
STEADY_ONTAP_BUDGET = 3.0
MAX_IN_FLIGHT = 4
ROUND_SLACK_SECONDS = 10.0  # scrape interval and the passes running when a round is counted
CREATE_THREADS = 8
WORKERS = 5  # maxConcurrentReconciles: at most this many passes straddle the end of a counted round
EXTENSIONS = f"/apis/{GROUP}/{VERSION}/extensions"


def rss_budget_mb(shoots: int) -> float | None:
    """The memory budget for a seed with `shoots` Extensions (None below the smallest size)."""
    budget = None
    for size, megabytes in RSS_BUDGETS_MB:
        if shoots >= size:
            budget = megabytes
    return budget


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def project_config(project: int) -> dict[str, Any]:
    """LIF addresses of a project's SVM (shared by its shoots); unique across projects."""
    base = f"127.{100 + project // 250}.{project % 250}"
    return {
        "apiVersion": "ontap.metal.extensions.gardener.cloud/v1alpha1",
        "kind": "TridentConfig",
        "svmIpaddresses": {"managementLif": f"{base}.10", "dataLifs": [f"{base}.11", f"{base}.12"]},
    }


def create_shoot(apiserver: LocalKubeApiServer, index: int, projects: int) -> None:
    project = index % projects
    project_id = f"b{project:04d}"
    namespace = f"shoot--{project_id}--s{index:05d}"
    apiserver.create_namespace(namespace)
    cluster = with_landscape_payload(cluster_object(namespace, project_id, provider_type="metal"))
    apiserver.apply(cluster, f"/apis/{GROUP}/{VERSION}/clusters")
    extensions = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/extensions"
    apiserver.apply(extension_object(namespace, project_config(project)), extensions)
    # Another extension's object in the same namespace, as on every real seed: listed, never kept.
    other = extension_object(namespace)
    other["metadata"]["name"] = "shoot-dns-service"
    other["spec"] = {"type": "shoot-dns-service"}
    apiserver.apply(other, extensions)


def create_shoots(apiserver: LocalKubeApiServer, shoots: int, projects: int) -> None:
    """Namespace, Cluster and Extension of every shoot, a few shoots at a time."""
    apiserver.request("GET", "/version")  # sets up the client's TLS context once, before the threads
    with ThreadPoolExecutor(max_workers=CREATE_THREADS) as pool:
        for done in pool.map(lambda index: create_shoot(apiserver, index, projects), range(shoots)):
            del done


def states(apiserver: LocalKubeApiServer) -> dict[str, int]:
    """Extensions by `status.lastOperation.state`, from one list (paged) of the apiserver."""
    counts: dict[str, int] = {}
    token = ""
    while True:
        page = apiserver.request("GET", f"{EXTENSIONS}?limit=500&continue={token}", timeout=60)
        for item in page.get("items", []):
            state = ((item.get("status") or {}).get("lastOperation") or {}).get("state", "Pending")
            counts[state] = counts.get(state, 0) + 1
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            return counts


def cached_states(port: int) -> dict[str, int]:
    """Extensions by lastOperation state as the controller's cache holds them (its metrics).

    Polling these instead of listing every Extension every few seconds keeps the watcher from loading
    the apiserver it measures; the final count comes from the apiserver itself.
    """
    counts: dict[str, int] = {}
    for line in metrics_text(port).splitlines():
        match = re.match(r'ontap_extension_extensions\{.*last_operation_state="([^"]+)".*\} (\S+)', line)
        if match and float(match.group(2)):
            state = "Pending" if match.group(1) == "none" else match.group(1)
            counts[state] = counts.get(state, 0) + int(float(match.group(2)))
    return counts


def cpu_seconds(pid: int) -> float:
    """User plus system CPU a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def metrics_text(port: int) -> str:
    return str(urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30).read().decode())


def scrape(port: int) -> dict[str, float]:
    """The controller's counters that the steady-state figures are made of."""
    text = metrics_text(port)
    totals: dict[str, float] = {"passes": 0.0, "kube_requests": 0.0, "kube_writes": 0.0}
    for line in text.splitlines():
        if line.startswith("ontap_extension_reconcile_duration_seconds_count"):
            totals["passes"] += float(line.rsplit(" ", 1)[1])
        match = re.match(r"ontap_extension_kube_requests_total\{(.*)\} (\S+)", line)
        if match:
            verb = re.search(r'verb="([A-Z]+)"', match.group(1))
            resource = re.search(r'resource="([^"]+)"', match.group(1))
            if resource and resource.group(1) == "leases":
                continue  # leader election and heartbeat, not passes
            totals["kube_requests"] += float(match.group(2))
            if verb and resource and verb.group(1) in ("POST", "PUT", "PATCH", "DELETE"):
                totals["kube_writes"] += float(match.group(2))
                write = f"write {verb.group(1)} {resource.group(1)}"
                totals[write] = totals.get(write, 0.0) + float(match.group(2))
    return totals


def steady_round(port: int, before: dict[str, float], shoots: int, limit: float) -> dict[str, float]:
    """Wait until every Extension had (on average) one more periodic pass; the counters then."""
    started = time.monotonic()
    while True:
        time.sleep(2)
        now = scrape(port)
        if now["passes"] - before["passes"] >= shoots or time.monotonic() - started > limit:
            return now


def wait_all_succeeded(apiserver: LocalKubeApiServer, port: int, shoots: int, limit: float) -> float:
    started = time.monotonic()
    last = ""
    while time.monotonic() - started < limit:
        try:
            counts = cached_states(port)
        except OSError:
            counts = {}  # the controller is still starting
        line = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        if line != last:
            say(f"{time.monotonic() - started:6.1f}s  {line}")
            last = line
        if counts.get("Succeeded", 0) == shoots:
            took = time.monotonic() - started
            confirmed = states(apiserver)
            if confirmed.get("Succeeded", 0) == shoots:
                return took
            say(f"the apiserver says {confirmed}; waiting on")
        time.sleep(2)
    raise SystemExit(f"not every Extension Succeeded within {limit:.0f}s: {last}")


def main() -> int:
    configure_logging("warning", json=False)  # the fake's own lines; the controller logs to a file
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--shoots", type=int, default=1000)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--resync", type=float, default=60.0, help="resync period of the controller (s)")
    parser.add_argument("--converge-limit", type=float, default=900.0)
    parser.add_argument("--log", help="keep the controller's log in this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, LocalKubeApiServer() as apiserver:
        apiserver.install_crds()
        apiserver.create_namespace("garden")
        with FakeOntapServer() as fake:
            fake.set_job_timing(seconds=0.05)
            started = time.monotonic()
            create_shoots(apiserver, args.shoots, args.projects)
            took = time.monotonic() - started
            say(f"created {args.shoots} shoots in {args.projects} projects in {took:.0f}s")
            # Every ONTAP answer takes a little while, so concurrent requests overlap at the fake and
            # its in-flight peak shows the controller's real concurrency.
            fake.faults.add({"type": "latency", "seconds": 0.005}, path="^/api/")
            fake.peak_in_flight(reset=True)
            password_file = Path(tmp) / "ontap-password"
            password_file.write_text(fake.admin_password)
            metrics_port = free_port()
            config = {
                "kubeconfig": str(apiserver.kubeconfig),
                "ontapClusters": [
                    {
                        "name": "fake",
                        "endpoint": fake.url,
                        "username": fake.admin_user,
                        "passwordFile": str(password_file),
                        "maxInFlight": MAX_IN_FLIGHT,
                    }
                ],
                "resyncPeriod": args.resync,
                "maxConcurrentReconciles": WORKERS,
                "leaderElection": {"namespace": "garden"},
                "heartbeat": {"namespace": "garden"},
                "healthPort": 0,
                "metricsPort": metrics_port,
                "bindAddress": "127.0.0.1",
            }
            config_path = Path(tmp) / "config.yaml"
            config_path.write_text(yaml.safe_dump(config))
            log_path = Path(args.log) if args.log else Path(tmp) / "controller.log"
            with log_path.open("w") as log_file:
                controller = subprocess.Popen(
                    [str(Path(sys.executable).parent / "ontap-extension"), "--config", str(config_path)],
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
                try:
                    converged = wait_all_succeeded(apiserver, metrics_port, args.shoots, args.converge_limit)
                    rss, peak = memory_mb(controller.pid)
                    say(f"all Succeeded after {converged:.0f}s; RSS {rss:.0f} MB ({peak:.0f} MB peak)")
                    # Let the queue drain, then count exactly one periodic round of every Extension.
                    time.sleep(5)
                    before = scrape(metrics_port)
                    fake.requests.clear()
                    round_started = time.monotonic()
                    cpu_before = cpu_seconds(controller.pid)
                    after = steady_round(metrics_port, before, args.shoots, args.resync * 10)
                    round_seconds = time.monotonic() - round_started
                    round_cpu = cpu_seconds(controller.pid) - cpu_before
                    # From the per-route counts, which cover every request (the entry log keeps the last
                    # 10,000 only).
                    ontap_by_template = fake.requests.counts()
                    ontap = sum(ontap_by_template.values())
                    ontap_writes = sum(
                        n for route, n in ontap_by_template.items() if route.split(" ", 1)[0] in WRITE_METHODS
                    )
                    rss_steady, peak = memory_mb(controller.pid)
                finally:
                    controller.terminate()
                    controller.wait(timeout=60)
            passes = after["passes"] - before["passes"]
            kube_requests = after["kube_requests"] - before["kube_requests"]
            in_flight_peak = fake.peak_in_flight()
            steady_writes = {
                key[len("write ") :]: int(after[key] - before.get(key, 0.0))
                for key in after
                if key.startswith("write ") and after[key] != before.get(key, 0.0)
            }
            figures = {
                "shoots": args.shoots,
                "projects": args.projects,
                "converge_seconds": round(converged, 1),
                "rss_mb": round(rss_steady, 1),
                "rss_peak_mb": round(peak, 1),
                "steady_passes": int(passes),
                "steady_round_seconds": round(round_seconds, 1),
                "steady_passes_per_second": round(passes / round_seconds, 1),
                "controller_cpu_seconds_in_round": round(round_cpu, 1),
                "controller_cpu_ms_per_steady_pass": round(1000 * round_cpu / passes, 2) if passes else None,
                # How many shoots one core could re-check per resync period at that cost.
                "shoots_per_core_and_resync": int(args.resync * passes / round_cpu) if round_cpu else None,
                "ontap_requests_per_pass": round(ontap / passes, 2) if passes else None,
                "ontap_writes_in_steady_round": ontap_writes,
                "ontap_requests_in_steady_round": ontap_by_template,
                "kube_requests_per_pass": round(kube_requests / passes, 2) if passes else None,
                "kube_writes_in_steady_round": int(after["kube_writes"] - before["kube_writes"]),
                "kube_writes_by_verb_and_resource": steady_writes,
                "ontap_in_flight_peak": in_flight_peak,
            }
    say(json.dumps(figures, indent=2))
    misses = []
    if passes < args.shoots:
        misses.append(f"only {int(passes)} steady-state passes for {args.shoots} Extensions")
    # Passes still running when the round is counted have made requests but are not counted yet.
    if ontap > STEADY_ONTAP_BUDGET * (passes + WORKERS):
        misses.append(f"{ontap} ONTAP requests in {int(passes)} steady-state passes (+{WORKERS} running)")
    if figures["kube_writes_in_steady_round"] or ontap_writes:
        misses.append("writes in the steady-state round")
    rss_budget = rss_budget_mb(args.shoots)
    if rss_budget is not None and figures["rss_peak_mb"] > rss_budget:
        misses.append(f"peak RSS {figures['rss_peak_mb']} MB > {rss_budget} MB for {args.shoots} Extensions")
    # Every shoot's next pass is due one period after its last; a round that takes longer than the
    # (jittered) period means the controller does not keep up.
    if round_seconds > args.resync * 1.1 + ROUND_SLACK_SECONDS:
        misses.append(f"one round took {round_seconds:.0f}s, more than the resync period {args.resync:.0f}s")
    if in_flight_peak > MAX_IN_FLIGHT:
        misses.append(f"{in_flight_peak} ONTAP requests in flight > maxInFlight {MAX_IN_FLIGHT}")
    for miss in misses:
        say(f"BUDGET MISSED: {miss}")
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
