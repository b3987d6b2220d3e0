from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection


@pytest.fixture
def on_postgresql(transactional_db: None) -> None:
    """Skip unless the suite runs on PostgreSQL (DATABASE_URL set, as on CI)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


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
