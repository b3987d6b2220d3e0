from __future__ import annotations

from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_when_the_database_answers(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_unreachable(client: Client) -> None:
    # The database is off the machine in production; here its failure is simulated.
    with mock.patch("config.views.connection.cursor", side_effect=DatabaseError("gone")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def test_healthz_refuses_post(client: Client) -> None:
    response = client.post("/healthz")

    assert response.status_code == 405
