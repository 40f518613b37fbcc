# Two commands do all the set-up on a fresh Debian 12 / Ubuntu machine with Python 3.11:
#   make demo   simulated lab + agent + dashboard on SQLite (http://127.0.0.1:8080)
#   make test   the whole suite (installs the Debian packages it needs when run as root)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-fast lint bench system-packages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

venv: $(STAMP)

# Debian packages for the real peers the tests use (Net-SNMP, Chromium, ...); needs root.
system-packages:
	bash scripts/install-system-packages.sh

demo: venv
	$(BIN)/ossagent demo

test: venv system-packages
	$(BIN)/python -m pytest -q
	@# The netns suite (real daemons in namespaces) a second time in a row: it must pass again
	@# and leave no namespace, veth, user or daemon behind.
	$(BIN)/python -m pytest -q -p no:cacheprovider -m netns
	$(BIN)/python -m lab.netns check

test-fast: venv
	$(BIN)/python -m pytest -q -m 'not slow'

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy agent collectors provisioners inventory bss_bridge web lab

bench: venv system-packages
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var build *.egg-info
