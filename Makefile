# Kassa: `make run` starts a complete installation, `make test` runs the whole suite.
# Both install from the lock files in requirements/ (exact versions and hashes), so a fresh
# clone installs the same packages every time; `make lock` refreshes them.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --require-hashes
PYTEST_ARGS ?= -n 2
# One resolution for every platform and every Python Kassa supports (3.11 and newer).
LOCK := $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--constraints requirements/constraints.txt

.PHONY: install install-test run test fuzz lock check-currencies clean

install: $(VENV)/.installed-main
install-test: $(VENV)/.installed-test

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements/pip.txt

# Kassa itself goes in last, editable and without dependencies: they all come from the lock.
# (setuptools warns about every editable install in a banner; it is no news here.)
KASSA := PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet --no-deps \
	--no-build-isolation -e .

$(VENV)/.installed-main: requirements/main.txt pyproject.toml | $(PY)
	$(PIP) -r requirements/main.txt
	$(KASSA)
	touch $@

$(VENV)/.installed-test: requirements/test.txt pyproject.toml | $(PY)
	$(PIP) -r requirements/test.txt
	$(KASSA)
	touch $@ $(VENV)/.installed-main

run: install
	$(VENV)/bin/kassa serve

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

# schemathesis against a real server, per backend (PostgreSQL when KASSA_TEST_POSTGRES_URL is set)
fuzz: install-test
	$(PY) scripts/fuzz.py

# Run after changing a dependency in pyproject.toml, or to take newer releases on purpose:
# it re-resolves everything to the newest versions pyproject.toml allows. Commit the result.
lock: | $(PY)
	$(PIP) -r requirements/uv.txt
	$(LOCK) pyproject.toml requirements/build.in -o requirements/main.txt
	$(LOCK) pyproject.toml requirements/build.in --extra test -o requirements/test.txt
	$(LOCK) requirements/pip.in -o requirements/pip.txt
	$(LOCK) requirements/uv.in -o requirements/uv.txt

# The committed currency table against the Babel (CLDR) release installed; after a `make lock`
# that moved Babel, regenerate with `.venv/bin/python scripts/gen_currencies.py`.
check-currencies: install-test
	$(PY) scripts/gen_currencies.py --check

clean:
	rm -rf $(VENV) kassa.db kassa.db-wal kassa.db-shm .pytest_cache .hypothesis
