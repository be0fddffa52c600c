"""The chart's monitoring objects as `helm template` renders them (shared by the monitoring tests)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from hack.localenv.kube import REPO_ROOT, find_helm

CHART = REPO_ROOT / "charts" / "gardener-extension-ontap"
RELEASE_NAMESPACE = "extension-ontap-x1"
VALUES = {"ontap": {"clusters": [{"name": "a", "endpoint": "https://a.example", "credentialsSecret": "s"}]}}
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}|\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")
PROMQL_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan"})


def render(tmp_path: Path, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every object of the chart rendered with `values` (default: one ONTAP cluster)."""
    values_file = tmp_path / "values.yaml"
    values_file.write_text(yaml.safe_dump(values or VALUES))
    rendered = subprocess.run(
        [str(find_helm()), "template", "ext", str(CHART), "-n", RELEASE_NAMESPACE, "-f", str(values_file)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


def prometheus_rule(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The rendered PrometheusRule."""
    return next(d for d in docs if d["kind"] == "PrometheusRule")


def dashboard(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The dashboard JSON from the rendered dashboard ConfigMap."""
    config_map = next(
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-dashboards")
    )
    return dict(json.loads(config_map["data"]["gardener-extension-ontap.json"]))


def expressions(docs: list[dict[str, Any]]) -> list[str]:
    """Every PromQL expression of the dashboard's panels and of the alert rules."""
    exprs = [target["expr"] for panel in dashboard(docs)["panels"] for target in panel.get("targets", [])]
    exprs += [rule["expr"] for group in prometheus_rule(docs)["spec"]["groups"] for rule in group["rules"]]
    return exprs


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (functions, label names and keywords left out)."""
    bare = _GROUPING.sub(" ", _MATCHERS.sub(" ", _STRINGS.sub(" ", expr)))
    return {
        name
        for name in _IDENTIFIER.findall(bare)
        if name.lower() not in PROMQL_KEYWORDS and not name[0].isdigit()
    }
