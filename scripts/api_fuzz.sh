#!/usr/bin/env bash
# Fuzz the mailer API with schemathesis against a live gunicorn, on a fresh database.
#
#   DATABASE_URL=postgres://user@host:5432/optout_fuzz scripts/api_fuzz.sh
#
# Without DATABASE_URL a throwaway SQLite file is used. The database is migrated, a demo
# list, mailer, API key and allowlist (127.0.0.0/8, ::1) are created, the server is started,
# schemathesis runs every check (no 5xx, every response matches the schema), the server is
# stopped. Exits non-zero when schemathesis finds a failure.
#
# Knobs: API_FUZZ_PORT (8301), API_FUZZ_MAX_EXAMPLES (40), API_FUZZ_MAX_TIME (seconds, 240),
# API_FUZZ_SEED (fixed for reproducible runs).
set -euo pipefail

cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${API_FUZZ_PORT:-8301}"
BASE="http://127.0.0.1:${PORT}"
WORK="$(mktemp -d)"
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Production-like settings on plain HTTP: no debug pages, no HTTPS redirect.
export DATABASE_URL="${DATABASE_URL:-sqlite:///${WORK}/fuzz.sqlite3}"
export DJANGO_DEBUG=false
export SECRET_KEY="${SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')}"
export ALLOWED_HOSTS="127.0.0.1,localhost"
export DJANGO_SECURE_SSL_REDIRECT=false
export CACHE_URL="${CACHE_URL:-dbcache://optout_cache}"
export OPTOUT_PUBLIC_URL="$BASE"
# The fuzzer sends thousands of requests with one key; the per-key rate is tested in pytest.
export OPTOUT_API_KEY_RATE="1000000/m"
export LOG_LEVEL=WARNING

"$PY" manage.py migrate --noinput -v 0
OPTOUT_FUZZ_LIST_UUID="$("$PY" manage.py shell -v 0 -c '
from django.contrib.auth.models import Group
from lists.models import Category, MailingList
team, _ = Group.objects.get_or_create(name="fuzz")
mailing_list, _ = MailingList.objects.get_or_create(
    slug="fuzz", defaults={"name": "Fuzz list", "team": team}
)
Category.objects.get_or_create(mailing_list=mailing_list, slug="news", defaults={"name": "News"})
print(mailing_list.uuid)
')"
export OPTOUT_FUZZ_LIST_UUID
KEY="$("$PY" manage.py create_api_key --mailer "Fuzz mailer" --create-mailer fuzz \
    --grant fuzz --allow 127.0.0.0/8 --allow ::1/128 --name schemathesis 2>/dev/null)"

# No request-line cap here: the schema allows params and pid of 4,096 characters each, and
# the fuzzer tests the application, not gunicorn's default 4,094-byte line (the API
# documents the 414 a deployment's proxy or server may answer for longer queries).
.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:${PORT}" --workers 2 \
    --limit-request-line 0 \
    --error-logfile "$WORK/gunicorn.log" --log-level warning >>"$WORK/gunicorn.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 50); do
    if "$PY" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
        "${BASE}/healthz" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        cat "$WORK/gunicorn.log" >&2
        echo "api_fuzz: the server did not start" >&2
        exit 1
    fi
    sleep 0.2
done

status=0
.venv/bin/schemathesis --config-file scripts/schemathesis.toml run "${BASE}/api/schema/" \
    --header "Authorization: Api-Key ${KEY}" \
    --checks all \
    --max-examples "${API_FUZZ_MAX_EXAMPLES:-40}" \
    --max-time "${API_FUZZ_MAX_TIME:-240}" \
    ${API_FUZZ_SEED:+--seed "$API_FUZZ_SEED"} \
    --workers 1 \
    --no-color || status=$?
# One worker: Hypothesis parses lambda sources with `ast`, which is not thread-safe on 3.11.

if grep -q "Traceback" "$WORK/gunicorn.log"; then
    echo "api_fuzz: the server logged errors:" >&2
    cat "$WORK/gunicorn.log" >&2
    status=1
fi
exit "$status"
