#!/usr/bin/env bash
# Source this: start gunicorn on a fresh, seeded PostgreSQL database and a random free port, for
# schemathesis and the load test. Sets BASE_URL, API_TOKEN and LIVE_DB; `stop_live_server` cleans up.
# Inputs (optional): LIVE_WORKERS (default 2), LIVE_SEED_COUNT (default 5000).

PG_URL_BASE="${PG_URL_BASE:-postgres://postgres@127.0.0.1:5432}"
LIVE_DB="commlogs_live_$$"
LIVE_LOG="$(mktemp -t commlogs-live-XXXX.log)"
LIVE_STATIC="$(mktemp -d -t commlogs-static-XXXX)"

pick_free_port() {
    local port
    for _ in $(seq 50); do
        port=$(shuf -i 18000-19999 -n 1)
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
    done
    echo "no free port in 18000-19999" >&2
    return 1
}

stop_live_server() {
    if [ -n "${LIVE_PID:-}" ]; then kill "$LIVE_PID" 2>/dev/null || true; wait "$LIVE_PID" 2>/dev/null || true; fi
    psql "$PG_URL_BASE/postgres" -q -c "DROP DATABASE IF EXISTS $LIVE_DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$LIVE_STATIC"
}

start_live_server() {
    export DATABASE_URL="$PG_URL_BASE/$LIVE_DB"
    export DJANGO_DEBUG=0
    export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-live-check-only-secret-key-$(date +%s%N)}"
    export DJANGO_LOG_LEVEL="${DJANGO_LOG_LEVEL:-WARNING}"
    psql "$PG_URL_BASE/postgres" -q -c "CREATE DATABASE $LIVE_DB"
    .venv/bin/python manage.py migrate --noinput -v0
    .venv/bin/python manage.py seed_logs --rows "${LIVE_SEED_COUNT:-5000}" --users 200 --no-progress
    .venv/bin/python manage.py create_demo_admin --force --username live-admin --password "live-$$-admin" >/dev/null
    API_TOKEN=$(.venv/bin/python manage.py drf_create_token live-admin | awk '{print $3}')
    local port
    port=$(pick_free_port)
    BASE_URL="http://127.0.0.1:$port"
    .venv/bin/gunicorn commlogs_site.wsgi --config gunicorn.conf.py --workers "${LIVE_WORKERS:-2}" \
        --bind "127.0.0.1:$port" --pid "$LIVE_STATIC/gunicorn.pid" >"$LIVE_LOG" 2>&1 &
    LIVE_PID=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "$BASE_URL/api/schema/" && break
        sleep 0.2
    done
    echo "live server $BASE_URL (pid $LIVE_PID, database $LIVE_DB, log $LIVE_LOG)"
}
