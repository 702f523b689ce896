# Two set-up commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
SNAPSHOT ?=
SHARED_DATA ?= ../shared/data

.PHONY: install run test lint format eval bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Installs, migrates, loads data (SNAPSHOT=PATH, or a sync from the live registry), then
# serves http://$(HOST):$(PORT) with a Celery worker and beat on the embedded broker.
run: $(STAMP)
	PY=$(PY) HOST=$(HOST) PORT=$(PORT) SNAPSHOT="$(SNAPSHOT)" scripts/run.sh

# The whole suite. CI runs it twice: on SQLite, then with DATABASE_URL on PostgreSQL.
test: $(STAMP)
	scripts/ensure-test-tools.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

eval: $(STAMP)
	$(PY) bench/eval_criteria.py --data $(SHARED_DATA)

bench: $(STAMP)
	scripts/ensure-test-tools.sh
	$(PY) bench/run.py --data $(SHARED_DATA)

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles test-artifacts
