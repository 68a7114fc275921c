# deskbot: `make chat` talks to the bot in the terminal (demo world, SQLite); `make test` runs all tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install chat test bench clean

$(BIN)/deskbot: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(BIN)/deskbot

chat: install
	$(BIN)/deskbot chat

test: install
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
