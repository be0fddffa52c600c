#!/usr/bin/env bash
# Stops what hack/kube-up.sh started and removes .local/kube/ (add --keep-logs to keep the logs).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$repo/.venv/bin/python}
[[ -x "$python" ]] || python=python3
cd "$repo" && exec "$python" -m hack.localenv.kube down "$@"
