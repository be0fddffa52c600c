"""Keep-alive connections to the SVMs' management LIFs, shared by every SVM account of a cluster.

Each pass logs in once as its shoot's SVM account at the SVM's management LIF (the password check).
A new connection per login would cost a TCP connect and a TLS handshake every pass; instead the idle
connections are kept per LIF address and handed to whichever worker thread needs one, and the
account's credentials are set on the connection only for the duration of one call. Cookies are never
kept (one account must not carry another's session). The pool is bounded (`max_idle` connections in
all, the least recently used address is closed first), and an address's connections are closed when
its LIF is deleted (`forget`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from http.cookiejar import DefaultCookiePolicy
from typing import TypeVar

from netapp_ontap.host_connection import HostConnection

T = TypeVar("T")

# A connection is made for one address by this factory: the cluster's settings at that LIF.
ConnectionFactory = Callable[[str], HostConnection]
_NO_COOKIES = DefaultCookiePolicy(allowed_domains=[])
# The user a kept connection is made with; every call sets the real account for its duration.
PLACEHOLDER_USER = "svm-account"


class LoginConnections:
    """Idle keep-alive connections per SVM management LIF address, at most `max_idle` in all."""

    def __init__(self, factory: ConnectionFactory, max_idle: int = 64) -> None:
        self._factory = factory
        self._max_idle = max_idle
        self._idle: OrderedDict[str, list[HostConnection]] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = False
        self.created = 0

    def call(self, address: str, username: str, password: str, fn: Callable[[HostConnection], T]) -> T:
        """Run `fn` on a connection to `address` authenticating as `username` (blocking; in a worker)."""
        connection = self._take(address)
        # The library applies the connection's credentials to its session on every request.
        connection.username, connection.password = username, password
        try:
            return fn(connection)
        finally:
            connection.username, connection.password = PLACEHOLDER_USER, ""
            session = connection.session
            session.auth = None
            session.cookies.clear()
            self._give_back(address, connection)

    def forget(self, address: str) -> None:
        """Close the idle connections to `address` (its LIF is gone)."""
        with self._lock:
            connections = self._idle.pop(address, [])
        for connection in connections:
            _close(connection)

    def close(self) -> None:
        """Close every idle connection; later calls still work but keep nothing."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, OrderedDict()
        for connections in idle.values():
            for connection in connections:
                _close(connection)

    @property
    def idle(self) -> int:
        """Idle connections kept now."""
        with self._lock:
            return sum(len(c) for c in self._idle.values())

    def _take(self, address: str) -> HostConnection:
        with self._lock:
            kept = self._idle.get(address)
            if kept:
                connection = kept.pop()
                if not kept:
                    del self._idle[address]
                return connection
        connection = self._factory(address)
        connection.session.cookies.set_policy(_NO_COOKIES)
        self.created += 1
        return connection

    def _give_back(self, address: str, connection: HostConnection) -> None:
        evicted: list[HostConnection] = []
        with self._lock:
            if self._closed:
                evicted.append(connection)
            else:
                self._idle.setdefault(address, []).append(connection)
                self._idle.move_to_end(address)
                total = sum(len(c) for c in self._idle.values())
                while total > self._max_idle:
                    oldest, connections = next(iter(self._idle.items()))
                    evicted.append(connections.pop(0))
                    total -= 1
                    if not connections:
                        del self._idle[oldest]
        for old in evicted:
            _close(old)


def _close(connection: HostConnection) -> None:
    session = getattr(connection, "_request_session", None)
    if session is not None:
        session.close()
