# The README's commands. Each sets up what it needs first: a virtual environment with the
# project installed; the embedded warehouse starts itself on first use.
PYTHON ?= python3
VENV := .venv
PANDAS_VENV := .venv-pandas
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium
export DAGSTER_HOME ?= $(CURDIR)/.quality_movies/dagster_home

.PHONY: demo test test-quick dev bench bench-burst lint clean browser wheel-check

demo: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml  ## land the bundled IMDb sample and run the whole graph locally
	$(BIN)/quality-movies demo

test: $(VENV)/.installed browser  ## run the test suite against real components (PostgreSQL, S3/SNS/Glue, Chromium)
	$(BIN)/python -m pytest

# No Chromium and no apt-get: the inner loop runs as any user.
test-quick: $(VENV)/.installed  ## the inner loop: every test except the slow and browser tiers (see pyproject.toml markers)
	$(BIN)/python -m pytest -m "not slow and not browser"

# `dagster dev` still works and is what the README documents; its advice to use `dg dev` (another tool) is muted.
dev: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml  ## the Dagster UI on http://127.0.0.1:3000
	PYTHONWARNINGS='ignore:Function `dev_command` is superseded' $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1

# BENCH_ARGS=--quick for a sanity run (200k rows, one run per case); see `python benchmarks/run.py --help`.
bench: $(VENV)/.installed $(PANDAS_VENV)/.installed  ## the targets of the quality path (validate, demo, warehouse load, fixed costs) on 1M/5M rows
	$(BIN)/python benchmarks/run.py --pandas-python $(PANDAS_VENV)/bin/python $(BENCH_ARGS)

# The pandas baseline runs in an environment of its own: pandas stays out of the project's (see the file).
$(PANDAS_VENV)/.installed: benchmarks/pandas-baseline.txt
	$(PYTHON) -m venv $(PANDAS_VENV)
	$(PANDAS_VENV)/bin/python -m pip install --quiet -r benchmarks/pandas-baseline.txt
	@touch $@

bench-burst: $(VENV)/.installed  ## 200 files landed at once through the daemon, sensor and run queue
	$(BIN)/python benchmarks/burst.py --files 200

# The wheel as shipped: built through its sdist, installed without extras into a clean virtual environment by
# deploy/install-wheel.sh (the Dockerfile's own step), then every module imported, the definitions loaded and the
# demo, validate and lint run from another folder with an empty environment. CI runs it before `make test`.
wheel-check: $(VENV)/.installed  ## prove the built wheel installs and runs on its declared dependencies alone
	BUILD_PYTHON=$(BIN)/python PYTHON=$(PYTHON) deploy/check-wheel.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check quality_movies quality_movies_tests benchmarks

$(VENV)/.installed: setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

# The browser tests drive Debian's Chromium, installed here as root on Debian (as CI runs); elsewhere (a normal
# user, macOS) they use a Playwright-managed Chromium if one is installed, or are skipped. Nothing is downloaded
# behind the user's back.
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "make test: no $(CHROMIUM), and not root on Debian: the browser tests use a Playwright-managed" \
			"Chromium ($(BIN)/playwright install chromium) if there is one, else they are skipped"; \
	fi

# The instance settings are kept as dagster_instance.yaml: `dagster dev` warns about a dagster.yaml in the folder
# it starts in when DAGSTER_HOME is elsewhere.
$(DAGSTER_HOME)/dagster.yaml: dagster_instance.yaml
	@mkdir -p "$(DAGSTER_HOME)"
	@cp dagster_instance.yaml "$@"

clean:
	rm -rf .quality_movies
