# Etalage: `make run` starts the platform with a demo shop, `make test` runs the suite.
# Both set up everything they need (a .venv, the packages, the embedded PostgreSQL).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install lint format migrate db-stop bench bench-import bench-buy-now bench-shop-page bench-shop-page-render bench-api bench-channels bench-feeds bench-stock-to-meta bench-insights clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("etalage: Python 3.11 or newer is needed (found %d.%d); set PYTHON=python3.11" % sys.version_info[:2]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate_schemas --noinput --verbosity 0

# seed_demo, then runserver; without STRIPE_SECRET_KEY, with a localstripe of its own
run: migrate
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py rundemo --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/shop_creation.py

bench-import: install
	$(BIN)/python bench/catalog_import.py $(BENCH_ARGS)

bench-buy-now: install
	$(BIN)/python bench/buy_now.py $(BENCH_ARGS)
bench-shop-page: install
	@command -v wrk >/dev/null || echo "wrk is not installed (apt-get install wrk): the Python load generator is used"
	$(BIN)/python bench/shop_page.py $(BENCH_ARGS)

bench-shop-page-render: install
	$(BIN)/python bench/shop_page_render.py $(BENCH_ARGS)

bench-api: install
	$(BIN)/python bench/api_products.py $(BENCH_ARGS)

bench-insights: install
	$(BIN)/python bench/insights.py $(BENCH_ARGS)

bench-channels: install
	$(BIN)/python bench/channels.py $(BENCH_ARGS)

bench-feeds: install
	$(BIN)/python bench/feeds.py $(BENCH_ARGS)

bench-stock-to-meta: install
	$(BIN)/python bench/stock_to_meta.py $(BENCH_ARGS)

# Lighthouse's accessibility scores of the admin's Home, product form and designer
lighthouse: migrate
	$(BIN)/python bench/lighthouse.py $(BENCH_ARGS)

db-stop: install
	$(BIN)/python manage.py embedded_postgres stop

clean:
	rm -rf $(VENV) build *.egg-info
