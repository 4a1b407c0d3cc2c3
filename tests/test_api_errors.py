"""The API's errors share one shape, and each user is throttled."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from tests.api_helpers import token_client
from tests.factories import (
    ConsultationFactory,
    OrganisationAliasFactory,
    OrganisationFactory,
    ResponseFactory,
)


def error_of(answer) -> dict:
    body = answer.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    return body["error"]


def test_invalid_fields_are_named_with_their_messages(policy_user):
    answer = token_client(policy_user).post(
        "/api/v1/organisations/", {"name": "", "kind": "spaceship", "website": "ftp://x"}, format="json"
    )
    assert answer.status_code == 400
    error = error_of(answer)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"name", "kind", "website"}
    assert all(isinstance(message, str) for messages in error["fields"].values() for message in messages)


def test_a_missing_object_and_a_missing_endpoint_are_404_in_the_same_shape(policy_user):
    client = token_client(policy_user)
    missing = client.get("/api/v1/organisations/999999/")
    assert (missing.status_code, error_of(missing)["code"]) == (404, "not_found")
    nowhere = client.get("/api/v1/nothing-here/")
    assert (nowhere.status_code, error_of(nowhere)["code"]) == (404, "not_found")


def test_a_method_the_endpoint_does_not_take_is_405(admin_user):
    answer = token_client(admin_user).delete(f"/api/v1/responses/{ResponseFactory().pk}/")
    assert (answer.status_code, error_of(answer)["code"]) == (405, "method_not_allowed")


def test_deleting_an_organisation_others_refer_to_is_a_conflict(admin_user):
    issuer = OrganisationFactory()
    ConsultationFactory(issuer=issuer)
    answer = token_client(admin_user).delete(f"/api/v1/organisations/{issuer.pk}/")
    assert (answer.status_code, error_of(answer)["code"]) == (409, "protected")


def test_an_outsider_is_refused_in_the_same_shape(outsider):
    answer = token_client(outsider).get("/api/v1/organisations/")
    assert (answer.status_code, error_of(answer)["code"]) == (403, "permission_denied")


def test_a_bad_token_is_refused(db):
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    answer = client.get("/api/v1/organisations/")
    assert (answer.status_code, error_of(answer)["code"]) == (401, "authentication_failed")


def test_each_user_is_throttled_separately(monkeypatch, policy_user, reviewer_user):
    """Past the per-user rate, 429 with Retry-After; another user is not affected."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute"})
    policy = token_client(policy_user)
    assert [policy.get("/api/v1/topics/").status_code for _ in range(3)] == [200, 200, 200]
    throttled = policy.get("/api/v1/topics/")
    assert throttled.status_code == 429
    error = error_of(throttled)
    assert error["code"] == "throttled"
    assert 0 < error["retry_after"] <= 60
    assert int(throttled["Retry-After"]) == error["retry_after"]
    assert token_client(reviewer_user).get("/api/v1/topics/").status_code == 200


# --- ?search= on organisations, as on their list page -----------------------------------------------


def test_organisations_are_searched_by_name_or_alias_as_on_the_list_page(policy_user):
    meta = OrganisationFactory(name="Facebook")
    OrganisationAliasFactory(organisation=meta, name="Meta Platforms")
    OrganisationAliasFactory(organisation=meta, name="Meta Ireland")
    OrganisationFactory(name="Google")
    client = token_client(policy_user)
    by_alias = client.get("/api/v1/organisations/", {"search": "meta"}).json()["results"]
    assert [row["name"] for row in by_alias] == ["Facebook"]
    assert sorted(by_alias[0]["aliases"]) == ["Meta Ireland", "Meta Platforms"]
    by_name = client.get("/api/v1/organisations/", {"search": "GOOG"}).json()["results"]
    assert [row["name"] for row in by_name] == ["Google"]


@pytest.mark.parametrize(("ordering", "expected"), [("name", ["Acme", "Zeta"]), ("-name", ["Zeta", "Acme"])])
def test_organisations_are_ordered_on_request(policy_user, ordering, expected):
    OrganisationFactory(name="Zeta")
    OrganisationFactory(name="Acme")
    rows = token_client(policy_user).get("/api/v1/organisations/", {"ordering": ordering}).json()["results"]
    assert [row["name"] for row in rows] == expected


def test_an_organisation_made_through_the_api_gets_a_free_slug(policy_user):
    OrganisationFactory(name="Acme", slug="acme")
    answer = token_client(policy_user).post("/api/v1/organisations/", {"name": "Acme"}, format="json")
    assert (answer.status_code, answer.json()["slug"]) == (201, "acme-2")
