# Hợp Tác — the two commands: `make run` and `make test`. Needs Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HOPTAC_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint demo messages clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/hoptac run --demo

demo: $(VENV)/.installed
	$(BIN)/hoptac demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check hoptac tests
	$(BIN)/lint-imports

# Two workers by default (one per core of a small machine); `make test PYTEST_WORKERS=0` runs
# in one process. Each worker has its own test database (pytest-django adds _gw0, _gw1…).
PYTEST_WORKERS ?= 2

test: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Update the Vietnamese catalogue after changing strings (needs GNU gettext), translate the
# new entries in hoptac/locale/vi/LC_MESSAGES/django.po, then run it again to compile.
# Run from hoptac/ so that the virtual environment is not scanned; the .mo is committed.
messages: $(VENV)/.installed-test
	cd hoptac && $(abspath $(BIN))/django-admin makemessages -l vi --no-obsolete --ignore=migrations --settings=hoptac.settings
	cd hoptac && $(abspath $(BIN))/django-admin compilemessages -l vi --settings=hoptac.settings

clean:
	rm -rf $(VENV) var .pytest_cache
