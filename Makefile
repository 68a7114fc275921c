# deskbot: `make chat` talks to the bot in the terminal (demo world, SQLite); `make test` runs all tests.
# Dependencies come from the lock files (pinned, hash-checked); `make lock` refreshes them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install chat test bench lock wheel clean

$(BIN)/deskbot: pyproject.toml requirements-test.lock setup.py
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements-test.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $@

install: $(BIN)/deskbot

chat: install
	$(BIN)/deskbot chat --fresh --now 2026-11-23T08:00

test: install
	bash scripts/ensure-postgres.sh
	@[ -x /usr/bin/chromium ] || echo "make test: /usr/bin/chromium is missing (apt-get install chromium): tests/test_dashboard.py's browser tests are skipped (with CI=true they fail)"
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/run_all.py

# refresh requirements.lock and requirements-test.lock from pyproject.toml (needs uv); ARGS=--upgrade for the newest
lock:
	bash scripts/lock.sh $(ARGS)

# the wheel (with the demo world and the migrations as package data) into dist/
wheel: install
	$(BIN)/pip wheel -q --no-deps --no-build-isolation -w dist .

clean:
	rm -rf $(VENV) .pytest_cache build dist
