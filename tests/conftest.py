from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def on_postgresql(transactional_db: None) -> None:
    """Skip unless the suite runs on PostgreSQL (DATABASE_URL set, as on CI)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
