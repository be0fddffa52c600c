"""`make bench-floor`: the controller beside a lean client making the same requests, in one run.

Starts the local kube-apiserver and `ontap-fake` as its own process over HTTPS (so TLS is counted),
creates N shoots in P projects, and runs the controller **in this process** with its real reconciler,
cache, watches and work queue (`ControllerApp`). Measured:

- convergence: wall time until every Extension is Succeeded, against a floor made of the ONTAP jobs on
  the critical path (every project needs one SVM job; `workers` of them run at once) plus the requests
  the controller made, each costing what it costs the lean client: a read what the lean client's steady
  reads cost, a write what its writes cost (per shoot a Secret created, patched and deleted, and an
  ONTAP account patched twice, `workers` shoots at once);
- steady state: rounds in which every Extension is queued once; CPU (this process, all threads) and
  wall time per pass, and the same for a lean keep-alive client (aiohttp, one session per endpoint,
  `workers` shoots at once) that makes per shoot the same 3 ONTAP reads (the SVM and the account as
  admin, the interfaces as the shoot's SVM account at its management LIF) and replays the Kubernetes
  requests the controller made for that shoot in the round before.

Prints both side by side with their ratios and, with `--check`, exits 1 when the controller is more
than 2x the floor in steady wall time or convergence, or uses 5 ms of CPU or more per steady pass.

    python hack/bench_floor.py [--shoots 200] [--projects 20] [--workers 5] [--job-seconds 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from controller.app import ControllerApp  # noqa: E402
from controller.config import config_from_mapping  # noqa: E402
from controller.reconciler import ExtensionReconciler  # noqa: E402
from controller.runtime.logging import configure_logging  # noqa: E402
from hack.bench import create_shoots, project_config  # noqa: E402
from hack.localenv.kube import LocalKubeApiServer  # noqa: E402
from ontap.provisioning.reads import ACCOUNT_FIELDS, INTERFACE_FIELDS, SVM_FIELDS  # noqa: E402

ADMIN_USER, ADMIN_PASSWORD = "admin", "bench-admin-password"
SEED_SECRET = "ontap-svm-credentials"
WALL_RATIO_BUDGET = 2.0
CPU_PER_PASS_BUDGET_MS = 5.0


def say(text: str) -> None:
    print(f"[bench-floor] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds() -> float:
    """CPU time of this process, every thread (the controller's ONTAP pools included)."""
    return time.process_time()


def basic_auth(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@dataclass
class Fake:
    """`ontap-fake` as its own process over HTTPS."""

    process: subprocess.Popen[bytes]
    port: int
    ca_file: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def control(self, method: str, path: str, body: Any = None) -> Any:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        token = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Authorization", f"Basic {token}")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:
            text = answer.read().decode()
        return json.loads(text) if text else None

    def request_counts(self) -> dict[str, int]:
        counts: dict[str, int] = self.control("GET", "/_fake/requests")["counts"]
        return counts

    def clear_requests(self) -> None:
        self.control("DELETE", "/_fake/requests")


def start_fake(tmp: Path, job_seconds: float) -> Fake:
    port = free_port()
    ca_file = tmp / "fake-ca.pem"
    command = [
        str(Path(sys.executable).parent / "ontap-fake"),
        "--port",
        str(port),
        "--ca-out",
        str(ca_file),
        "--admin-user",
        ADMIN_USER,
        "--admin-password",
        ADMIN_PASSWORD,
        "--job-seconds",
        str(job_seconds),
    ]
    log = (tmp / "fake.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"ontap-fake exited: {(tmp / 'fake.log').read_text()[-2000:]}")
        if ca_file.exists() and "listening" in (tmp / "fake.log").read_text():
            return Fake(process, port, ca_file)
        time.sleep(0.1)
    raise SystemExit("ontap-fake did not start within 30 s")


def extension_states(apiserver: LocalKubeApiServer) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    items = apiserver.request("GET", "/apis/extensions.gardener.cloud/v1alpha1/extensions").get("items", [])
    for item in items:
        state = ((item.get("status") or {}).get("lastOperation") or {}).get("state", "Pending")
        counts[state] += 1
    return dict(counts)


class KubeRecorder:
    """Remembers the Kubernetes requests of the controller's API client (method, path, query)."""

    def __init__(self, api_client: Any) -> None:
        self.requests: list[tuple[str, str, list[tuple[str, Any]]]] = []
        rest_client = api_client.rest_client
        original = rest_client.request

        async def recorded(method: str, url: str, query_params: Any = None, *args: Any, **kwargs: Any) -> Any:
            path = url.split("://", 1)[-1]
            path = "/" + path.split("/", 1)[1] if "/" in path else "/"
            self.requests.append((method, path, list(query_params or [])))
            return await original(method, url, query_params, *args, **kwargs)

        rest_client.request = recorded

    def take(self) -> list[tuple[str, str, list[tuple[str, Any]]]]:
        taken, self.requests = self.requests, []
        return taken


def by_namespace(requests: list[tuple[str, str, list[tuple[str, Any]]]]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for method, path, query in requests:
        parts = path.split("/")
        if "namespaces" in parts:
            grouped[parts[parts.index("namespaces") + 1]].append((method, path, query))
    return grouped


@dataclass
class Round:
    wall: float
    cpu: float
    passes: int
    ontap_requests: int = 0
    ontap_writes: int = 0
    kube_requests: int = 0
    kube_writes: int = 0

    @property
    def wall_ms_per_pass(self) -> float:
        return 1000 * self.wall / max(self.passes, 1)

    @property
    def cpu_ms_per_pass(self) -> float:
        return 1000 * self.cpu / max(self.passes, 1)


@dataclass
class Shoot:
    namespace: str
    svm: str
    lif: str
    username: str = ""
    password: str = ""
    svm_uuid: str = ""
    kube: list[Any] = field(default_factory=list)


async def timed_shoots(
    shoots: list[Shoot], workers: int, one: Callable[[Shoot], Awaitable[None]]
) -> tuple[float, float]:
    """Run `one` for every shoot, `workers` at once; the wall and CPU seconds it took."""
    queue: asyncio.Queue[Shoot] = asyncio.Queue()
    for shoot in shoots:
        queue.put_nowait(shoot)

    async def worker() -> None:
        while not queue.empty():
            await one(queue.get_nowait())

    started, cpu = time.monotonic(), cpu_seconds()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.monotonic() - started, cpu_seconds() - cpu


def ontap_writes(counts: dict[str, int]) -> int:
    """The writes among the fake's request counts by route."""
    return sum(n for route, n in counts.items() if route.split(" ", 1)[0] in ("POST", "PATCH", "DELETE"))


async def lean_round(
    shoots: list[Shoot], fake: Fake, kube_server: str, kube_token: str, kube_ca: Path, workers: int, port: int
) -> Round:
    """The same requests per shoot, from a lean keep-alive client, `workers` shoots at once."""
    ontap_tls = ssl.create_default_context(cafile=str(fake.ca_file))
    kube_tls = ssl.create_default_context(cafile=str(kube_ca))
    admin = basic_auth(ADMIN_USER, ADMIN_PASSWORD)
    connector = aiohttp.TCPConnector(limit=0)
    kube_headers = {"Authorization": f"Bearer {kube_token}", "Accept": "application/json"}
    counts = {"ontap": 0, "kube": 0}

    async def get(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> Any:
        async with session.get(url, **kwargs) as answer:
            body = await answer.read()
            if answer.status != 200:
                raise SystemExit(f"lean client: GET {url} -> {answer.status}: {body[:300]!r}")
            return json.loads(body)

    async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:

        async def one(shoot: Shoot) -> None:
            base = fake.url
            await get(
                session,
                f"{base}/api/svm/svms",
                params={"name": shoot.svm, "fields": SVM_FIELDS},
                headers=admin,
                ssl=ontap_tls,
            )
            await asyncio.gather(
                get(
                    session,
                    f"{base}/api/security/accounts",
                    params={"owner.uuid": shoot.svm_uuid, "name": shoot.username, "fields": ACCOUNT_FIELDS},
                    headers=admin,
                    ssl=ontap_tls,
                ),
                get(
                    session,
                    f"https://{shoot.lif}:{port}/api/network/ip/interfaces",
                    params={"svm.uuid": shoot.svm_uuid, "fields": INTERFACE_FIELDS},
                    headers=basic_auth(shoot.username, shoot.password),
                    ssl=ontap_tls,
                ),
            )
            counts["ontap"] += 3
            for method, path, query in shoot.kube:
                if method != "GET":
                    continue
                await get(session, f"{kube_server}{path}", params=query, headers=kube_headers, ssl=kube_tls)
                counts["kube"] += 1

        wall, used = await timed_shoots(shoots, workers, one)
    return Round(wall, used, len(shoots), ontap_requests=counts["ontap"], kube_requests=counts["kube"])


async def lean_writes(
    shoots: list[Shoot], fake: Fake, kube_server: str, kube_token: str, kube_ca: Path, workers: int
) -> Round:
    """What a write costs the lean client, `workers` shoots at once: per shoot a Secret created, patched
    and deleted in its namespace, and its ONTAP account's comment set and cleared (as the admin)."""
    ontap_tls = ssl.create_default_context(cafile=str(fake.ca_file))
    kube_tls = ssl.create_default_context(cafile=str(kube_ca))
    admin = basic_auth(ADMIN_USER, ADMIN_PASSWORD)
    kube_headers = {"Authorization": f"Bearer {kube_token}", "Accept": "application/json"}
    counts = {"ontap": 0, "kube": 0}

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), trust_env=False) as session:

        async def send(method: str, url: str, body: Any, headers: dict[str, str], context: Any) -> None:
            async with session.request(method, url, json=body, headers=headers, ssl=context) as answer:
                text = await answer.read()
                if answer.status >= 300:
                    raise SystemExit(f"lean client: {method} {url} -> {answer.status}: {text[:300]!r}")

        async def one(shoot: Shoot) -> None:
            secrets = f"{kube_server}/api/v1/namespaces/{shoot.namespace}/secrets"
            secret = {
                "metadata": {"name": "bench-floor-write"},
                "data": {"x": base64.b64encode(b"y" * 700).decode()},
            }
            await send("POST", secrets, secret, kube_headers, kube_tls)
            merge = {**kube_headers, "Content-Type": "application/merge-patch+json"}
            await send(
                "PATCH", f"{secrets}/bench-floor-write", {"metadata": {"labels": {"a": "b"}}}, merge, kube_tls
            )
            await send("DELETE", f"{secrets}/bench-floor-write", None, kube_headers, kube_tls)
            account = f"{fake.url}/api/security/accounts/{shoot.svm_uuid}/{shoot.username}"
            await send("PATCH", account, {"comment": "bench-floor"}, admin, ontap_tls)
            await send("PATCH", account, {"comment": ""}, admin, ontap_tls)
            counts["kube"] += 3
            counts["ontap"] += 2

        wall, used = await timed_shoots(shoots, workers, one)
    return Round(
        wall,
        used,
        len(shoots),
        ontap_requests=counts["ontap"],
        ontap_writes=counts["ontap"],
        kube_requests=counts["kube"],
        kube_writes=counts["kube"],
    )


async def lean_prepare(shoots: list[Shoot], apiserver: LocalKubeApiServer, fake: Fake) -> None:
    """Usernames and passwords from the seed secrets, SVM uuids from the fake (not timed)."""
    svms = {s["name"]: uuid for uuid, s in fake.control("GET", "/_fake/state")["svms"].items()}
    for shoot in shoots:
        secret = apiserver.request("GET", f"/api/v1/namespaces/{shoot.namespace}/secrets/{SEED_SECRET}")
        shoot.username = base64.b64decode(secret["data"]["username"]).decode()
        shoot.password = base64.b64decode(secret["data"]["password"]).decode()
        shoot.svm_uuid = svms[shoot.svm]


async def controller_round(app: ControllerApp, fake: Fake, recorder: KubeRecorder) -> tuple[Round, list[Any]]:
    keys = app.cache.extension_keys()
    fake.clear_requests()
    recorder.take()
    writes_before = app.counter.writes
    started, cpu = time.monotonic(), cpu_seconds()
    for key in keys:
        app.queue.add(key)
    await asyncio.sleep(0)
    await app.queue.wait_idle()
    wall, used = time.monotonic() - started, cpu_seconds() - cpu
    counts = fake.request_counts()
    kube = recorder.take()
    return (
        Round(
            wall,
            used,
            len(keys),
            ontap_requests=sum(counts.values()),
            ontap_writes=ontap_writes(counts),
            kube_requests=len(kube),
            kube_writes=app.counter.writes - writes_before,
        ),
        kube,
    )


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp_name, LocalKubeApiServer() as apiserver:
        tmp = Path(tmp_name)
        apiserver.install_crds()
        apiserver.create_namespace("garden")
        fake = start_fake(tmp, args.job_seconds)
        try:
            create_shoots(apiserver, args.shoots, args.projects)
            say(
                f"{args.shoots} shoots in {args.projects} projects;"
                f" ontap-fake over HTTPS, jobs {args.job_seconds} s"
            )
            config = config_from_mapping(
                {
                    "kubeconfig": str(apiserver.kubeconfig),
                    "ontapClusters": [
                        {
                            "name": "fake",
                            "endpoint": fake.url,
                            "username": ADMIN_USER,
                            "password": ADMIN_PASSWORD,
                            "caBundleFile": str(fake.ca_file),
                            "maxInFlight": 4,
                        }
                    ],
                    "resyncPeriod": 3600,
                    "maxConcurrentReconciles": args.workers,
                    "leaderElection": {"enabled": False},
                    "heartbeat": {"enabled": False},
                    "healthPort": 0,
                    "metricsPort": 0,
                    "bindAddress": "127.0.0.1",
                }
            )
            app = ControllerApp(config, reconciler_factory=ExtensionReconciler)
            fake.clear_requests()
            started, cpu = time.monotonic(), cpu_seconds()
            task = asyncio.create_task(app.run(handle_signals=False))
            while True:
                await asyncio.sleep(0.1)
                if task.done():
                    raise SystemExit(f"controller stopped: exit code {task.result()}")
                # The controller's own cache says when to look (a LIST of every Extension each tick
                # would load the process it measures); the apiserver confirms.
                states = app.cache.state_counts()
                if states.get("Succeeded", 0) == args.shoots:
                    states = await asyncio.to_thread(extension_states, apiserver)
                    if states.get("Succeeded", 0) == args.shoots:
                        break
                if time.monotonic() - started > args.converge_limit:
                    raise SystemExit(f"not converged within {args.converge_limit} s: {states}")
            converge = Round(time.monotonic() - started, cpu_seconds() - cpu, args.shoots)
            converged_counts = fake.request_counts()
            converge.ontap_requests = sum(converged_counts.values())
            converge.ontap_writes = ontap_writes(converged_counts)
            converge.kube_requests = app.counter.total
            converge.kube_writes = app.counter.writes
            await app.queue.wait_idle()
            recorder = KubeRecorder(app.api_client)
            steady: list[Round] = []
            kube_requests: list[Any] = []
            for _ in range(args.rounds):
                result, kube_requests = await controller_round(app, fake, recorder)
                steady.append(result)
            app.stop()
            await asyncio.wait_for(task, 60)

            shoots = []
            grouped = by_namespace(kube_requests)
            for index in range(args.shoots):
                project = index % args.projects
                namespace = f"shoot--b{project:04d}--s{index:05d}"
                lif = project_config(project)["svmIpaddresses"]["managementLif"]
                shoots.append(Shoot(namespace, f"pb{project:04d}", lif, kube=grouped.get(namespace, [])))
            await lean_prepare(shoots, apiserver, fake)
            kube_token = yaml.safe_load(apiserver.kubeconfig.read_text())["users"][0]["user"]["token"]
            lean = [
                await lean_round(
                    shoots, fake, apiserver.server, kube_token, apiserver.ca_file, args.workers, fake.port
                )
                for _ in range(args.rounds)
            ]
            writes = await lean_writes(
                shoots, fake, apiserver.server, kube_token, apiserver.ca_file, args.workers
            )
        finally:
            fake.process.terminate()
            fake.process.wait(timeout=30)

    ctl = min(steady, key=lambda r: r.wall)
    floor = min(lean, key=lambda r: r.wall)
    ctl_cpu = statistics.median(r.cpu_ms_per_pass for r in steady)
    floor_cpu = statistics.median(r.cpu_ms_per_pass for r in lean)
    per_request = floor.wall / max(floor.ontap_requests + floor.kube_requests, 1)
    per_write = writes.wall / max(writes.ontap_requests + writes.kube_requests, 1)
    job_floor = math.ceil(args.projects / args.workers) * args.job_seconds
    converge_writes = converge.ontap_writes + converge.kube_writes
    converge_reads = converge.ontap_requests + converge.kube_requests - converge_writes
    request_floor = converge_reads * per_request + converge_writes * per_write
    converge_floor = job_floor + request_floor
    reads_only_floor = job_floor + (converge_reads + converge_writes) * per_request
    rows = [
        ("CPU per steady pass (ms)", ctl_cpu, floor_cpu),
        ("wall per steady pass (ms)", ctl.wall_ms_per_pass, floor.wall_ms_per_pass),
        ("steady passes per second", ctl.passes / ctl.wall, floor.passes / floor.wall),
        (
            "ONTAP requests per steady pass",
            ctl.ontap_requests / ctl.passes,
            floor.ontap_requests / floor.passes,
        ),
        (
            "Kubernetes requests per steady pass",
            ctl.kube_requests / ctl.passes,
            floor.kube_requests / floor.passes,
        ),
        (f"{args.shoots} new shoots to Succeeded (s)", converge.wall, converge_floor),
    ]
    say(f"{'':40} {'controller':>12} {'lean floor':>12} {'ratio':>8}")
    for name, mine, lean_value in rows:
        ratio = mine / lean_value if lean_value else float("inf")
        say(f"{name:40} {mine:12.2f} {lean_value:12.2f} {ratio:7.1f}x")
    say(
        f"convergence floor = {math.ceil(args.projects / args.workers)} job rounds x {args.job_seconds} s"
        f" + {converge_reads} reads x {1000 * per_request:.2f} ms"
        f" + {converge_writes} writes ({converge.ontap_writes} ONTAP, {converge.kube_writes} Kubernetes)"
        f" x {1000 * per_write:.2f} ms (lean, {args.workers} at once)"
        f" = {job_floor:.2f} + {request_floor:.2f} s"
        f" (pricing the writes as reads: {reads_only_floor:.2f} s,"
        f" {converge.wall / reads_only_floor:.1f}x)"
    )
    say(
        f"steady writes: ONTAP {sum(r.ontap_writes for r in steady)},"
        f" Kubernetes {sum(r.kube_writes for r in steady)}"
        f"; controller CPU in convergence {1000 * converge.cpu / args.shoots:.1f} ms per shoot"
    )
    misses = []
    if ctl.wall > WALL_RATIO_BUDGET * floor.wall:
        misses.append(f"steady wall {ctl.wall / floor.wall:.1f}x the floor (budget {WALL_RATIO_BUDGET:g}x)")
    if ctl_cpu >= CPU_PER_PASS_BUDGET_MS:
        misses.append(f"{ctl_cpu:.1f} ms CPU per steady pass (budget < {CPU_PER_PASS_BUDGET_MS:g} ms)")
    if converge.wall > WALL_RATIO_BUDGET * converge_floor:
        misses.append(
            f"convergence {converge.wall / converge_floor:.1f}x the floor (budget {WALL_RATIO_BUDGET:g}x)"
        )
    if any(r.ontap_writes or r.kube_writes for r in steady):
        misses.append("writes in a steady round")
    for miss in misses:
        say(f"BUDGET MISSED: {miss}")
    return 1 if misses and args.check else 0


def main() -> int:
    configure_logging(os.environ.get("BENCH_LOG_LEVEL", "warning"), json=False)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--shoots", type=int, default=200)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--job-seconds", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=3, help="steady rounds of each (the best is shown)")
    parser.add_argument("--converge-limit", type=float, default=600.0)
    parser.add_argument("--check", action="store_true", help="exit 1 when a budget is missed")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
