# Two set-up commands: `make run` and `make test`. Both work on a fresh machine with Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist workers for `make test`. Most of the suite waits (subprocesses, the sandbox's slow answers, the
# console's timers) rather than computes, so more workers than this machine's 2 cores finish sooner (on 2 cores,
# 2026-12-07: 4 workers about 700 s, 6 about 600 s with the cores 90% busy).
PYTEST_WORKERS ?= 6
# The PostgreSQL job's: a cluster a worker, and its timing tests steadier on a less crowded machine (CI's limit,
# not ten minutes, is this job's).
PG_TEST_WORKERS ?= 4

.PHONY: run run-postgresql stop-postgresql test test-postgresql lint imports typecheck snapshot-update clean bench bench-quick sandbox mail-sandbox

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q console plugins  # as an installed package has it, even with PYTHONDONTWRITEBYTECODE
	touch $(STAMP)

run: $(STAMP)
	@$(BIN)/csp-console $(ARGS)

# `make run` on a local PostgreSQL: a cluster under .pg/ (Debian's postgresql package), the demo in csp_demo.
run-postgresql: $(STAMP)
	@sh tests/pg_local.sh run $(ARGS)

stop-postgresql:
	sh tests/pg_local.sh stop

sandbox: $(STAMP)
	@$(BIN)/csp-console sandbox $(ARGS)

# A local IMAP and SMTP server (the tests' pymap and aiosmtpd, on 127.0.0.1), a demo workspace and a config file
# reaching them, under mail-sandbox/ (README: "Try the mail on your machine").
mail-sandbox: $(STAMP)
	@$(BIN)/python -m tests.mail_sandbox $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check console plugins tests examples bench

# The import contracts (pyproject.toml's [tool.importlinter]): the floors hold on the import graph.
imports: $(STAMP)
	$(BIN)/lint-imports --no-logo

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP)
	$(BIN)/ruff check console plugins tests examples bench
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy console plugins
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The second engine's job: the whole suite again with every workspace of the fixtures on PostgreSQL (a throw-away
# cluster per pytest worker, tests/pg_engine.py; Debian's postgresql package); tests about the SQLite file itself
# are marked sqlite_only and skipped, saying why.
test-postgresql: $(STAMP)
	$(BIN)/python -m pytest -n $(PG_TEST_WORKERS) --dist loadgroup --engine postgresql $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.run

bench-quick: $(STAMP)
	$(BIN)/python -m bench.run --quick

snapshot-update: $(STAMP)
	$(BIN)/python -m pytest tests --snapshot-update -k snapshot

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .import_linter_cache
