# commlogs: `make run` serves the demo, `make test` runs the tests; both set everything up first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_ENV := DJANGO_DEBUG=1 DJANGO_SECRET_KEY=local-demo-only-secret-key

.PHONY: run test lint venv install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo_logs --if-empty
	@$(DEMO_ENV) $(BIN)/python manage.py create_demo_admin --curl-port $(PORT)
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache

# Issue 4: the product against the straightforward implementation on PostgreSQL (DATABASE_URL, or the
# local commlogs_bench database); writes docs/benchmarks.md. `BENCH_ROWS=10000000 make bench` for 10M.
BENCH_ROWS ?= 1000000

.PHONY: bench
bench: install
	BENCH_ROWS=$(BENCH_ROWS) $(BIN)/python bench/run.py
