"""Every API endpoint answers each role as the pages do: anonymous 401, outsider 403, and the roles'
permissions from accounts.roles for Policy staff, Reviewer and Admin."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api_helpers import ROLES, make_world, token_client

# Expected status per role, in the order of ROLES: anonymous, outsider, policy, reviewer, admin.
READ = (401, 403, 200, 200, 200)
ADMIN_READ = (401, 403, 403, 403, 200)
EDIT = (401, 403, 200, 403, 200)
CREATE = (401, 403, 201, 403, 201)
ADMIN_CREATE = (401, 403, 403, 403, 201)
DELETE_BY_EDITORS = (401, 403, 204, 403, 204)
DELETE_BY_ADMIN = (401, 403, 403, 403, 204)
TAKE_PART = (401, 403, 201, 201, 201)  # the drafting team and the reviewer asked to review
RESOLVE = (401, 403, 200, 200, 200)


def upload():
    return {"files": [SimpleUploadedFile("note.txt", b"Plain words about child online protection.\n")]}


# (name, method, path from the world, body from the world, expected, format)
CASES = [
    ("organisation list", "get", lambda w: "/api/v1/organisations/", None, READ),
    ("organisation detail", "get", lambda w: f"/api/v1/organisations/{w['organisation'].pk}/", None, READ),
    ("organisation create", "post", lambda w: "/api/v1/organisations/", lambda w: {"name": "Google"}, CREATE),
    (
        "organisation change",
        "patch",
        lambda w: f"/api/v1/organisations/{w['organisation'].pk}/",
        lambda w: {"notes": "Sent a letter."},
        EDIT,
    ),
    (
        "organisation delete",
        "delete",
        lambda w: f"/api/v1/organisations/{w['spare_organisation'].pk}/",
        None,
        DELETE_BY_ADMIN,
    ),
    ("contact list", "get", lambda w: "/api/v1/contacts/", None, READ),
    ("contact detail", "get", lambda w: f"/api/v1/contacts/{w['contact'].pk}/", None, READ),
    (
        "contact create",
        "post",
        lambda w: "/api/v1/contacts/",
        lambda w: {"organisation": w["organisation"].pk, "name": "Jane Doe", "email": "jane@example.org"},
        CREATE,
    ),
    ("contact delete", "delete", lambda w: f"/api/v1/contacts/{w['contact'].pk}/", None, DELETE_BY_EDITORS),
    ("consultation list", "get", lambda w: "/api/v1/consultations/", None, READ),
    ("consultation detail", "get", lambda w: f"/api/v1/consultations/{w['consultation'].pk}/", None, READ),
    (
        "consultation create",
        "post",
        lambda w: "/api/v1/consultations/",
        lambda w: {"title": "New rules", "issuer": w["organisation"].pk, "deadline": "2030-01-31T23:59:00Z"},
        CREATE,
    ),
    (
        "consultation change",
        "patch",
        lambda w: f"/api/v1/consultations/{w['consultation'].pk}/",
        lambda w: {"summary": "About child online protection."},
        EDIT,
    ),
    ("question list", "get", lambda w: "/api/v1/questions/", None, READ),
    (
        "question create",
        "post",
        lambda w: "/api/v1/questions/",
        lambda w: {"consultation": w["consultation"].pk, "number": "2", "text": "Anything else?"},
        CREATE,
    ),
    ("topic list", "get", lambda w: "/api/v1/topics/", None, READ),
    ("topic detail", "get", lambda w: f"/api/v1/topics/{w['topic'].pk}/", None, READ),
    (
        "topic create",
        "post",
        lambda w: "/api/v1/topics/",
        lambda w: {"consultation": w["consultation"].pk, "name": "Capacity building"},
        CREATE,
    ),
    ("response list", "get", lambda w: "/api/v1/responses/", None, READ),
    ("response detail", "get", lambda w: f"/api/v1/responses/{w['received'].pk}/", None, READ),
    (
        "response log",
        "post",
        lambda w: "/api/v1/responses/",
        lambda w: {
            "consultation": w["consultation"].pk,
            "organisation": w["spare_organisation"].pk,
            "channel": "email",
        },
        CREATE,
    ),
    (
        "response change",
        "patch",
        lambda w: f"/api/v1/responses/{w['received'].pk}/",
        lambda w: {"version": w["received"].version, "summary": "Corrected."},
        EDIT,
    ),
    (
        "response submit",
        "post",
        lambda w: f"/api/v1/responses/{w['approved'].pk}/submit/",
        lambda w: {"channel": "portal"},
        (401, 403, 200, 403, 200),
    ),
    ("response attachments", "get", lambda w: f"/api/v1/responses/{w['received'].pk}/attachments/", None, READ),
    ("attachment list", "get", lambda w: "/api/v1/attachments/", None, READ),
    ("attachment detail", "get", lambda w: f"/api/v1/attachments/{w['attachment'].pk}/", None, READ),
    ("attachment download", "get", lambda w: f"/api/v1/attachments/{w['attachment'].pk}/download/", None, READ),
    ("comment list", "get", lambda w: "/api/v1/comments/", None, READ),
    ("comment detail", "get", lambda w: f"/api/v1/comments/{w['comment'].pk}/", None, READ),
    (
        "comment create",
        "post",
        lambda w: "/api/v1/comments/",
        lambda w: {"response": w["draft"].pk, "body": "Cite the report?"},
        TAKE_PART,
    ),
    ("comment resolve", "post", lambda w: f"/api/v1/comments/{w['comment'].pk}/resolve/", None, RESOLVE),
    ("export job list", "get", lambda w: "/api/v1/export-jobs/", None, ADMIN_READ),
    ("export job detail", "get", lambda w: f"/api/v1/export-jobs/{w['job'].pk}/", None, ADMIN_READ),
    (
        "export job create",
        "post",
        lambda w: "/api/v1/export-jobs/",
        lambda w: {"consultation": w["consultation"].pk, "format": "csv"},
        ADMIN_CREATE,
    ),
    ("export job download", "get", lambda w: f"/api/v1/export-jobs/{w['job'].pk}/download/", None, ADMIN_READ),
    ("reminder list", "get", lambda w: "/api/v1/reminders/", None, ADMIN_READ),
    ("reminder detail", "get", lambda w: f"/api/v1/reminders/{w['reminder'].pk}/", None, ADMIN_READ),
    ("schema", "get", lambda w: "/api/schema/?format=json", None, READ),
]


@pytest.fixture
def world(policy_user, reviewer_user, admin_user):
    return make_world(policy_user=policy_user, reviewer_user=reviewer_user, admin_user=admin_user)


@pytest.fixture
def users(policy_user, reviewer_user, admin_user, outsider):
    return {
        "anonymous": None,
        "outsider": outsider,
        "policy": policy_user,
        "reviewer": reviewer_user,
        "admin": admin_user,
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "path", "body", "expected"), CASES, ids=[case[0] for case in CASES])
def test_each_endpoint_answers_each_role_as_the_pages_do(world, users, role, name, method, path, body, expected):
    """An endpoint lets in exactly the roles whose permissions allow it; others are refused in the error shape."""
    client = token_client(users[role])
    send = getattr(client, method)
    data = body(world) if body else None
    answer = send(path(world), data, format="json") if data is not None else send(path(world))
    wanted = expected[ROLES.index(role)]
    assert answer.status_code == wanted, (name, role, getattr(answer, "data", None))
    if wanted >= 400:
        assert set(answer.json()["error"]) >= {"code", "message", "fields"}


@pytest.mark.parametrize("role", ROLES)
def test_upload_through_the_api_follows_the_roles(world, users, role):
    """Uploading a file to a response is for policy staff and admins."""
    client = token_client(users[role])
    answer = client.post(f"/api/v1/responses/{world['received'].pk}/attachments/", upload(), format="multipart")
    assert answer.status_code == CREATE[ROLES.index(role)]


def test_anonymous_callers_are_told_how_to_authenticate(db):
    """401 names the Token scheme, so a client knows what to send."""
    answer = token_client().get("/api/v1/organisations/")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Token"
    assert answer.json()["error"]["code"] == "not_authenticated"


def test_the_session_of_a_signed_in_team_member_works_in_the_browser(client, policy_user, world):
    """The browser's session authenticates API calls, as for the documentation's "try it out"."""
    client.force_login(policy_user)
    answer = client.get("/api/v1/organisations/")
    assert answer.status_code == 200
    assert "Facebook" in [row["name"] for row in answer.json()["results"]]
