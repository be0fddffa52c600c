# Set-up: `make run` (local apiserver + fake ONTAP + controller + a sample shoot) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv test unit integration chaos lint typecheck run fake kube-binaries kube-up kube-down bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

kube-binaries:
	bash hack/build-kube-binaries.sh >/dev/null
	bash hack/build-kube-binaries.sh helm >/dev/null

test: venv kube-binaries lint typecheck
	$(PY) -m pytest -q

unit: venv
	$(PY) -m pytest -q -m 'not integration and not chaos'

integration: venv kube-binaries
	$(PY) -m pytest -q -m integration

chaos: venv kube-binaries
	$(PY) -m pytest -q -m chaos -p no:randomly

lint: venv
	$(VENV)/bin/ruff check controller ontap tests hack
	$(VENV)/bin/ruff format --check controller ontap tests hack

typecheck: venv
	$(VENV)/bin/mypy

run: venv kube-binaries
	$(PY) hack/run_local.py

bench: venv kube-binaries
	$(PY) hack/bench.py

kube-up: venv kube-binaries
	$(PY) -m hack.localenv.kube up

kube-down: venv
	$(PY) -m hack.localenv.kube down

fake: venv
	$(VENV)/bin/ontap-fake --http --port 8443

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
