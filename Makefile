# Optout: `make run` serves a demo on http://127.0.0.1:8000, `make test` runs the suite.
# Needs only python3 (3.11) and make: uv is bootstrapped into .tools/, the app into .venv/.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers for make test (PYTEST_WORKERS=0 runs in one process).
PYTEST_WORKERS ?= 2
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Links printed by the demo and shown in admin point at the server make run starts.
RUN_ENV := DJANGO_DEBUG=true OPTOUT_PUBLIC_URL=http://$(HOST):$(PORT)
# Catalogs are compiled when there are any: a clone without locale/ still runs and tests.
COMPILEMESSAGES := if [ -d locale ]; then DJANGO_DEBUG=true $(PY) manage.py compilemessages \
	--ignore=.venv --ignore=.tools -v 0; fi

.PHONY: run test lint format bench messages clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python $(PYTHON) --quiet
	touch $@

run: $(VENV)/.synced
	$(COMPILEMESSAGES)
	$(RUN_ENV) $(PY) manage.py demo --migrate
	@echo ""
	@echo "Optout is starting on http://$(HOST):$(PORT)/"
	@echo "  admin (marketers):  http://$(HOST):$(PORT)/admin/"
	@echo "  portal (mailers):   http://$(HOST):$(PORT)/portal/"
	@echo "  API docs:           http://$(HOST):$(PORT)/api/docs/"
	$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.synced
	$(COMPILEMESSAGES)
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=true $(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	DJANGO_DEBUG=true $(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.synced
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: $(VENV)/.synced
	DJANGO_DEBUG=true $(PY) manage.py makemessages -l fr -l de -l es --ignore=.venv --ignore=.tools --ignore=tests
	DJANGO_DEBUG=true $(PY) manage.py compilemessages --ignore=.venv --ignore=.tools

bench: $(VENV)/.synced
	bash bench/run.sh

clean:
	rm -rf $(VENV) .tools staticfiles optout.sqlite3*
