"""The baseline every endpoint is compared with: a bare Django view doing one INSERT.

It goes through the same middleware as the public views and answers a POST with the same
body the one-click scenario sends, so a ratio to it measures our own work per request.
The table belongs to the bench (bench/seed.py creates it); no migration, no model.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

TABLE = "bench_hit"
CREATE_TABLE = f"""
    CREATE TABLE IF NOT EXISTS {TABLE} (
        id bigserial PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        request_id varchar(64) NOT NULL
    )
"""


@csrf_exempt
@require_POST
def insert(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (request_id) VALUES (%s)",  # constant name
            [request.request_id],  # type: ignore[attr-defined]  # set by RequestIdMiddleware
        )
    return HttpResponse("ok\n", content_type="text/plain")
