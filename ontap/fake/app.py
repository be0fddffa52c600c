"""The aiohttp application: routes, and the one middleware that authenticates, injects faults,
logs each request and turns `FakeApiError` into ONTAP's error envelope."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from ontap.fake import errors, hostile
from ontap.fake.auth import authenticate, claimed_user, may_call
from ontap.fake.errors import FakeApiError
from ontap.fake.faults import (
    ApplyThenFailAction,
    ApplyThenResetAction,
    ErrorAction,
    ForbiddenAction,
    HangAction,
    HtmlAction,
    HugeBodyAction,
    JobFailureAction,
    LatencyAction,
    LockedAction,
    ResetAction,
    TrickleAction,
    TruncatedJsonAction,
)
from ontap.fake.handlers import accounts, bgp, cluster, control, interfaces, nvme, svms, volumes
from ontap.fake.handlers.common import FAKE_KEY, FAULT_KEY, JOB_FAILURE_KEY, PRINCIPAL_KEY
from ontap.fake.index import index_of
from ontap.fake.listeners import LISTENERS_KEY
from ontap.fake.simulator import FakeOntap

log = structlog.get_logger("ontap.fake")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SHUTDOWN_KEY = web.AppKey("fake_ontap_shutdown", asyncio.Event)
CONTROL_PREFIX = "/_fake/"
# Operations that run as ONTAP jobs; an injected job failure elsewhere is answered as an error.
JOB_ROUTES = frozenset(
    {("POST", "/api/svm/svms"), ("PATCH", "/api/svm/svms/{uuid}"), ("DELETE", "/api/svm/svms/{uuid}")}
)
UNAUTHORIZED_BODY = (
    "<html><head><title>401 Authorization Required</title></head>"
    "<body><h1>Authorization Required</h1>"
    "<p>This server could not verify that you are authorized to access the document requested.</p>"
    "</body></html>"
)


class ConnectionDropped(Exception):
    """The fault asked for no answer at all: the connection was closed."""


def error_response(error: FakeApiError) -> web.Response:
    """ONTAP's error envelope."""
    return web.json_response(error.body(), status=error.status)


def unauthorized() -> web.Response:
    """ONTAP's 401: not JSON, with a Basic challenge."""
    return web.Response(
        status=401,
        text=UNAUTHORIZED_BODY,
        content_type="text/html",
        headers={"WWW-Authenticate": 'Basic realm="ONTAP"'},
    )


def _template(request: web.Request) -> str:
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else request.path
    return canonical.rstrip("/") or "/"


async def _sync_lifs(request: web.Request, fake: FakeOntap) -> None:
    """A management LIF may have come or gone with this request: serve exactly the current ones."""
    listeners = request.app.get(LISTENERS_KEY)
    if listeners is not None:

        def current() -> frozenset[str]:
            with fake.lock:
                return index_of(fake.state).management_addresses

        await listeners.sync_current(current)


