"""Async access to ONTAP clusters over the blocking netapp-ontap library.

Every call runs in the cluster's own thread pool; each worker thread owns one `HostConnection`
(a `requests.Session` must not be shared between threads), so at most `max_in_flight` requests are
in flight per cluster. The global `netapp_ontap.config.CONNECTION` is never used: connections are
handed to the call explicitly. The library's own urllib3 retries are switched off so that every
repetition is a visible, logged decision of `run()`.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests
import structlog
from netapp_ontap.host_connection import HostConnection, LoggingAdapter
from pydantic import SecretStr
from tenacity import RetryCallState
from urllib3.util.retry import Retry

from ontap.config import OntapClusterConfig
from ontap.errors import OntapError, classify
from ontap.logins import PLACEHOLDER_USER, LoginConnections
from ontap.metrics import record_request, record_retry
from ontap.retry import NO_RETRY, RetryPolicy, is_retryable, retrying
from ontap.transport import LIMITS_ATTRIBUTE, RequestLimits, limits_of, send_json

__all__ = ["OntapClient", "OntapClients", "RequestLimits", "limits_of", "send_json"]


T = TypeVar("T")

log = structlog.get_logger(__name__)

# Connection attempts never reached ONTAP, so they are safe to repeat for any method.
_TRANSPORT_RETRY = Retry(total=2, connect=2, read=0, redirect=0, status=0, other=0, raise_on_status=False)


class OntapClient:
    """One ONTAP cluster, reached as one account (the configured admin, or an SVM account via `as_user`)."""

    def __init__(
        self,
        config: OntapClusterConfig,
        *,
        retry_policy: RetryPolicy | None = None,
        username: str | None = None,
        password: SecretStr | None = None,
        max_workers: int | None = None,
        slots: asyncio.Semaphore | None = None,
        job_timeout: float | None = None,
        job_poll_interval: float | None = None,
        executor: ThreadPoolExecutor | None = None,
        login_via: tuple[LoginConnections, str] | None = None,
    ) -> None:
        self.config = config
        self.job_timeout = config.job_timeout if job_timeout is None else job_timeout
        # An explicit interval caps the adaptive schedule (tests poll fast jobs every few milliseconds).
        self.job_poll_max = config.job_poll_max if job_poll_interval is None else job_poll_interval
        self.job_poll_initial = min(config.job_poll_initial, self.job_poll_max)
        self.name = config.name
        self.endpoint = config.endpoint
        self.retry_policy = retry_policy or RetryPolicy()
        if username is None or password is None:
            username, password = config.credentials()
        self.username = username
        self._password = password
        workers = max_workers or config.max_in_flight
        self._owns_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=f"ontap-{config.name}"
        )
        # An SVM account's client: its calls use the cluster's kept connections to that LIF address.
        self._login_via = login_via
        self._logins: LoginConnections | None = None
        # Queued coroutines wait here instead of piling up in the executor's queue.
        self._slots = slots or asyncio.Semaphore(config.max_in_flight)
        self._local = threading.local()
        self._connections: list[HostConnection] = []
        self._connections_lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"OntapClient(cluster={self.name!r}, endpoint={self.config.endpoint!r}, user={self.username!r})"
        )

    async def run(
        self,
        fn: Callable[[HostConnection], T],
        *,
        operation: str,
        target: str,
        mutating: bool,
        idempotent: bool = False,
    ) -> T:
        """Run `fn(connection)` in the cluster's pool; raise a classified `OntapError` on failure.

        `fn` must finish its I/O before returning (materialise collections with `list(...)`).
        Reads are retried on transient/busy errors; writes only when `idempotent` (repeating them
        cannot create a second object); a failed create is re-observed by the caller instead.
        """
        if self._closed:
            raise OntapError(
                "client is closed",
                cluster=self.name,
                endpoint=self.endpoint,
                operation=operation,
                target=target,
            )
        policy = self.retry_policy if (not mutating or idempotent) else NO_RETRY
        method = operation.split(" ", 1)[0]
        # The first attempt runs on its own: most calls succeed, and a retry controller per call costs
        # more than the read itself. A retryable failure hands over to tenacity as its first attempt.
        try:
            return await self._attempt(fn, operation, target, method)
        except OntapError as error:
            if policy.attempts == 1 or not is_retryable(error):
                raise
            first_failure: OntapError | None = error
        controller = retrying(policy, on_retry=self._retry_logger(operation, target, method))

        async def attempt() -> T:
            nonlocal first_failure
            if first_failure is not None:
                failure, first_failure = first_failure, None
                raise failure
            return await self._attempt(fn, operation, target, method)

        result: T = await controller(attempt)
        return result

    def as_user(self, username: str, password: SecretStr, *, address: str) -> OntapClient:
        """A client of the same cluster that authenticates as `username` at the SVM management LIF
        `address` (an SVM-scoped account logs in only there; see `OntapClusterConfig.at_svm_lif` for
        its TLS).

        It has no threads or connections of its own: its calls run in this cluster's pool, within its
        in-flight bound, on the cluster's kept connections to `address` (`ontap.logins`), so a login
        per pass costs no new TCP connection or TLS handshake.
        """
        if self._login_via is not None:
            raise ValueError("as_user is a call of the cluster's admin client")
        if self._logins is None:
            self._logins = LoginConnections(
                self._login_connection, max_idle=self.config.max_login_connections
            )
        return OntapClient(
            self.config.at_svm_lif(address),
            retry_policy=self.retry_policy,
            username=username,
            password=password,
            slots=self._slots,
            job_timeout=self.job_timeout,
            job_poll_interval=self.job_poll_max,
            executor=self._executor,
            login_via=(self._logins, address),
        )

    def forget_login_address(self, address: str) -> None:
        """Close the kept connections to an SVM management LIF that is gone."""
        if self._logins is not None:
            self._logins.forget(address)

    def _login_connection(self, address: str) -> HostConnection:
        # The account's credentials are set per call by `LoginConnections.call`.
        return open_connection(self.config.at_svm_lif(address), PLACEHOLDER_USER, "")

    async def close(self) -> None:
        """Stop the worker threads and close the HTTP sessions (also the kept SVM LIF connections)."""
        self._shutdown()

    def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._logins is not None:
            self._logins.close()
        if self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            session = getattr(connection, "_request_session", None)
            if session is not None:
                session.close()

    async def _attempt(
        self, fn: Callable[[HostConnection], T], operation: str, target: str, method: str
    ) -> T:
        async with self._slots:
            loop = asyncio.get_running_loop()
            started = time.monotonic()
            try:
                result = await loop.run_in_executor(self._executor, self._call, fn)
            except Exception as exc:
                error = classify(
                    exc,
                    cluster=self.name,
                    endpoint=self.endpoint,
                    operation=operation,
                    target=target,
                )
                record_request(self.name, method, error.kind, time.monotonic() - started)
                if error is exc:
                    raise
                raise error from exc
            record_request(self.name, method, "ok", time.monotonic() - started)
            return result

    def _call(self, fn: Callable[[HostConnection], T]) -> T:
        if self._login_via is not None:
            logins, address = self._login_via
            return logins.call(address, self.username, self._password.get_secret_value(), fn)
        return fn(self._connection())

    def _connection(self) -> HostConnection:
        connection: HostConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._new_connection()
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    def _new_connection(self) -> HostConnection:
        return open_connection(self.config, self.username, self._password.get_secret_value())

    def _retry_logger(self, operation: str, target: str, method: str) -> Callable[[RetryCallState], None]:
        def log_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            kind = error.kind if isinstance(error, OntapError) else type(error).__name__
            record_retry(self.name, method, kind)
            log.warning(
                "ontap call failed, retrying",
                cluster=self.name,
                operation=operation,
                target=target,
                error_kind=kind,
                error=str(error),
                attempt=state.attempt_number,
                next_delay=round(state.upcoming_sleep, 3),
            )

        return log_retry


def open_connection(config: OntapClusterConfig, username: str, password: str) -> HostConnection:
    """A library connection with the cluster's timeouts, TLS trust and request bounds."""
    connection = HostConnection(
        config.host,
        username=username,
        password=password,
        verify=config.verify,  # type: ignore[arg-type]  # requests also takes a CA bundle path
        port=config.port,
        scheme=config.scheme,
        protocol_timeouts=(config.connect_timeout, config.read_timeout),
    )
    session = connection.session
    session.mount(
        connection.origin,
        LoggingAdapter(connection, max_retries=_TRANSPORT_RETRY, timeout=connection.protocol_timeouts),
    )
    # The environment is read once, here, not on every request: a proxy named by HTTPS_PROXY/NO_PROXY
    # for this address is kept; REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE and ~/.netrc never apply (the
    # configured CA bundle and the cluster's credentials do).
    session.proxies = requests.utils.get_environ_proxies(connection.origin)
    session.trust_env = False
    if config.verify is True:
        # Without a bundle of its own the cluster is verified as requests would from the environment.
        environment_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if environment_bundle:
            connection.verify = environment_bundle  # type: ignore[assignment]  # requests takes a path too
    if isinstance(config.verify, str):
        _pin_ca_bundle(session, config.verify)
    setattr(connection, LIMITS_ATTRIBUTE, RequestLimits.of(config))
    return connection


