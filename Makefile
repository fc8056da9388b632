# Everything a fresh clone needs: Python 3.11 with pip and venv, Node.js with npm.
# Third-party tools and artifacts are fetched into .cache/ (git-ignored), never committed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CACHE  := .cache
NPM_DIR := $(CACHE)/npm
POCO_VERSION := 6.1.0
ANVIL_VERSION := 1.7.1
SDK_VERSION := 9.0.1
POCO_DIR := $(CACHE)/poco-$(POCO_VERSION)

.PHONY: setup venv node test lint typecheck imports pytest demo clean bench bench-live bench-iexec \
	compiled bench-compiled \
	constraints audit soak fuzz

# Every Python package (runtime and dev) pinned to the versions last tested together, so two
# setups a month apart install the same code. Refresh after changing pyproject.toml's dependencies
# or to take upgrades: `make constraints` (pip freeze of .venv), run the tests, commit the file.
CONSTRAINTS := constraints.txt
PIP_AUDIT_VERSION := 2.10.1

setup: venv node

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e ".[dev]"
	touch $@

# Re-pin from the current .venv (after `pip install -U ...` or a pyproject.toml change).
constraints: venv
	{ echo "# Pinned by 'make constraints' (pip freeze of .venv); used by 'make setup' as pip -c."; \
	  echo "# Refresh: make constraints, run make test, commit. Do not edit by hand."; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^pip-audit=='; } > $(CONSTRAINTS)

# Known vulnerabilities in the pinned dependencies (pip-audit, PyPI's advisory data). Not part of
# `make test`: its answer changes without our code changing. Says so, and exits 0, when the data
# source cannot be reached (an offline machine), so it never fails for the wrong reason.
# The probe asks PyPI's JSON API (pip-audit's data source) about the first pinned release.
export AUDIT_PROBE := import sys, urllib.request; name, _, version = next(l for l in open(sys.argv[1]) if "==" in l).strip().partition("=="); urllib.request.urlopen(f"https://pypi.org/pypi/{name}/{version}/json", timeout=10)
audit: venv
	@if $(BIN)/python -c "$$AUDIT_PROBE" $(CONSTRAINTS) 2>/dev/null; then \
		$(BIN)/pip install --quiet "pip-audit==$(PIP_AUDIT_VERSION)" && \
		$(BIN)/pip-audit --strict --requirement $(CONSTRAINTS) --no-deps --disable-pip; \
	else \
		echo "audit NOT RUN: PyPI's advisory data (its per-release JSON API) is unreachable from this machine"; \
	fi

node: $(NPM_DIR)/.installed $(POCO_DIR)/package/package.json

$(NPM_DIR)/.installed:
	mkdir -p $(NPM_DIR)
	[ -f $(NPM_DIR)/package.json ] || (cd $(NPM_DIR) && npm init -y >/dev/null)
	cd $(NPM_DIR) && npm install --no-audit --no-fund --loglevel=error \
		@foundry-rs/anvil@$(ANVIL_VERSION) iexec@$(SDK_VERSION)
	touch $@

$(POCO_DIR)/package/package.json:
	mkdir -p $(POCO_DIR)
	cd $(POCO_DIR) && npm pack --silent @iexec/poco@$(POCO_VERSION) >/dev/null && tar xzf iexec-poco-$(POCO_VERSION).tgz
	touch $@

lint: venv
	$(BIN)/ruff check bot strategies tests bench
	$(BIN)/ruff format --check bot strategies tests bench

typecheck: venv
	$(BIN)/mypy bot strategies

imports: venv
	$(BIN)/lint-imports

pytest: setup
	$(BIN)/pytest -n 2 --dist loadgroup --durations=25

test: setup lint typecheck imports pytest

demo: setup
	$(BIN)/pricebot demo --state-dir $(CACHE)/demo

# The bot on the sandbox under faults (1,000 cycles, 20 % faulty, outages), then 50 kill -9 and
# restarts, judged by the independent checker (bot/sandbox/checker.py); exits 1 on any violation.
# Figures: docs/RELIABILITY.md. A ~60-second version runs in `make test` (tests/integration/sandbox/test_soak.py).
# The soak's own wall-time bound is --max-seconds (the crash rounds bound themselves); add
# SOAK_ARGS=--baseline for the same run without faults (revenue kept).
SOAK_SEED ?= 1
SOAK_ARGS ?=
soak: setup
	$(BIN)/python -m bot.app.soak --cycles 1000 --seed $(SOAK_SEED) --crashes 50 \
		--max-seconds 1800 --state-dir $(CACHE)/soak --out $(CACHE)/soak/figures.json $(SOAK_ARGS)

# Hypothesis at full size: >= 10,000 marketplace payloads, >= 1,000 configs, hostile competitor
# prices through every built-in strategy and the rails (the small profile runs in `make test`).
fuzz: setup
	PRICEBOT_FUZZ=large $(BIN)/pytest -q -n 2 -p no:cacheprovider tests/unit/adapters/test_fuzz_payloads.py \
		tests/unit/config/test_fuzz_configs.py tests/unit/pricing/test_fuzz_competitor_prices.py

bench: setup
	$(BIN)/python bench/run_all.py
	$(MAKE) bench-live bench-iexec

# The live path on the sandbox (issue #20; docs/BENCHMARKS.md): each script starts and stops its
# own sandbox. One reprice (`pricebot once --live`) against main's tree when BASE=DIR is given
# (e.g. a `git archive main` extracted there), with instruction counts (valgrind); then the same
# reprice by hand with the iExec CLI 9.0.1, in the same sitting.
bench-live: setup node
	nice -n 10 $(BIN)/python bench/live_once.py --callgrind $(if $(BASE),--tree base=$(BASE))

bench-iexec: setup node
	nice -n 10 $(BIN)/python bench/iexec_cli.py

# Optional: the backtest hot path compiled with mypyc into .cache/compiled (checked identical).
compiled: venv
	$(BIN)/python bench/compile_hot_path.py

bench-compiled: compiled
	PYTHONPATH=$(CACHE)/compiled:$(CURDIR) $(BIN)/python bench/backtest_speed.py --days 30

clean:
	rm -rf $(VENV) $(CACHE) .mypy_cache .ruff_cache .pytest_cache
