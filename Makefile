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

.PHONY: setup venv node test lint typecheck imports pytest demo clean bench compiled bench-compiled

setup: venv node

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

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
	$(BIN)/pytest -n 2 --dist loadgroup

test: setup lint typecheck imports pytest

demo: setup
	$(BIN)/pricebot demo --state-dir $(CACHE)/demo

bench: setup
	$(BIN)/python bench/run_all.py

# Optional: the backtest hot path compiled with mypyc into .cache/compiled (checked identical).
compiled: venv
	$(BIN)/python bench/compile_hot_path.py

bench-compiled: compiled
	PYTHONPATH=$(CACHE)/compiled $(BIN)/python bench/backtest_speed.py --days 30

clean:
	rm -rf $(VENV) $(CACHE) .mypy_cache .ruff_cache .pytest_cache
