"""The OpenAPI schema validates without warnings; its docs page is served."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from django.test import Client


def test_schema_validates_without_warnings(tmp_path: object) -> None:
    out = tmp_path / "schema.yml"  # type: ignore[operator]
    # --fail-on-warn turns any drf-spectacular warning into SchemaGenerationError.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert {
        "/api/v1/trials/",
        "/api/v1/trials/{nct_id}/",
        "/api/v1/screen/",
        "/api/v1/vocabulary/",
    } <= set(schema["paths"])
    screen = schema["paths"]["/api/v1/screen/"]["post"]
    assert set(screen["responses"]) == {"200", "400"}


@pytest.mark.django_db
def test_schema_and_docs_pages_are_served(client: Client) -> None:
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Assets from our own static files (drf-spectacular-sidecar), not a CDN.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html
