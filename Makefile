# The two commands a newcomer needs: `make run` and `make test`. Each creates .venv and installs the
# pinned dependencies first when they are missing or out of date.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/dagster_home
# This environment's dbt first: dagster-dbt's preparer calls `dbt` from the PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# dagster-dbt builds its asset graph from the manifest; its preparer parses the project again whenever
# a dbt source file is newer (see dagster_project/lib/dbt_project.py).
MANIFEST := dbt/target/manifest.json
DBT_SOURCES := dbt/dbt_project.yml dbt/profiles.yml $(shell find dbt/models dbt/seeds dbt/macros dbt/tests -type f)

.PHONY: install run test test-fast dev app bench lint format sample clean docs rollback codebook

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED) ## create .venv and install the pinned dependencies

# Parsed with the warehouse path `make run` will give dbt: dbt keeps the parse for a build whose
# profile (which holds the path) is the same, instead of parsing the project again (2-3 s).
$(MANIFEST): $(INSTALLED) $(DBT_SOURCES)
	WAREHOUSE_PATH="$$($(BIN)/python -c 'from dagster_project.lib.paths import warehouse_path; print(warehouse_path())')" \
		$(BIN)/dagster-dbt project prepare-and-package --file dagster_project/lib/dbt_project.py
	touch $(MANIFEST)

run: $(INSTALLED) $(MANIFEST) ## load every wave under RAW_DATA_DIR (default: the embedded synthetic sample)
	$(BIN)/python -m dagster_project.run

# pytest-xdist workers: one per core of the 2-core machines this runs on. They share one test warehouse
# and each works in its own copy of the dbt project (tests/conftest.py). Modules are handed out in the
# order conftest puts them (the longest first), not xdist's default (the most tests first).
TEST_WORKERS ?= 2

test: $(INSTALLED) $(MANIFEST) ## every test, on TEST_WORKERS processes
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-fast: $(INSTALLED) $(MANIFEST) ## the tests that need no warehouse: under a minute, for your own loop (docs/testing.md)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not slow and not warehouse"

codebook: $(INSTALLED) ## draft a new wave's codebook rows from its files: make codebook WAVE=2022 (docs/new_wave.md)
	@test -n "$(WAVE)" || { echo "make codebook: say which wave, e.g. make codebook WAVE=2022" >&2; exit 2; }
	$(BIN)/python -m dagster_project.codebook draft --wave $(WAVE)

rollback: $(INSTALLED) ## serve the previous publication again (run again to undo)
	$(BIN)/python -m dagster_project.rollback

dev: $(INSTALLED) $(MANIFEST) ## the Dagster UI on http://127.0.0.1:3000
	$(BIN)/dagster dev -m dagster_project.definitions -h 127.0.0.1 -p 3000

app: $(INSTALLED) ## the viewer on http://127.0.0.1:$${STREAMLIT_SERVER_PORT:-8501}, reading the serving copy (SERVING_PATH)
	$(BIN)/streamlit run streamlit_app/app.py --server.address 127.0.0.1 --server.port $${STREAMLIT_SERVER_PORT:-8501} \
		--server.headless true --browser.gatherUsageStats false --client.toolbarMode viewer

bench: $(INSTALLED) $(MANIFEST) ## every stage at scale 1, 10, 100, ten waves and an added wave, each in a fresh process, with the floor (docs/benchmarks.md)
	$(BIN)/python -m dagster_project.bench

lint: $(INSTALLED) ## ruff, the import contracts of the layers (.importlinter) and sqlfluff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/sqlfluff lint dbt

format: $(INSTALLED) ## apply ruff's formatting and fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

sample: $(INSTALLED) ## regenerate the embedded synthetic sample under data/sample
	$(BIN)/python -m dagster_project.sample_data --out data/sample

clean: ## remove what the pipeline wrote (not the embedded sample)
	rm -rf data/warehouse dbt/target dbt/logs

docs: $(INSTALLED) ## the dbt documentation site as one file: dbt/target/static_index.html
	cd dbt && WAREHOUSE_PATH=$(abspath $(or $(WAREHOUSE_PATH),data/warehouse/warehouse.duckdb)) ../$(BIN)/dbt docs generate --static --profiles-dir .
	@echo "open dbt/target/static_index.html"
