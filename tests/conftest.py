"""Shared pytest configuration: the fake ONTAP, local kube-apiserver and shoot-side (GRM) fixtures."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

pytest_plugins = ["tests.fake_ontap_fixtures", "tests.kube_fixtures", "tests.shoot_env_fixtures"]


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A test that runs a console entry point in-process (which configures logging for the whole
    process) leaves the logging of later tests as it found it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    config = structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)
