#!/usr/bin/env bash
# `make bench`: a throw-away PostgreSQL, gunicorn (2 sync workers) with the bench views on,
# wrk against each scenario of bench/scenarios.py; writes bench/results.md.
#
# Environment: BENCH_SECONDS (per scenario, default 10), BENCH_ROUNDS (rounds of the
# scenarios with a ratio target, each after its own baseline run, 5), BENCH_CONNECTIONS (8),
# BENCH_THREADS (2), BENCH_TOKENS (one-click tokens), BENCH_PG_PORT, BENCH_REDIS_PORT and
# BENCH_HTTP_PORT (default: free ports picked now), BENCH_STRICT=true to fail when a
# scenario has errors.
# Raw wrk output and the server logs stay in bench/out/ (ignored by git).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=../.ci/services.sh
source .ci/services.sh

PY=.venv/bin/python
OUT=bench/out
WORK_DIR=""
GUNICORN_PID=""
START=$SECONDS

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n $GUNICORN_PID ]]; then stop_pid "$GUNICORN_PID"; fi
    stop_redis
    stop_postgresql
    if [[ -n $WORK_DIR ]]; then
        cp "$WORK_DIR/pg/postgresql.log" "$OUT/postgresql.log" 2>/dev/null || true
        rm -rf "$WORK_DIR"
    fi
    echo "bench finished in $((SECONDS - START)) s (exit $status)"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "Redis is missing: apt-get install redis-server" >&2; exit 1; }
postgresql_on_path || { echo "PostgreSQL is missing: apt-get install postgresql" >&2; exit 1; }

mkdir -p "$OUT"
WORK_DIR=$(mktemp -d -t optout-bench.XXXXXX)
chmod 755 "$WORK_DIR"
mkdir "$WORK_DIR/pg"

PG_PORT="${BENCH_PG_PORT:-$(free_port)}"
HTTP_PORT="${BENCH_HTTP_PORT:-$(free_port)}"
PG_ROLE="optout_bench_$$"
start_postgresql "$WORK_DIR/pg" "$PG_PORT" "$PG_ROLE" optout
echo "PostgreSQL $PG_SERVER_VERSION on 127.0.0.1:$PG_PORT"
# The bench settles the database after seeding (VACUUM, then CHECKPOINT, which needs this).
psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d optout \
    -c "GRANT pg_checkpoint TO \"$PG_ROLE\""
REDIS_PORT="${BENCH_REDIS_PORT:-$(free_port)}"
start_redis "$WORK_DIR" "$REDIS_PORT"
echo "Redis on 127.0.0.1:$REDIS_PORT"

# Production settings, except plain HTTP on loopback and the bench views routed.
export DJANGO_SETTINGS_MODULE=config.settings
export DATABASE_URL="postgres://$PG_ROLE@127.0.0.1:$PG_PORT/optout"
SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
export DJANGO_DEBUG=false
export ALLOWED_HOSTS=127.0.0.1
export DJANGO_SECURE_SSL_REDIRECT=false
export OPTOUT_BENCH_VIEWS=true
export OPTOUT_PUBLIC_URL="http://127.0.0.1:$HTTP_PORT"
export STATIC_ROOT="$WORK_DIR/static"
export LOG_LEVEL=ERROR
# The scale-out deployment: tasks go to the broker and wait there (no worker runs during
# the bench), so requests pay for queueing a task, never for running it.
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
unset CACHE_URL OPTOUT_TESTING

"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py createcachetable -v 0
# Not fatal: the scenarios so far render no page. Pages would answer 500 without a manifest,
# so the failure is reported in results.md instead of being lost in the scroll-back.
BENCH_SETUP_WARNINGS=""
if ! "$PY" manage.py collectstatic --noinput -v 0 >"$OUT/collectstatic.log" 2>&1; then
    BENCH_SETUP_WARNINGS="collectstatic failed ($(grep -m1 -E 'Error|error' "$OUT/collectstatic.log" \
        | cut -c1-200)); pages using static files cannot be benched until it passes"
    echo "WARNING: $BENCH_SETUP_WARNINGS" >&2
fi
export BENCH_SETUP_WARNINGS

# A long timeout: a million-row download streams longer than gunicorn's 30 s default on a
# loaded machine, and a sync worker killed mid-stream would be measured as a failure.
.venv/bin/gunicorn config.wsgi:application --workers 2 --worker-class sync --timeout 300 \
    --bind "127.0.0.1:$HTTP_PORT" --log-level warning --error-logfile "$OUT/gunicorn.log" \
    >>"$OUT/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
echo "gunicorn (pid $GUNICORN_PID) on http://127.0.0.1:$HTTP_PORT"

# The postmaster's children are the database's share of each scenario's CPU.
BENCH_POSTGRESQL_PID=$(head -n 1 "$PG_DATA_DIR/postmaster.pid")
export BENCH_POSTGRESQL_PID
BENCH_URL="http://127.0.0.1:$HTTP_PORT" BENCH_OUT="$OUT" BENCH_GUNICORN_PID="$GUNICORN_PID" \
    "$PY" -m bench
