#!/usr/bin/env bash
# `make serve`: gunicorn on a local socket behind nginx (deploy/nginx.conf) on $SERVE_BIND. Needs Debian's nginx.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    echo "make serve needs nginx in front of gunicorn: apt-get install nginx-light" >&2
    exit 1
fi
RUN_DIR="$(mktemp -d -t commlogs-serve-XXXX)"
# nginx's workers, which drop root, reach gunicorn's socket through this folder.
chmod 711 "$RUN_DIR"
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$RUN_DIR"' EXIT
trap 'exit 0' INT TERM
sed -e "s|RUN_DIR|$RUN_DIR|g" -e "s|UPSTREAM|unix:$RUN_DIR/gunicorn.sock|" -e "s|LISTEN|${SERVE_BIND:-127.0.0.1:8000}|" \
    deploy/nginx.conf >"$RUN_DIR/nginx.conf"
DJANGO_NUM_PROXIES=1 .venv/bin/gunicorn commlogs_site.wsgi --config gunicorn.conf.py \
    --workers "${WEB_CONCURRENCY:-3}" --bind "unix:$RUN_DIR/gunicorn.sock" &
# nginx writes its error pages' timestamps in local time: UTC, as the API's.
TZ=UTC /usr/sbin/nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g "daemon off;" &
echo "serving on http://${SERVE_BIND:-127.0.0.1:8000}/ (nginx in front of ${WEB_CONCURRENCY:-3} gunicorn workers)"
wait -n
