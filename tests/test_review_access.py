"""Who may open each page of drafts and reviews: every view, for each role, an outsider and an anonymous visitor."""

import re

import pytest
from django.urls import reverse

from responses import services
from tests.factories import CommentFactory, DraftFactory, ReviewRequestFactory

pytestmark = pytest.mark.django_db

READ, WRITE, TAKE_PART, ADMIN = "read", "write", "take part", "admin"
# What each kind of view lets in: reading is for every role, writing for policy staff and admins,
# taking part (comment, decide) for every role with the rules checked inside, the rest for admins.
ALLOWED = {
    "policy_user": {READ, WRITE, TAKE_PART},
    "reviewer_user": {READ, TAKE_PART},
    "admin_user": {READ, WRITE, TAKE_PART, ADMIN},
    "outsider": set(),
}


def _views(draft, comment) -> list[tuple[str, str, str, str]]:
    """(name, method, url, kind) for every view of drafts and reviews."""
    pk = draft.pk
    return [
        ("response-detail", "get", reverse("responses:response-detail", args=[pk]), READ),
        ("version-list", "get", reverse("responses:version-list", args=[pk]), READ),
        ("version-diff", "get", reverse("responses:version-diff", args=[pk]), READ),
        ("response-audit", "get", reverse("responses:response-audit", args=[pk]), READ),
        ("my-work", "get", reverse("responses:my-work"), READ),
        ("draft-create", "get", reverse("responses:draft-create"), WRITE),
        ("draft-create", "post", reverse("responses:draft-create"), WRITE),
        ("draft-edit", "get", reverse("responses:draft-edit", args=[pk]), WRITE),
        ("draft-edit", "post", reverse("responses:draft-edit", args=[pk]), WRITE),
        ("draft-preview", "post", reverse("responses:draft-preview"), WRITE),
        ("version-restore", "post", reverse("responses:version-restore", args=[pk, 1]), WRITE),
        ("review-request", "get", reverse("responses:review-request", args=[pk]), WRITE),
        ("review-request", "post", reverse("responses:review-request", args=[pk]), WRITE),
        ("response-submit", "get", reverse("responses:response-submit", args=[pk]), WRITE),
        ("response-submit", "post", reverse("responses:response-submit", args=[pk]), WRITE),
        ("review-decide", "post", reverse("responses:review-decide", args=[pk]), TAKE_PART),
        ("comment-add", "post", reverse("responses:comment-add", args=[pk]), TAKE_PART),
        ("comment-resolve", "post", reverse("responses:comment-resolve", args=[comment.pk]), TAKE_PART),
        ("comment-reopen", "post", reverse("responses:comment-reopen", args=[comment.pk]), TAKE_PART),
        ("response-reopen", "get", reverse("responses:response-reopen", args=[pk]), ADMIN),
        ("response-reopen", "post", reverse("responses:response-reopen", args=[pk]), ADMIN),
        ("audit-list", "get", reverse("responses:audit-list"), ADMIN),
    ]


@pytest.fixture
def setting(reviewer_user):
    request = ReviewRequestFactory(reviewer=reviewer_user)
    return request.response, CommentFactory(response=request.response, author=reviewer_user)


@pytest.mark.parametrize("user_fixture", list(ALLOWED))
def test_every_view_lets_in_exactly_the_right_roles(request, client, setting, user_fixture):
    """Policy staff write, reviewers read and take part, admins do everything, outsiders get 403."""
    client.force_login(request.getfixturevalue(user_fixture))
    for name, method, url, kind in _views(*setting):
        response = getattr(client, method)(url)
        if kind in ALLOWED[user_fixture]:
            assert response.status_code in {200, 302, 409}, (name, method, response.status_code)
            if response.status_code == 302:
                assert "/accounts/login/" not in response["Location"], name
        else:
            assert response.status_code == 403, (name, method, response.status_code)


def test_anonymous_visitors_are_sent_to_login_from_every_view(client, setting):
    for name, method, url, _kind in _views(*setting):
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login")), name


def test_state_changes_refuse_get(as_user, admin_user, setting):
    draft, comment = setting
    client = as_user(admin_user)
    for name, method, url, _kind in _views(draft, comment):
        if method == "post" and not any(m == "get" and n == name for n, m, _u, _k in _views(draft, comment)):
            assert client.get(url).status_code == 405, name


def test_unknown_drafts_and_comments_are_404(as_user, admin_user):
    client = as_user(admin_user)
    assert client.get(reverse("responses:version-list", args=[999999])).status_code == 404
    assert client.post(reverse("responses:comment-resolve", args=[999999])).status_code == 404


def test_a_reviewer_sees_no_editing_control_on_a_draft(as_user, reviewer_user, setting):
    draft, _comment = setting
    content = as_user(reviewer_user).get(draft.get_absolute_url()).content.decode()
    for name in ["draft-edit", "review-request", "response-submit", "response-reopen"]:
        assert f'href="{reverse(f"responses:{name}", args=[draft.pk])}"' not in content, name


def test_only_admins_are_offered_to_reopen(as_user, policy_user, admin_user, reviewer_user):
    submitted = DraftFactory(status="submitted", owner=policy_user)
    url = f'href="{reverse("responses:response-reopen", args=[submitted.pk])}"'
    assert url in as_user(admin_user).get(submitted.get_absolute_url()).content.decode()
    assert url not in as_user(policy_user).get(submitted.get_absolute_url()).content.decode()


def test_pages_carry_no_inline_script(as_user, admin_user, policy_user, reviewer_user, setting):
    """Scripts come from files only: the draft pages would pass a strict CSP."""
    draft, _comment = setting
    services.draft_save(response=draft, by=policy_user, expected_version=1, body="Changed.", summary="")
    client = as_user(admin_user)
    for name, method, url, _kind in _views(*setting):
        if method != "get":
            continue
        content = client.get(url).content
        assert all(b"src=" in tag for tag in re.findall(rb"<script\b[^>]*>", content)), name
        assert not re.search(rb"\son[a-z]+=", content), name
