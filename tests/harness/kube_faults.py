"""A fault-injecting reverse proxy in front of the local kube-apiserver.

The controller under test talks to the proxy (plain HTTP on loopback, through the kubeconfig the
proxy writes); the proxy forwards every request to the real apiserver over HTTPS with the admin
token, streaming the answer (WATCH included). Rules, shaped like the fake ONTAP's, pick requests by
method and path regex and answer them instead:

- ``conflict``: 409 with a proper ``metav1.Status`` (reason ``Conflict`` or ``AlreadyExists``);
- ``error``: any status with a ``metav1.Status`` body (503 ``ServiceUnavailable`` by default);
- ``reset``: drop the connection without an answer;
- ``hang``: answer nothing for ``seconds``, then drop the connection;
- ``latency``: wait ``seconds``, then forward normally;
- ``outage``: the API server goes away for ``seconds`` from this request on (see ``unavailable``).

``unavailable(seconds)`` makes the whole API server unreachable for a while: every request gets a
503, a dropped connection, or (``mode="refuse"``) the listening socket is closed so that connecting
is refused; open WATCH streams are cut. Every request is logged, so tests can count Kubernetes
writes.

The proxy runs in a background thread with its own event loop (like ``FakeOntapServer``), so a
session-scoped proxy serves tests of any event loop and synchronous code alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any, Literal

import aiohttp
import yaml
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

STARTUP_TIMEOUT = 10.0
MAX_HANG_SECONDS = 120.0
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Headers that describe one hop (or that the proxy sets itself) and must not be copied across.
HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "authorization",
    }
)
STATUS_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConflictAction(_Action):
    """Answer 409 as the apiserver does for a stale resourceVersion (or an existing name)."""

    type: Literal["conflict"] = "conflict"
    reason: Literal["Conflict", "AlreadyExists"] = "Conflict"
    message: str | None = None


class ErrorAction(_Action):
    """Answer with `status` and a metav1.Status body."""

    type: Literal["error"] = "error"
    status: int = 503
    reason: str | None = None
    message: str = "injected: the server is currently unable to handle the request"


class ResetAction(_Action):
    """Drop the connection without an answer."""

    type: Literal["reset"] = "reset"


class HangAction(_Action):
    """Answer nothing for `seconds`, then drop the connection."""

    type: Literal["hang"] = "hang"
    seconds: float = Field(default=MAX_HANG_SECONDS, gt=0, le=MAX_HANG_SECONDS)


class LatencyAction(_Action):
    """Wait `seconds`, then forward the request normally."""

    type: Literal["latency"] = "latency"
    seconds: float = Field(ge=0)


class OutageAction(_Action):
    """From this request on the API server is unavailable for `seconds` (503s or dropped connections)."""

    type: Literal["outage"] = "outage"
    seconds: float = Field(gt=0, le=MAX_HANG_SECONDS)
    mode: Literal["503", "reset"] = "503"


KubeFaultAction = Annotated[
    ConflictAction | ErrorAction | ResetAction | HangAction | LatencyAction | OutageAction,
    Field(discriminator="type"),
]


class KubeFaultRule(BaseModel):
    """Which requests a fault hits: method (``"POST|PUT"``), path regex, WATCH or not, when."""

    model_config = ConfigDict(extra="forbid")

    id: int = 0
    method: str | None = None
    path: str = ".*"
    watch: bool | None = None
    calls: list[int] | None = None
    times: int | None = Field(default=None, ge=0)
    until: float | None = None
    action: KubeFaultAction
    matched: int = 0
    injected: int = 0

    def selects(self, method: str, path: str, is_watch: bool) -> bool:
        """Whether the rule is about this request (regardless of calls, times, expiry)."""
        if self.method not in (None, "*") and method.upper() not in self.method.upper().split("|"):
            return False
        if self.watch is not None and self.watch != is_watch:
            return False
        return re.search(self.path, path) is not None

    def fires(self, now: float) -> bool:
        """Count one selected request and decide whether this one is hit."""
        self.matched += 1
        if self.until is not None and now >= self.until:
            return False
        if self.times is not None and self.injected >= self.times:
            return False
        hit = self.calls is None or self.matched in self.calls
        if hit:
            self.injected += 1
        return hit

    @property
    def spent(self) -> bool:
        """Whether the rule can never fire again."""
        if self.times is not None and self.injected >= self.times:
            return True
        return bool(self.calls) and self.matched >= max(self.calls or [0])


@dataclass(frozen=True)
class ProxiedRequest:
    """One request that reached the proxy, and what became of it."""

    method: str
    path: str
    query: str
    watch: bool
    status: int | None
    fault: str | None
    at: float

    @property
    def is_write(self) -> bool:
        """POST, PUT, PATCH or DELETE."""
        return self.method in WRITE_METHODS


class KubeFaultBook:
    """The proxy's rules and request log, shared between the test thread and the proxy's loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[int, KubeFaultRule] = {}
        self._ids = itertools.count(1)
        self._log: list[ProxiedRequest] = []

    def add(
        self,
        action: dict[str, Any],
        method: str | None = None,
        path: str = ".*",
        *,
        watch: bool | None = None,
        calls: list[int] | None = None,
        times: int | None = None,
        for_seconds: float | None = None,
    ) -> int:
        """Add a rule; `for_seconds` makes it expire after that long. Returns its id."""
        until = time.monotonic() + for_seconds if for_seconds is not None else None
        rule = KubeFaultRule.model_validate(
            {
                "method": method,
                "path": path,
                "watch": watch,
                "calls": calls,
                "times": times,
                "until": until,
                "action": action,
            }
        )
        with self._lock:
            rule.id = next(self._ids)
            self._rules[rule.id] = rule
        return rule.id

    def remove(self, rule_id: int) -> bool:
        """Remove one rule; False when there was none with that id."""
        with self._lock:
            return self._rules.pop(rule_id, None) is not None

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        """Every rule with its `matched`/`injected` counters."""
        with self._lock:
            return [rule.model_dump() for rule in self._rules.values()]

    def injected(self, rule_id: int) -> int:
        """How often a rule fired (0 for an unknown id)."""
        with self._lock:
            rule = self._rules.get(rule_id)
            return rule.injected if rule else 0

    def pick(self, method: str, path: str, is_watch: bool) -> KubeFaultRule | None:
        """The first rule that hits this request (every selecting rule counts the request)."""
        now = time.monotonic()
        chosen: KubeFaultRule | None = None
        with self._lock:
            for rule in self._rules.values():
                if not rule.selects(method, path, is_watch):
                    continue
                if chosen is None:
                    chosen = rule if rule.fires(now) else None
                else:
                    rule.matched += 1
            return chosen.model_copy() if chosen else None

    def record(self, entry: ProxiedRequest) -> None:
        """Log one request."""
        with self._lock:
            self._log.append(entry)

    def entries(self) -> list[ProxiedRequest]:
        """Logged requests, oldest first."""
        with self._lock:
            return list(self._log)

    def count(self, method: str | None = None, path: str | None = None, *, writes_only: bool = False) -> int:
        """How many logged requests match (`method` like ``"POST|PUT"``, `path` a regex)."""
        methods = set(method.upper().split("|")) if method else None
        return sum(
            1
            for e in self.entries()
            if (methods is None or e.method in methods)
            and (path is None or re.search(path, e.path))
            and (not writes_only or e.is_write)
        )

    def clear_log(self) -> None:
        """Forget every logged request."""
        with self._lock:
            self._log.clear()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _resource_of(path: str) -> tuple[str, str]:
    """(resource, name) of an API path, for the Status body's `details`."""
    segments = [s for s in path.split("/") if s]
    rest = segments[2:] if segments[:1] == ["api"] else segments[3:]
    if len(rest) >= 2 and rest[0] == "namespaces":
        rest = rest[2:] if len(rest) > 2 else rest
    resource = rest[0] if rest else ""
    name = rest[1] if len(rest) > 1 else ""
    return resource, name


