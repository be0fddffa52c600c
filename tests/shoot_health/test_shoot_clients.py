"""The shoot clients: one per shoot while its endpoint stays the same, at most `max_clients`, LRU closed."""

from __future__ import annotations

import certifi
import pytest

from controller.shoot_access.client import ShootClients, ShootReadError
from controller.shoot_access.kubeconfig import ShootEndpoint

CA = certifi.contents()


def endpoint(token: str, server: str = "https://127.0.0.1:1") -> ShootEndpoint:
    return ShootEndpoint(server=server, ca_pem=CA, token=token)


async def test_same_endpoint_same_client_changed_token_new_client() -> None:
    clients = ShootClients(max_clients=4, timeout=1.0)
    try:
        first = await clients.client_for("ns-a", endpoint("one"))
        assert await clients.client_for("ns-a", endpoint("one")) is first
        renewed = await clients.client_for("ns-a", endpoint("two"))
        assert renewed is not first
        assert first._session.closed
        assert len(clients) == 1
    finally:
        await clients.close()


async def test_bounded_least_recently_used_is_closed() -> None:
    clients = ShootClients(max_clients=2, timeout=1.0)
    try:
        a = await clients.client_for("ns-a", endpoint("t"))
        b = await clients.client_for("ns-b", endpoint("t"))
        assert await clients.client_for("ns-a", endpoint("t")) is a  # a is now the most recently used
        await clients.client_for("ns-c", endpoint("t"))
        assert len(clients) == 2
        assert b._session.closed and not a._session.closed
    finally:
        await clients.close()
    assert a._session.closed


async def test_unreachable_shoot_is_a_shoot_read_error_naming_the_apiserver() -> None:
    clients = ShootClients(max_clients=1, timeout=1.0)
    try:
        shoot_client = await clients.client_for("ns-a", endpoint("secret-token"))
        with pytest.raises(ShootReadError) as caught:
            await shoot_client.get("/apis/trident.netapp.io/v1/namespaces/trident/tridentbackendconfigs/x")
        assert str(caught.value).startswith("GET https://127.0.0.1:1/apis/trident.netapp.io/")
        assert "secret-token" not in str(caught.value)
        assert caught.value.status is None
    finally:
        await clients.close()
