"""Shared pytest configuration: the fake ONTAP and local kube-apiserver fixtures."""

pytest_plugins = ["tests.fake_ontap_fixtures", "tests.kube_fixtures"]