def status_body(status: int, reason: str | None, message: str | None, path: str) -> dict[str, Any]:
    """A ``metav1.Status`` failure as the apiserver writes it."""
    resource, name = _resource_of(path)
    reason = reason or STATUS_REASONS.get(status, "Unknown")
    if message is None:
        if reason == "AlreadyExists":
            message = f'{resource} "{name}" already exists'
        else:
            message = (
                f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; '
                "please apply your changes to the latest version and try again"
            )
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": status,
    }
    if resource:
        body["details"] = {"name": name, "kind": resource}
    if status in (429, 503, 504):
        body.setdefault("details", {})["retryAfterSeconds"] = 1
    return body


class KubeFaultProxy:
    """The proxy: `start()`, point the controller at `kubeconfig`, add faults, `stop()`."""

    def __init__(
        self,
        upstream: str,
        token: str,
        ca_file: Path | str,
        *,
        workdir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self._token = token
        self._ca_file = str(ca_file)
        self.workdir = Path(workdir)
        self.host = host
        self.port = port
        self.faults = KubeFaultBook()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: aiohttp.ClientSession | None = None
        self._streams: set[web.StreamResponse] = set()
        self._generation = 0

    @classmethod
    def for_apiserver(cls, apiserver: Any, workdir: Path) -> KubeFaultProxy:
        """A proxy in front of a ``hack.localenv.kube.LocalKubeApiServer``."""
        return cls(apiserver.server, apiserver.token, apiserver.ca_file, workdir=workdir)

    @property
    def url(self) -> str:
        """Where the proxy listens, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def kubeconfig(self) -> Path:
        """A kubeconfig that sends the controller through the proxy."""
        return self.workdir / "proxy-kubeconfig.yaml"

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> KubeFaultProxy:
        """Serve in a background thread; returns once the port accepts connections."""
        if self._thread is not None:
            raise RuntimeError("kube fault proxy already started")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.port == 0:
            self.port = _free_port(self.host)
        ready = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name=f"kube-fault-proxy-{self.port}", daemon=True
        )
        self._thread.start()
        if not ready.wait(STARTUP_TIMEOUT) or failure:
            raise RuntimeError(f"kube fault proxy did not start on {self.url}") from (
                failure[0] if failure else None
            )
        self._write_kubeconfig()
        return self

    def stop(self) -> None:
        """Stop serving (hung and streaming requests are dropped) and join the thread."""
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(STARTUP_TIMEOUT)
        self._thread = None
        self._loop = None

    def reset(self) -> None:
        """No faults, an empty request log, and the listener open."""
        self.faults.clear()
        self.faults.clear_log()
        self._call(self._open_listener())

    def __enter__(self) -> KubeFaultProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- faults ------------------------------------------------------------------------------------

    def add(self, action: dict[str, Any], method: str | None = None, path: str = ".*", **kwargs: Any) -> int:
        """Shortcut for ``faults.add``."""
        return self.faults.add(action, method, path, **kwargs)

    def unavailable(
        self, seconds: float, mode: Literal["503", "reset", "refuse"] = "503", *, _in_loop: bool = False
    ) -> int | None:
        """Make the API server unreachable for `seconds`; open WATCH streams are cut.

        ``503`` answers every request with ServiceUnavailable, ``reset`` drops every connection,
        ``refuse`` closes the listening socket so that connecting fails. Returns the rule id (None
        for ``refuse``, which reopens the listener by itself).
        """
        rule_id: int | None = None
        if mode == "503":
            rule_id = self.faults.add({"type": "error", "status": 503}, for_seconds=seconds)
        elif mode == "reset":
            rule_id = self.faults.add({"type": "reset"}, for_seconds=seconds)
        if _in_loop:
            # Called from a request handler: the request itself must survive to get its answer.
            return rule_id
        self._call(self._cut_streams())
        self._call(self._drop_idle())
        if mode == "refuse":
            self._call(self._refuse_for(seconds))
        return rule_id

    def cut_watches(self) -> None:
        """End every open WATCH stream now (the apiserver restarting does that)."""
        self._call(self._cut_streams())

    # -- internals ---------------------------------------------------------------------------------

    def _call(self, coro: Any) -> Any:
        if self._loop is None:
            coro.close()
            raise RuntimeError("kube fault proxy is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(STARTUP_TIMEOUT)

    def _write_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "proxy", "cluster": {"server": self.url}}],
            # The proxy authenticates upstream itself; the controller's token never leaves loopback.
            "users": [{"name": "controller", "user": {"token": "through-the-fault-proxy"}}],
            "contexts": [{"name": "proxy", "context": {"cluster": "proxy", "user": "controller"}}],
            "current-context": "proxy",
        }
        self.kubeconfig.write_text(yaml.safe_dump(config, sort_keys=False))

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._setup())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(self._teardown())
        loop.close()

    async def _setup(self) -> None:
        ssl_context = ssl.create_default_context(cafile=self._ca_file)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=ssl_context, limit=0),
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
        )
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await self._open_listener()

    async def _teardown(self) -> None:
        await self._cut_streams()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()
        # Handlers still inside a hang or a latency: end them here rather than leave them to the GC.
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _open_listener(self) -> None:
        if self._site is None and self._runner is not None:
            self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
            await self._site.start()

    async def _drop_idle(self) -> None:
        self._drop_connections()

    async def _refuse_for(self, seconds: float) -> None:
        self._generation += 1
        generation = self._generation
        if self._site is not None:
            site, self._site = self._site, None
            # Only the listening socket closes; finishing requests are not waited for.
            server = getattr(site, "_server", None)
            if server is not None:
                server.close()
        self._drop_connections()

        async def reopen() -> None:
            await asyncio.sleep(seconds)
            if generation == self._generation:
                await self._open_listener()

        asyncio.get_running_loop().create_task(reopen())

    def _drop_connections(self) -> None:
        """Abort every client connection, kept-alive ones included (a dead server keeps none)."""
        server = self._runner.server if self._runner is not None else None
        for handler in list(server.connections if server is not None else ()):
            if handler.transport is not None:
                handler.transport.abort()

    async def _cut_streams(self) -> None:
        for stream in list(self._streams):
            transport = stream._req.transport if stream._req is not None else None
            if transport is not None:
                transport.abort()
        self._streams.clear()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        is_watch = request.query.get("watch", "").lower() in ("true", "1")
        rule = self.faults.pick(request.method, request.path, is_watch)
        action = rule.action if rule else None
        fault = action.type if action else None
        status: int | None = None
        if isinstance(action, OutageAction):
            # The outage rule added here answers this very request too.
            self.unavailable(action.seconds, mode=action.mode, _in_loop=True)
            await self._cut_streams()
            rule = self.faults.pick(request.method, request.path, is_watch)
            action = rule.action if rule else None
        try:
            if isinstance(action, LatencyAction):
                await asyncio.sleep(action.seconds)
            elif isinstance(action, ResetAction | HangAction):
                if isinstance(action, HangAction):
                    await asyncio.sleep(action.seconds)
                if request.transport is not None:
                    request.transport.abort()
                # Nothing reaches the client on an aborted transport; this only ends the handler.
                raise web.HTTPServiceUnavailable()
            elif isinstance(action, ConflictAction):
                status = 409
                return web.json_response(
                    status_body(409, action.reason, action.message, request.path), status=409
                )
            elif isinstance(action, ErrorAction):
                status = action.status
                body = status_body(action.status, action.reason, action.message, request.path)
                headers = {"Retry-After": "1"} if action.status in (429, 503) else None
                return web.json_response(body, status=action.status, headers=headers)
            response = await self._forward(request, is_watch)
            status = response.status
            return response
        finally:
            self.faults.record(
                ProxiedRequest(
                    method=request.method,
                    path=request.path,
                    query=request.query_string,
                    watch=is_watch,
                    status=status,
                    fault=fault,
                    at=time.monotonic(),
                )
            )

    async def _forward(self, request: web.Request, is_watch: bool) -> web.StreamResponse:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        headers["Authorization"] = f"Bearer {self._token}"
        body = await request.read() if request.can_read_body else None
        url = f"{self.upstream}{request.rel_url}"
        try:
            upstream = await self._session.request(request.method, url, headers=headers, data=body)
        except (aiohttp.ClientError, OSError) as exc:
            return web.json_response(
                status_body(503, "ServiceUnavailable", f"upstream unreachable: {exc}", request.path),
                status=503,
            )
        async with upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for key, value in upstream.headers.items():
                if key.lower() not in HOP_HEADERS:
                    response.headers.add(key, value)
            await response.prepare(request)
            if is_watch:
                self._streams.add(response)
            try:
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
            except (aiohttp.ClientError, ConnectionError, asyncio.CancelledError):
                if request.transport is not None:
                    request.transport.abort()
                if not is_watch:
                    raise
            finally:
                self._streams.discard(response)
        return response


@contextlib.contextmanager
def running_proxy(apiserver: Any, workdir: Path) -> Iterator[KubeFaultProxy]:
    """A started proxy in front of `apiserver`, stopped afterwards."""
    proxy = KubeFaultProxy.for_apiserver(apiserver, workdir)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
