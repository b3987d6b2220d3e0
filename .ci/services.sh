# Throw-away PostgreSQL and Redis for .ci/run and bench/run.sh (sourced, not executed).
#
# Everything lives in a directory the caller made with mktemp, on ports picked at run time,
# under a role named after the caller's pid: two runs on one machine never meet. The caller
# owns the cleanup: it registers a trap that calls stop_services.

# A TCP port nobody listens on right now (the kernel picks it; we release it at once).
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# initdb and pg_ctl refuse to run as root: as root, run them as the postgres user.
as_postgres() {
    if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<version>/bin.
postgresql_on_path() {
    if ! command -v initdb >/dev/null 2>&1; then
        local bin
        for bin in /usr/lib/postgresql/*/bin; do
            [[ -x $bin/initdb ]] && PATH="$bin:$PATH"
        done
    fi
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
}

# start_postgresql DIR PORT ROLE DATABASE
# A fresh cluster in DIR/data, socket in DIR, listening on 127.0.0.1:PORT only, trust auth,
# and a password-less ROLE with CREATEDB (pytest-django creates its test_* database with it).
# Sets PG_DATA_DIR (for stop_postgresql) and PG_SERVER_VERSION. Call it in the current shell,
# not in $(...), or the cleanup never learns what to stop.
start_postgresql() {
    local dir=$1 port=$2 role=$3 database=$4
    postgresql_on_path || { echo "initdb/pg_ctl not found" >&2; return 1; }
    if [[ $EUID -eq 0 ]]; then chown postgres "$dir"; fi
    as_postgres initdb -D "$dir/data" --auth=trust --no-sync --no-instructions -U postgres \
        -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    PG_DATA_DIR="$dir/data"
    as_postgres pg_ctl -D "$dir/data" -w -t 60 -l "$dir/postgresql.log" \
        -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
        || { cat "$dir/postgresql.log" >&2; return 1; }
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE \"$role\" LOGIN CREATEDB" \
        -c "CREATE DATABASE \"$database\" OWNER \"$role\"" >/dev/null
    PG_SERVER_VERSION=$(psql -X -At -h 127.0.0.1 -p "$port" -U "$role" -d "$database" \
        -c 'SHOW server_version')
}

stop_postgresql() {
    if [[ -n ${PG_DATA_DIR:-} && -f $PG_DATA_DIR/postmaster.pid ]]; then
        as_postgres pg_ctl -D "$PG_DATA_DIR" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    PG_DATA_DIR=""
}

# start_redis DIR PORT: no persistence, bound to loopback, pidfile for the cleanup.
start_redis() {
    local dir=$1 port=$2
    REDIS_PIDFILE="$dir/redis.pid"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --pidfile "$REDIS_PIDFILE" --logfile "$dir/redis.log" --dir "$dir"
    local waited=0
    until redis-cli -p "$port" ping >/dev/null 2>&1; do
        ((waited++ < 100)) || { cat "$dir/redis.log" >&2; return 1; }
        sleep 0.1
    done
}

stop_redis() {
    if [[ -n ${REDIS_PIDFILE:-} && -s $REDIS_PIDFILE ]]; then
        stop_pid "$(cat "$REDIS_PIDFILE")"
    fi
    REDIS_PIDFILE=""
}

# stop_pid PID: TERM, up to 15 s of grace, then KILL. Only ever a pid we started.
stop_pid() {
    local pid=$1 waited=0
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited++ >= 150)); then
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    wait "$pid" 2>/dev/null || true
}
