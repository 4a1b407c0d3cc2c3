"""The OpenAPI 3 schema is valid and describes every endpoint with examples; its documentation pages
are served from local files to team members only."""

import json
import re

import pytest
from django.urls import reverse
from openapi_spec_validator import validate

from tests.api_helpers import token_client


@pytest.fixture
def schema(policy_user) -> dict:
    answer = token_client(policy_user).get("/api/schema/", {"format": "json"})
    assert answer.status_code == 200
    return json.loads(answer.content)


def test_the_schema_validates_as_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises on any error


def test_every_endpoint_the_router_serves_is_in_the_schema(schema):
    expected = {
        "/api/v1/organisations/",
        "/api/v1/contacts/",
        "/api/v1/consultations/",
        "/api/v1/questions/",
        "/api/v1/topics/",
        "/api/v1/responses/",
        "/api/v1/responses/{id}/",
        "/api/v1/responses/{id}/attachments/",
        "/api/v1/responses/{id}/submit/",
        "/api/v1/attachments/",
        "/api/v1/attachments/{id}/download/",
        "/api/v1/comments/",
        "/api/v1/comments/{id}/resolve/",
        "/api/v1/export-jobs/",
        "/api/v1/export-jobs/{id}/",
        "/api/v1/export-jobs/{id}/download/",
        "/api/v1/reminders/",
    }
    assert expected <= set(schema["paths"])


def test_every_operation_is_summarised_and_described(schema):
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 50
    for path, method, operation in operations:
        assert operation.get("summary"), (path, method)
        assert operation.get("description"), (path, method)


def test_every_resource_has_an_example(schema):
    """Each endpoint family shows an example of what it returns or takes."""
    text = json.dumps(schema)
    for path, item in schema["paths"].items():
        if re.search(r"\{id\}/(download|resolve|reopen)/$", path):
            continue
        examples = re.findall(r'"examples"', json.dumps(item))
        if path.endswith("{id}/") and "get" in item:
            family = path.rsplit("{id}/", 1)[0]
            examples += re.findall(r'"examples"', json.dumps(schema["paths"].get(family, {})))
        assert examples, path
    assert "Token" in text


def test_the_token_scheme_is_documented(schema):
    schemes = schema["components"]["securitySchemes"]
    assert any(scheme.get("type") == "apiKey" and scheme.get("name") == "Authorization" for scheme in schemes.values())


def test_the_validated_schema_command_has_no_warning(capsys):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


@pytest.mark.parametrize("name", ["api-docs", "api-redoc"])
def test_the_documentation_pages_use_local_assets_only(as_user, reviewer_user, name):
    page = as_user(reviewer_user).get(reverse(name))
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)


@pytest.mark.parametrize("name", ["api-docs", "api-redoc"])
def test_the_documentation_pages_have_no_inline_script(as_user, reviewer_user, name):
    """No inline script (CSP): Swagger UI's initialisation is served as its own JavaScript."""
    html = as_user(reviewer_user).get(reverse(name)).content.decode()
    assert "<script" in html
    for block in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        assert "src=" in block[0] and not block[1].strip()


def test_the_documentation_is_refused_to_outsiders_and_anonymous(client, as_user, outsider):
    assert client.get(reverse("api-docs")).status_code == 302
    assert as_user(outsider).get(reverse("api-docs")).status_code == 403
    assert as_user(outsider).get(reverse("api-redoc")).status_code == 403
