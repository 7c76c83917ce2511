"""The OpenAPI document and its browsable docs."""

import pytest
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_schema_is_valid_openapi_and_lists_the_community_resources(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    paths = schema["paths"]
    for resource in ["areas", "organisations", "people", "party-members", "role-grants"]:
        assert f"/api/v1/{resource}/" in paths
        assert f"/api/v1/{resource}/{{id}}/" in paths
    assert "/api/v1/auth/token/" in paths
    assert set(paths["/api/v1/organisations/"]) >= {"get", "post"}
    assert set(paths["/api/v1/organisations/{id}/"]) >= {"get", "put", "patch"}
    assert "delete" in paths["/api/v1/role-grants/{id}/"]
    assert "put" not in paths["/api/v1/areas/{id}/"]
    within = [p for p in paths["/api/v1/areas/"]["get"]["parameters"] if p["name"] == "within"]
    assert within and within[0]["schema"]["type"] == "integer"


def test_input_schemas_do_not_offer_internal_fields(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]

    org_input = components["OrganisationInputRequest"]["properties"]
    assert "id" not in org_input and "created_at" not in org_input
    grant_input = components["RoleGrantInputRequest"]["properties"]
    assert "is_staff" not in grant_input and "granted_by" not in grant_input


def test_docs_page_is_served(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_errors_are_documented_in_the_platform_format(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    error = schema["components"]["schemas"]["ErrorOutput"]
    assert {"detail", "code"} <= set(error["required"])
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert token["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOutput")
    retrieve = schema["paths"]["/api/v1/people/{id}/"]["get"]["responses"]
    assert retrieve["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOutput")


def test_the_community_api_generates_without_schema_warnings(capsys):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    GENERATOR_STATS.emit_summary()

    emitted = capsys.readouterr().err
    ours = [line for line in emitted.splitlines() if "community" in line or "Enum" in line]
    assert not ours, ours
