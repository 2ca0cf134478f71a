#!/usr/bin/env bash
# make loadtest: locust headless against gunicorn on a seeded PostgreSQL database, then the figures.
# LOADTEST_USERS (default 20), LOADTEST_DURATION (default 2m), LIVE_WORKERS (default 3), LIVE_SEED_COUNT (20000).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/live_server.sh
export LIVE_WORKERS="${LIVE_WORKERS:-3}" LIVE_SEED_COUNT="${LIVE_SEED_COUNT:-20000}"
trap stop_live_server EXIT
start_live_server

readers="${LOADTEST_USERS:-20}"
LOADTEST_TOKENS=$(.venv/bin/python manage.py shell --verbosity 0 -c "
from django.contrib.auth.models import Permission, User
from communication.tokens import token_to_hand_out
permission = Permission.objects.get(codename='view_communicationlog')
keys = []
for number in range(10):
    user, _ = User.objects.get_or_create(username=f'load-reader-{number}', defaults={'is_staff': True})
    user.user_permissions.add(permission)
    keys.append(token_to_hand_out(user).key)
print(','.join(keys))
")
export LOADTEST_TOKENS

worker_rss() {
    local total=0 pid
    for pid in $(pgrep -P "$LIVE_PID"); do
        total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status")))
    done
    echo "$((total / 1024)) MiB over $(pgrep -P "$LIVE_PID" | wc -l) workers"
}

curl -s -o /dev/null -H "Authorization: Bearer ${LOADTEST_TOKENS%%,*}" "$BASE_URL/admin/communication/logs"
echo "worker RSS at start: $(worker_rss)"
csv_prefix="$(mktemp -d)/loadtest"
.venv/bin/locust -f loadtest/locustfile.py --headless --host "$BASE_URL" -u "$readers" -r "$readers" \
    -t "${LOADTEST_DURATION:-2m}" --csv "$csv_prefix" --only-summary --loglevel WARNING &
locust_pid=$!
elapsed=0
while kill -0 "$locust_pid" 2>/dev/null; do
    sleep 5
    elapsed=$((elapsed + 5))
    if [ $((elapsed % 30)) -eq 0 ]; then echo "worker RSS after ${elapsed} s: $(worker_rss)"; fi
done
locust_status=0
wait "$locust_pid" || locust_status=$?
echo "worker RSS at end:   $(worker_rss)"
.venv/bin/python - "$csv_prefix" <<'PY'
import csv, sys
row = next(r for r in csv.DictReader(open(sys.argv[1] + "_stats.csv")) if r["Name"] == "Aggregated")
print(
    f"requests {row['Request Count']}, failures {row['Failure Count']}, {float(row['Requests/s']):.1f} req/s, "
    f"p50 {row['50%']} ms, p95 {row['95%']} ms, p99 {row['99%']} ms"
)
PY
audit_events=$(psql "$DATABASE_URL" -tA -c "SELECT count(*) FROM communication_auditevent")
echo "audit events recorded: $audit_events"
exit "$locust_status"
