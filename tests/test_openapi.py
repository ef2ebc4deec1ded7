"""GET /api/openapi.json: the whole public surface, generated from the code."""
from __future__ import annotations

import warnings

from openapi_spec_validator import validate


def test_openapi_document_is_valid_and_names_the_public_surface(client):
    res = client.get("/api/openapi.json")
    assert res.status_code == 200
    doc = res.json
    validate(doc)
    assert doc["openapi"].startswith("3.")
    for path in ["/api/v1/campaigns", "/api/v1/campaigns/{campaign_id}", "/api/v1/campaigns/{campaign_id}/stats",
                 "/api/v1/sharers", "/api/v1/links", "/api/v1/conversions", "/api/v1/sharers/{sharer_id}/earnings",
                 "/r/{code}"]:
        assert path in doc["paths"], path
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    conversion = doc["components"]["schemas"]["ConversionIn"]["properties"]
    assert conversion["amount"]["type"] == "string"


def test_errors_are_documented_in_the_one_error_shape(client):
    doc = client.get("/api/openapi.json").json
    assert set(doc["components"]["schemas"]["Error"]["properties"]) == {"error"}


def test_every_schema_keeps_its_own_name(app, tmp_path):
    """Two schemas of one class name would be renamed by apispec ("RefuseIn1"): a client generated from
    the document would get names that change with import order."""
    from app import create_app

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "again", "DATABASE_URL": app.config["DATABASE_URL"],
                    "REDIS_URL": app.config["REDIS_URL"], "SECRET_KEY": "test-secret"})
    assert [str(w.message)[:80] for w in caught if "Multiple schemas resolved" in str(w.message)] == []
