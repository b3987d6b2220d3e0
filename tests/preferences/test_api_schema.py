from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from preferences.api_access import ERROR_CODES

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_openapi_schema_builds_without_warnings_and_validates(tmp_path) -> None:
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert "/api/v1/lists/{list_uuid}/opt-outs/" in yaml.safe_load(target.read_text())["paths"]


def test_the_schema_documents_the_api_key_scheme_on_every_operation(schema: dict) -> None:
    validate_schema(schema)
    scheme = schema["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert len(operations) == 7
    assert all(op["security"] == [{"ApiKey": []}] for op in operations)


def test_the_schema_lists_every_error_code_and_documents_error_responses(schema: dict) -> None:
    codes = schema["components"]["schemas"]["CodeEnum"]["enum"]
    assert set(codes) == set(ERROR_CODES)
    report = schema["paths"]["/api/v1/lists/{list_uuid}/opt-outs/"]["post"]
    for status in ("400", "401", "403", "404", "413", "415", "429"):
        content = report["responses"][status]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/Error"}
    download = schema["paths"]["/api/v1/lists/{list_uuid}/suppressions/{digest}/"]["get"]
    assert set(download["responses"]["200"]["content"]) == {"text/plain", "application/gzip"}


def test_the_schema_is_served_as_json_and_yaml(client: Client) -> None:
    response = client.get("/api/schema/", headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Optout mailer API"


def test_the_docs_page_loads_swagger_from_our_static_files_without_inline_code(
    client: Client,
) -> None:
    page = client.get("/api/docs/")
    body = page.content.decode()
    script_urls = re.findall(r'<script src="([^"]+)"', body)
    initializer = client.get(script_urls[-1].replace("&amp;", "&"))

    assert page.status_code == 200
    assert re.findall(r"<script(?![^>]*\bsrc=)", body) == []
    assert "<style" not in body
    assert all(url.startswith("/static/") for url in script_urls[:2])
    assert initializer.status_code == 200
    assert initializer["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in initializer.content
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
