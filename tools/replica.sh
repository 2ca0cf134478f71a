#!/usr/bin/env bash
# A streaming replica of the local PostgreSQL (the primary at 127.0.0.1:5432) on another port: for the replica tests
# and `make replica`. `tools/replica.sh start|stop|destroy`; REPLICA_PORT (default 5433), REPLICA_DIR (its data).
set -euo pipefail
PORT="${REPLICA_PORT:-5433}"
DIR="${REPLICA_DIR:-/tmp/commlogs-replica}"
PRIMARY="postgres://postgres@127.0.0.1:5432/postgres"
BIN="/usr/lib/postgresql/$(ls /etc/postgresql | head -1)/bin"

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

allow_replication() {
    local hba
    hba="$(psql "$PRIMARY" -Atc 'SHOW hba_file')"
    if ! grep -qE '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$hba"; then
        echo "host replication all 127.0.0.1/32 trust" >>"$hba"
        psql "$PRIMARY" -qAtc 'SELECT pg_reload_conf()' >/dev/null
    fi
}

make_copy() {
    rm -rf "$DIR"
    mkdir -p "$DIR"
    chown postgres "$DIR" 2>/dev/null || true
    chmod 700 "$DIR"
    allow_replication
    as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -U postgres -D "$DIR" -R -X stream -c fast
    # Debian keeps a cluster's configuration outside its data: the copy gets its own.
    as_postgres sh -c "printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >'$DIR/pg_hba.conf'; : >'$DIR/postgresql.conf'"
}

case "${1:-start}" in
start)
    [ -f "$DIR/standby.signal" ] || make_copy
    as_postgres "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1 ||
        as_postgres "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w start \
        -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DIR -c hot_standby=on"
    echo "replica of 127.0.0.1:5432 on 127.0.0.1:$PORT: DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:$PORT/<database>"
    ;;
stop) as_postgres "$BIN/pg_ctl" -D "$DIR" -m fast -w stop ;;
destroy)
    as_postgres "$BIN/pg_ctl" -D "$DIR" -m fast -w stop 2>/dev/null || true
    rm -rf "$DIR"
    ;;
*) echo "usage: $0 start|stop|destroy" >&2; exit 2 ;;
esac
