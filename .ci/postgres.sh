#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite, on localhost only.
#   .ci/postgres.sh start   -> initdb into a temporary folder, start the server, print the
#                              URL for OTDESK_TEST_POSTGRES_URL (and the folder, for stop)
#   .ci/postgres.sh stop DIR
# The server runs as an unprivileged user (the "postgres" system user when this runs as
# root, else the current user), listens on 127.0.0.1 only, and lives in DIR: stopping it
# and removing DIR leaves nothing behind.
set -euo pipefail

bin_dir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -n "$found" ]; then echo "$found"; return; fi
    dirname "$(command -v initdb)"
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

case "${1:-}" in
start)
    BIN=$(bin_dir)
    DIR=$(mktemp -d /tmp/otdesk-pg.XXXXXX)
    chmod 755 "$DIR"
    PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    printf '%s\n' "$PASSWORD" > "$DIR/pwfile"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$DIR"; fi
    as_owner "$BIN/initdb" -D "$DIR/data" -U otdesk_test --auth=scram-sha-256 \
        --pwfile="$DIR/pwfile" -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
        || as_owner "$BIN/initdb" -D "$DIR/data" -U otdesk_test --auth=scram-sha-256 \
            --pwfile="$DIR/pwfile" -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1
    rm -f "$DIR/pwfile"
    PORT=$(free_port)
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off" start >/dev/null
    echo "postgresql://otdesk_test:$PASSWORD@127.0.0.1:$PORT/postgres"
    echo "$DIR"
    ;;
stop)
    DIR=${2:?the folder printed by start}
    BIN=$(bin_dir)
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
*)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