def _local_address(request: web.Request) -> str | None:
    """The address the request arrived at (the cluster address or a management LIF)."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    return str(sockname[0]) if sockname else None


def _drop_connection(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise ConnectionDropped


async def _with_fault(
    request: web.Request, handler: Handler, fake: FakeOntap, template: str
) -> web.StreamResponse:
    with fake.lock:
        rule = fake.faults.pick(request.method, request.path)
    if rule is None:
        return await handler(request)
    action = rule.action
    request[FAULT_KEY] = action.type
    log.info("fault injected", rule=rule.id, action=action.type, method=request.method, path=request.path)
    if isinstance(action, ErrorAction | LockedAction):
        return error_response(FakeApiError(action.status, action.code, action.message))
    if isinstance(action, ForbiddenAction):
        return error_response(errors.forbidden())
    if isinstance(action, LatencyAction):
        await asyncio.sleep(action.seconds)
        return await handler(request)
    if isinstance(action, ResetAction):
        _drop_connection(request)
    if isinstance(action, HangAction):
        shutdown = request.app[SHUTDOWN_KEY]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(shutdown.wait(), timeout=action.seconds)
        _drop_connection(request)
    if isinstance(action, JobFailureAction):
        if (request.method, template) not in JOB_ROUTES:
            return error_response(FakeApiError(500, action.code, action.message))
        request[JOB_FAILURE_KEY] = action
        return await handler(request)
    if isinstance(action, HtmlAction):
        return hostile.html(action)
    if isinstance(action, HugeBodyAction):
        return await hostile.huge(request, action)
    response = await handler(request)
    if hostile.is_rewriting(action):
        return hostile.rewritten(response, action)
    if isinstance(action, TruncatedJsonAction):
        return hostile.truncated(response)
    if isinstance(action, TrickleAction):
        return await hostile.trickle(request, response, action, request.app[SHUTDOWN_KEY])
    if isinstance(action, ApplyThenFailAction):
        return error_response(FakeApiError(action.status, action.code, action.message))
    if isinstance(action, ApplyThenResetAction):
        _drop_connection(request)
    return response


async def _serve_api(
    request: web.Request, handler: Handler, fake: FakeOntap, template: str
) -> web.StreamResponse:
    routing_error = request.match_info.http_exception
    if routing_error is not None:
        raise FakeApiError(routing_error.status, "3", f'API not found: "{request.method} {request.path}".')
    with fake.lock:
        principal = authenticate(fake.state, request.headers.get("Authorization"), _local_address(request))
    if principal is None:
        return unauthorized()
    request[PRINCIPAL_KEY] = principal
    if not may_call(principal, request.method, template, dict(request.match_info)):
        raise errors.forbidden()
    fake.advance_jobs()
    return await _with_fault(request, handler, fake, template)


@web.middleware
async def ontap_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Serve one request the way ONTAP would, honoring injected faults, and log it."""
    fake = request.app[FAKE_KEY]
    if request.path.startswith(CONTROL_PREFIX):
        try:
            return await handler(request)
        except FakeApiError as exc:
            return error_response(exc)
        finally:
            await _sync_lifs(request, fake)
    template = _template(request)
    status: int | None = None
    principal_name = claimed_user(request.headers.get("Authorization"))
    with fake.lock:
        fake.in_flight += 1
        fake.peak_in_flight = max(fake.peak_in_flight, fake.in_flight)
    try:
        try:
            response = await _serve_api(request, handler, fake, template)
        except FakeApiError as exc:
            response = error_response(exc)
        status = response.status
        await _sync_lifs(request, fake)
        return response
    except ConnectionDropped:
        # aiohttp answers nothing on an aborted transport
        raise web.HTTPServiceUnavailable() from None
    finally:
        with fake.lock:
            fake.in_flight -= 1
            fake.requests.record(
                request.method,
                request.path,
                template,
                dict(request.query.items()),
                status,
                principal_name,
                request.get(FAULT_KEY),
            )


