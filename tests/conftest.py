from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which database and Celery mode a run used, so CI logs prove both databases ran."""
    celery = "with a broker" if settings.CELERY_BROKER_URL else "eager"
    return [f"optout: database {connection.vendor}, celery tasks {celery}"]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgresql") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    # .ci/run starts Redis and `celery -A config worker` on the test_<name> database, then
    # runs `pytest -m celery_worker` with CELERY_BROKER_URL; such tests commit
    # (transactional_db) and wait for the worker's effect in the database.
    if item.get_closest_marker("celery_worker") and not settings.CELERY_BROKER_URL:
        pytest.skip("needs a Celery broker and a running worker (set CELERY_BROKER_URL)")


@pytest.fixture
def on_postgresql(transactional_db: None) -> None:
    """Skip unless the suite runs on PostgreSQL (DATABASE_URL set, as on CI)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """PBKDF2 at full strength costs most of a test's time; what it protects is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Celery: eager everywhere but in tests that need the real worker -----------------------


@pytest.fixture(autouse=True)
def _celery_mode(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in-process unless the test is marked `celery_worker`.

    CI exports CELERY_BROKER_URL for the worker tests; every other test still runs its
    tasks eagerly, so it needs no broker and sees the result at once.
    """
    from config.celery import app  # noqa: PLC0415  # only where a test runs

    eager = request.node.get_closest_marker("celery_worker") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """Each test starts in English, whatever language an earlier request left active."""
    from django.utils import translation  # noqa: PLC0415

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The system's headless Chromium, shared by one module's browser tests."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  # browser tests only

    from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: PLC0415

    # Playwright's sync API runs an event loop in this thread; the tests' ORM calls are sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh desktop-sized page (its own context: no cookies carried between tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()