def _pin_ca_bundle(session: requests.Session, bundle: str) -> None:
    """Make the configured CA bundle win over `REQUESTS_CA_BUNDLE`/`CURL_CA_BUNDLE` from the environment."""
    merge = session.merge_environment_settings

    def merge_keeping_bundle(
        url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        settings = merge(url, proxies, stream, verify, cert)
        settings["verify"] = bundle
        return settings

    session.merge_environment_settings = merge_keeping_bundle  # type: ignore[method-assign]


class OntapClients(Mapping[str, OntapClient]):
    """The configured clusters by name."""

    def __init__(self, clients: Iterable[OntapClient]) -> None:
        self._clients: dict[str, OntapClient] = {}
        for client in clients:
            if client.name in self._clients:
                raise ValueError(f"ONTAP cluster {client.name!r} is configured twice")
            self._clients[client.name] = client

    @classmethod
    def from_configs(
        cls, configs: Iterable[OntapClusterConfig], *, retry_policy: RetryPolicy | None = None
    ) -> OntapClients:
        """One client per cluster config."""
        return cls(OntapClient(config, retry_policy=retry_policy) for config in configs)

    def __getitem__(self, name: str) -> OntapClient:
        try:
            return self._clients[name]
        except KeyError:
            raise KeyError(
                f"ONTAP cluster {name!r} is not configured (known: {sorted(self._clients)})"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._clients)

    def __len__(self) -> int:
        return len(self._clients)

    async def close(self) -> None:
        """Close every client."""
        for client in self._clients.values():
            await client.close()
