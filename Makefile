# commlogs: `make run` serves the demo, `make test` runs the tests; both set everything up first. `make help` lists all.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_ENV := DJANGO_DEBUG=1 DJANGO_SECRET_KEY=local-demo-only-secret-key

.PHONY: help run test test-browser lint serve loadtest schemathesis bench bench-partitioned bench-proxy bench-admin replica test-replica independent-check clean

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The demo's database (the environment before manage.py, $(1)) migrated, seeded, with a demo superuser.
define demo_database
	$(DEMO_ENV) $(1) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(1) $(BIN)/python manage.py seed_demo_logs --if-empty
	@$(DEMO_ENV) $(1) $(BIN)/python manage.py create_demo_admin --curl-port $(PORT)
endef

run: $(VENV)/.installed  ## Demo on SQLite at 127.0.0.1:8000 (or PORT), with demo data, a demo superuser and a curl line to try.
	$(call demo_database,)
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed-dev  ## The test suite (SQLite; PostgreSQL with DATABASE_URL=postgres://...).
	$(BIN)/pytest $(PYTEST_ARGS)

test-browser: $(VENV)/.installed-dev  ## The browser tests alone, failing rather than skipping without Chromium.
	COMMLOGS_REQUIRE_BROWSER=1 $(BIN)/pytest -m browser $(PYTEST_ARGS)

PRIMARY_URL ?= postgres://postgres@127.0.0.1:5432/commlogs
REPLICA_URL ?= postgres://postgres@127.0.0.1:5433/commlogs

replica: $(VENV)/.installed  ## The demo on PostgreSQL with a streaming replica (tools/replica.sh) serving its reads.
	psql $(dir $(PRIMARY_URL))postgres -qc 'CREATE DATABASE commlogs' 2>/dev/null || true
	tools/replica.sh start
	$(call demo_database,DATABASE_URL=$(PRIMARY_URL))
	$(DEMO_ENV) DATABASE_URL=$(PRIMARY_URL) DATABASE_REPLICA_URL=$(REPLICA_URL) \
		$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test-replica: $(VENV)/.installed-dev  ## The replica tests, and the contract suite read from a streaming replica of the local PostgreSQL.
	tools/replica.sh start
	# With the default cache of production, the database's, so that the router also meets the cache's table.
	DATABASE_URL=$(PRIMARY_URL) DATABASE_REPLICA_URL=$(REPLICA_URL) COMMLOGS_REQUIRE_REPLICA=1 \
		DJANGO_CACHE_URL=dbcache://commlogs_cache $(BIN)/pytest -m "replica or contract" $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev  ## ruff check and ruff format --check.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Production serving. Needs DJANGO_SECRET_KEY and DATABASE_URL from the environment, and Debian's nginx.
WEB_CONCURRENCY ?= 3
SERVE_BIND ?= 127.0.0.1:$(PORT)

serve: $(VENV)/.installed  ## Production: migrate, collectstatic, gunicorn behind nginx (SERVE_BIND, WEB_CONCURRENCY).
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	WEB_CONCURRENCY=$(WEB_CONCURRENCY) SERVE_BIND=$(SERVE_BIND) tools/serve.sh

loadtest: $(VENV)/.installed-dev  ## Two minutes of mixed admin traffic with locust against a live server.
	tools/loadtest.sh

schemathesis: $(VENV)/.installed-dev  ## schemathesis and a generated client against the live schema.
	tools/schemathesis.sh

BENCH_ROWS ?= 1000000

bench: $(VENV)/.installed  ## The product against the straightforward implementation on PostgreSQL; writes docs/performance.md's table.
	BENCH_ROWS=$(BENCH_ROWS) $(BIN)/python bench/run.py

bench-partitioned: $(VENV)/.installed  ## The bench at 30M rows over 12 monthly partitions, with retention by partition.
	BENCH_ROWS=30000000 BENCH_SMALL_ROWS=100000 BENCH_MONTHS=12 BENCH_REQUESTS=11 $(BIN)/python bench/run.py

bench-proxy: $(VENV)/.installed  ## How fast nginx refuses a 4 MB request line, and what slow clients cost ordinary requests.
	$(BIN)/python bench/proxy_limits.py

bench-admin: $(VENV)/.installed  ## The admin's log pages timed on DATABASE_URL's data, as USERNAME (a staff reader).
	DJANGO_SETTINGS_MODULE=commlogs_site.settings $(BIN)/python bench/admin_pages.py --username $(USERNAME)

independent-check: $(VENV)/.installed  ## The API against plain SQL, by a checker that shares no code with it.
	$(BIN)/python tools/independent_check.py

clean:  ## Remove the virtualenv, the demo database and collected static files.
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
