"""Settings come from the environment: each case starts a fresh interpreter with its own env."""

from __future__ import annotations

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_FILE = BASE_DIR / "config" / "settings.py"
# Importing the module is enough to read the environment (and much faster than setup()).
PRINT_SETTINGS = (
    "import config.settings as s; "
    "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
    "s.CELERY_TASK_ALWAYS_EAGER, s.ALLOWED_HOSTS)"
)


def variables_read_by_settings() -> set[str]:
    text = SETTINGS_FILE.read_text()
    return set(re.findall(r'env(?:\.\w+|_bool)?\(\s*"([A-Z][A-Z0-9_]*)"', text))


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run(  # noqa: S603  # our own interpreter, fixed arguments
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def load_settings(env: dict[str, str]) -> dict[str, Any]:
    """Run the settings file in this process with exactly `env` as the environment.

    Fast enough for the parsing cases; the suite counts as tests here, so the cases that
    depend on production defaults run in a subprocess above.
    """
    with mock.patch.dict(os.environ, env, clear=True):
        return runpy.run_path(str(SETTINGS_FILE))


def production_env() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "optout.example.com",
        "OPTOUT_PUBLIC_URL": "https://optout.example.com",
    }


def test_the_settings_read_the_variables_this_test_knows_about() -> None:
    names = variables_read_by_settings()

    assert {"SECRET_KEY", "DJANGO_DEBUG", "DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL"} <= names


def test_empty_values_for_every_variable_do_not_crash_start_up() -> None:
    env = dict.fromkeys(variables_read_by_settings(), "")
    env["SECRET_KEY"] = secrets.token_urlsafe(50)

    result = run_python(PRINT_SETTINGS, env)

    assert result.returncode == 0, result.stderr
    # Every empty variable fell back to its embedded default.
    assert result.stdout.split()[:4] == [
        "False",
        "django.db.backends.sqlite3",
        "django.core.cache.backends.db.DatabaseCache",
        "True",
    ]


def test_blank_values_count_as_unset_like_empty_ones() -> None:
    loaded = load_settings(dict.fromkeys(variables_read_by_settings(), "  "))

    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["OPTOUT_PUBLIC_URL"] == "http://127.0.0.1:8000"
    assert loaded["SECRET_KEY_FALLBACKS"] == []


def test_start_up_without_secret_key_fails_with_a_clear_message() -> None:
    result = run_python(PRINT_SETTINGS, {"SECRET_KEY": "", "DJANGO_DEBUG": "false"})

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr
    assert "DJANGO_DEBUG=true" in result.stderr


def test_debug_mode_runs_without_a_secret_key() -> None:
    result = run_python(PRINT_SETTINGS, {"DJANGO_DEBUG": "true"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True ")


def test_check_deploy_passes_without_warnings_with_the_production_variables() -> None:
    code = (
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])"
    )

    result = run_python(code, production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_an_unreadable_boolean_fails_instead_of_guessing() -> None:
    with pytest.raises(ImproperlyConfigured) as caught:
        load_settings({"DJANGO_SECURE_SSL_REDIRECT": "flase"})

    assert str(caught.value) == "DJANGO_SECURE_SSL_REDIRECT must be true or false, not 'flase'."


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), ("off", False)])
def test_booleans_accept_the_usual_spellings(value: str, expected: bool) -> None:
    assert load_settings({"DJANGO_SECURE_SSL_REDIRECT": value})["SECURE_SSL_REDIRECT"] is expected


def test_database_url_selects_postgresql_with_persistent_connections() -> None:
    loaded = load_settings({"DATABASE_URL": "postgres://optout@db.internal:5432/optout"})

    database = loaded["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["HOST"], database["PORT"]) == ("optout", "db.internal", 5432)
    assert database["CONN_MAX_AGE"] == 600
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["OPTIONS"]["prepare_threshold"] == 5


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler() -> None:
    loaded = load_settings(
        {
            "DATABASE_URL": "postgres://optout@pgbouncer:6432/optout",
            "DATABASE_PREPARED_STATEMENTS": "false",
        }
    )

    assert loaded["DATABASES"]["default"]["OPTIONS"]["prepare_threshold"] is None


def test_sqlite_default_waits_for_locks_and_uses_wal() -> None:
    database = load_settings({})["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database["OPTIONS"]["timeout"] == 20
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["CONN_MAX_AGE"] == 600


@pytest.mark.parametrize(
    ("cache_url", "backend", "location"),
    [
        (
            "redis://127.0.0.1:6379/1",
            "django.core.cache.backends.redis.RedisCache",
            "redis://127.0.0.1:6379/1",
        ),
        ("", "django.core.cache.backends.db.DatabaseCache", "optout_cache"),
        ("dbcache://shared_cache", "django.core.cache.backends.db.DatabaseCache", "shared_cache"),
    ],
)
def test_cache_url_chooses_the_shared_cache(cache_url: str, backend: str, location: str) -> None:
    cache = load_settings({"CACHE_URL": cache_url})["CACHES"]["default"]

    assert (cache["BACKEND"], cache["LOCATION"]) == (backend, location)


def test_tasks_run_eagerly_without_a_broker_and_queue_with_one() -> None:
    assert load_settings({})["CELERY_TASK_ALWAYS_EAGER"] is True
    with_broker = load_settings({"CELERY_BROKER_URL": "redis://127.0.0.1/0"})
    assert with_broker["CELERY_BROKER_URL"] == "redis://127.0.0.1/0"
    assert with_broker["CELERY_TASK_ALWAYS_EAGER"] is False


def test_old_secret_keys_stay_valid_as_fallbacks() -> None:
    loaded = load_settings({"SECRET_KEY": "new-key", "SECRET_KEY_FALLBACKS": "old-1,old-2"})

    assert loaded["SECRET_KEY"] == "new-key"
    assert loaded["SECRET_KEY_FALLBACKS"] == ["old-1", "old-2"]
