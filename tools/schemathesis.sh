#!/usr/bin/env bash
# schemathesis with its default checks against the live OpenAPI schema, served by gunicorn on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/live_server.sh
# Fuzzing sends thousands of requests a minute; the rate limits have their own tests and would answer 429 here.
export DJANGO_THROTTLE_LOGS=1000000/min DJANGO_THROTTLE_TOKEN_IP=1000000/min DJANGO_THROTTLE_TOKEN_USERNAME=1000000/min
LIVE_SEED_COUNT=500
trap stop_live_server EXIT
start_live_server
# One worker: CPython 3.11's ast.parse is not thread-safe, and hypothesis parses lambdas on each thread.
.venv/bin/schemathesis run "$BASE_URL/api/schema/" \
    --header "Authorization: Bearer $API_TOKEN" \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
    --seed 20260415 \
    --workers 1 \
    --no-color
