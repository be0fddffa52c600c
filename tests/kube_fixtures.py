"""Pytest plugin: a real kube-apiserver for the session and an isolated namespace per test.

``kube_apiserver`` (session) starts one :class:`LocalKubeApiServer` with Gardener's CRDs installed.
``kube`` (function) gives each test a fresh ``shoot--t<random>--s1`` namespace, the kubeconfig and
a ready kubernetes_asyncio ``ApiClient``; the namespace and what the test left in it are removed
afterwards. Tests using either fixture are marked ``integration`` automatically.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kubernetes_asyncio import client, config

from hack.localenv.kube import LocalKubeApiServer

KUBE_FIXTURES = frozenset({"kube_apiserver", "kube"})


@dataclass(frozen=True)
class KubeTestEnv:
    """What a test gets from the ``kube`` fixture."""

    apiserver: LocalKubeApiServer
    kubeconfig: Path
    namespace: str
    api_client: client.ApiClient

    @property
    def project(self) -> str:
        """The Gardener project encoded in the namespace name (``shoot--<project>--<shoot>``)."""
        return self.namespace.split("--")[1]

    @property
    def shoot_name(self) -> str:
        """The shoot encoded in the namespace name."""
        return self.namespace.split("--")[2]


def unique_seed_namespace() -> str:
    """A fresh name in Gardener's seed-namespace form, e.g. ``shoot--t3f9a1c--s1``."""
    return f"shoot--t{secrets.token_hex(3)}--s1"


async def new_api_client(kubeconfig: Path) -> client.ApiClient:
    """A kubernetes_asyncio client configured from ``kubeconfig`` (caller closes it)."""
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    return client.ApiClient(configuration=configuration)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses the kube fixtures (directly or through others) as ``integration``."""
    for item in items:
        if KUBE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kube_apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKubeApiServer]:
    """One etcd + kube-apiserver for the whole session, with hack/crds/*.yaml established."""
    server = LocalKubeApiServer(tmp_path_factory.mktemp("kube"))
    server.start()
    try:
        server.install_crds()
        yield server
    finally:
        server.stop(remove_workdir=False)


@pytest.fixture
async def kube(kube_apiserver: LocalKubeApiServer) -> AsyncIterator[KubeTestEnv]:
    """A fresh seed namespace and an ApiClient for one test; both cleaned up afterwards."""
    namespace = unique_seed_namespace()
    await asyncio.to_thread(kube_apiserver.create_namespace, namespace)
    api_client = await new_api_client(kube_apiserver.kubeconfig)
    try:
        yield KubeTestEnv(
            apiserver=kube_apiserver,
            kubeconfig=kube_apiserver.kubeconfig,
            namespace=namespace,
            api_client=api_client,
        )
    finally:
        await api_client.close()
        await asyncio.to_thread(kube_apiserver.purge_namespace, namespace)
