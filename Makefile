# schema-tools: `make lab` to explore in JupyterLab, `make test` to run every test, `make lint` to check style and types.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LAB_PORT ?= 8888

.PHONY: rules-table setup system-deps browser-deps migrate lab test unit lint format notebooks bench bench-load clean

setup: $(STAMP) system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,apps]'
	$(BIN)/python -m ipykernel install --sys-prefix --name schema-tools --display-name "Python (schema-tools)" >/dev/null
	touch $(STAMP)

system-deps:
	@scripts/install-system-deps

# Only the browser test needs Chromium: a failure to install it warns and goes on.
browser-deps:
	@scripts/install-system-deps --browser

migrate: setup
	$(BIN)/alembic upgrade head

lab: migrate
	$(BIN)/jupyter lab --notebook-dir=notebooks --port=$(LAB_PORT) $$([ "$$(id -u)" = 0 ] && echo --allow-root)

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg

test: setup browser-deps
	SCHEMA_TOOLS_FRESH_DATABASE=1 $(BIN)/pytest tests notebooks $(NBVAL)

# The fast subset: architecture and other database-free tests, in seconds.
unit: setup
	$(BIN)/pytest -m unit -q

# The README's rule table, regenerated from the rule registry.
rules-table: setup
	$(BIN)/python scripts/rules_table.py

notebooks: setup
	$(BIN)/python scripts/run_notebooks.py

# The fleet table too: SQLite fleets of 10 and 100, 5 PostgreSQL and 5 MariaDB databases (python -m bench.fleet
# --sqlite 10,100,500 --servers 20 for the issue's sizes); its Celery rows need Redis at 127.0.0.1:6379.
bench: setup
	$(BIN)/python -m bench
	$(BIN)/python -m bench.fleet

# A migration under load: naive vs make_safe, seen by a writer process (python -m bench.load --rows 20000 for a quick run).
bench-load: setup
	$(BIN)/python -m bench.load

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict schema_tools

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
