"""Prometheus' `promtool` for checking and unit-testing the chart's alert rules.

Built once per machine from its Go module (`github.com/prometheus/prometheus/cmd/promtool` at
`PROMETHEUS_VERSION` of hack/versions.env) by hack/build-go-tool.sh and cached outside the repository.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "hack" / "build-go-tool.sh"


class PromtoolError(RuntimeError):
    """promtool could not be built or found."""


def find_promtool() -> Path:
    """The promtool binary (`PROMTOOL` overrides the lookup); built on first use."""
    override = os.environ.get("PROMTOOL")
    if override:
        return Path(override)
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT), "promtool"], stdout=subprocess.PIPE, stderr=None, text=True, check=False
    )
    if result.returncode != 0:
        raise PromtoolError(f"{BUILD_SCRIPT} promtool failed with exit code {result.returncode}")
    return Path(result.stdout.strip().splitlines()[-1])