def _api_routes() -> list[tuple[str, str, Handler]]:
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/api/cluster", cluster.get_cluster),
        ("GET", "/api/cluster/jobs/{uuid}", cluster.get_job),
        ("GET", "/api/network/ip/interfaces/{uuid}", interfaces.get_interface),
        ("PATCH", "/api/network/ip/interfaces/{uuid}", interfaces.patch_interface),
        ("DELETE", "/api/network/ip/interfaces/{uuid}", interfaces.delete_interface),
        ("GET", "/api/cluster/nodes/{uuid}", cluster.get_node),
        ("GET", "/api/storage/aggregates/{uuid}", cluster.get_aggregate),
        ("GET", "/api/svm/svms/{uuid}", svms.get_svm),
        ("PATCH", "/api/svm/svms/{uuid}", svms.patch_svm),
        ("DELETE", "/api/svm/svms/{uuid}", svms.delete_svm),
        ("GET", "/api/network/ip/bgp/peer-groups/{uuid}", bgp.get_peer_group),
        ("PATCH", "/api/network/ip/bgp/peer-groups/{uuid}", bgp.patch_peer_group),
        ("DELETE", "/api/network/ip/bgp/peer-groups/{uuid}", bgp.delete_peer_group),
        ("GET", "/api/security/accounts/{owner_uuid}/{name}", accounts.get_account),
        ("PATCH", "/api/security/accounts/{owner_uuid}/{name}", accounts.patch_account),
        ("DELETE", "/api/security/accounts/{owner_uuid}/{name}", accounts.delete_account),
        ("GET", "/api/storage/volumes/{uuid}", volumes.get_volume),
        ("GET", "/api/protocols/nvme/services/{svm_uuid}", nvme.get_service),
        ("PATCH", "/api/protocols/nvme/services/{svm_uuid}", nvme.patch_service),
        ("DELETE", "/api/protocols/nvme/services/{svm_uuid}", nvme.delete_service),
        ("GET", "/api/protocols/nvme/subsystems/{uuid}", nvme.get_subsystem),
    ]
    collections: list[tuple[str, str, Handler]] = [
        ("GET", "/api/cluster/nodes", cluster.list_nodes),
        ("GET", "/api/cluster/jobs", cluster.list_jobs),
        ("GET", "/api/storage/aggregates", cluster.list_aggregates),
        ("GET", "/api/svm/svms", svms.list_svms),
        ("POST", "/api/svm/svms", svms.create_svm),
        ("GET", "/api/network/ip/interfaces", interfaces.list_interfaces),
        ("POST", "/api/network/ip/interfaces", interfaces.create_interface),
        ("GET", "/api/network/ip/bgp/peer-groups", bgp.list_peer_groups),
        ("POST", "/api/network/ip/bgp/peer-groups", bgp.create_peer_group),
        ("GET", "/api/security/accounts", accounts.list_accounts),
        ("POST", "/api/security/accounts", accounts.create_account),
        ("GET", "/api/storage/volumes", volumes.list_volumes),
        ("GET", "/api/protocols/nvme/services", nvme.list_services),
        ("POST", "/api/protocols/nvme/services", nvme.create_service),
        ("GET", "/api/protocols/nvme/subsystems", nvme.list_subsystems),
    ]
    for method, path, handler in collections:
        routes.append((method, path, handler))
        routes.append((method, path + "/", handler))
    return routes


CONTROL_ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/_fake/faults", control.add_fault),
    ("GET", "/_fake/faults", control.list_faults),
    ("DELETE", "/_fake/faults", control.clear_faults),
    ("DELETE", "/_fake/faults/{id}", control.delete_fault),
    ("GET", "/_fake/state", control.get_state),
    ("GET", "/_fake/requests", control.get_requests),
    ("DELETE", "/_fake/requests", control.clear_requests),
    ("POST", "/_fake/reset", control.reset),
    ("POST", "/_fake/volumes", control.add_volume),
    ("POST", "/_fake/nvme-subsystems", control.add_nvme_subsystem),
    ("PUT", "/_fake/job-timing", control.set_job_timing),
]


async def _on_startup(app: web.Application) -> None:
    app[SHUTDOWN_KEY] = asyncio.Event()


async def _on_shutdown(app: web.Application) -> None:
    app[SHUTDOWN_KEY].set()


def build_app(fake: FakeOntap) -> web.Application:
    """The fake ONTAP REST API (plus `/_fake/` control API) serving `fake`."""
    app = web.Application(middlewares=[ontap_middleware])
    app[FAKE_KEY] = fake
    for method, path, handler in [*_api_routes(), *CONTROL_ROUTES]:
        app.router.add_route(method, path, handler)
    app.on_startup.append(_on_startup)
    app.on_shutdown.append(_on_shutdown)
    return app
