# Two commands for a new user: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint messages clean

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

messages: $(VENV)/.installed
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv -v0; fi

## make run: install, migrate, load the demo study, start the web server and a Celery worker with its daily schedule (beat).
run: $(VENV)/.installed messages
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	@echo ""
	@echo "  Open http://127.0.0.1:$(PORT)/ and log in with one of the demo users above."
	@echo "  Ctrl-C stops the web server and the worker."
	@echo ""
	@$(PY) manage.py serve --port $(PORT)

## make test: install the dev requirements and run the whole suite.
test: $(VENV)/.installed-dev messages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -n 2 --dist loadgroup

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf var/broker var/test-media
