from __future__ import annotations

from typing import Any

import pytest
from django.db import connection


@pytest.fixture
def on_postgresql(transactional_db: None) -> None:
    """Skip unless the suite runs on PostgreSQL (DATABASE_URL set, as on CI)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """PBKDF2 at full strength costs most of a test's time; what it protects is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
