"""Who may do what on the consultation pages: every view, for each role, an outsider and a visitor."""

import pytest
from django.urls import reverse

from consultations.models import Consultation, Invitation
from tests.factories import ConsultationFactory, InvitationFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

MANAGERS = ["policy_user", "admin_user"]
EVERY_ROLE = ["policy_user", "reviewer_user", "admin_user"]
REFUSED = ["reviewer_user", "outsider"]


@pytest.fixture
def consultation():
    return ConsultationFactory(slug="cop", title="COP Results Framework")


def create_data() -> dict:
    data = {
        "title": "A new consultation",
        "issuer": str(OrganisationFactory().pk),
        "time_zone": "UTC",
        "deadline": "2031-01-31T23:59",
    }
    for prefix in ("questions", "topics"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def edit_data(consultation: Consultation) -> dict:
    return {**create_data(), "title": "Renamed", "slug": consultation.slug, "issuer": str(consultation.issuer_id)}


READ_URLS = [
    lambda c: reverse("consultations:consultation-list"),
    lambda c: reverse("consultations:consultation-detail", args=[c.slug]),
]
FORM_URLS = [
    lambda c: reverse("consultations:consultation-create"),
    lambda c: reverse("consultations:consultation-edit", args=[c.slug]),
]


@pytest.mark.parametrize("url", READ_URLS, ids=["list", "detail"])
@pytest.mark.parametrize("user_fixture", EVERY_ROLE)
def test_every_role_reads_the_list_and_the_page(request, as_user, consultation, url, user_fixture):
    client = as_user(request.getfixturevalue(user_fixture))
    response = client.get(url(consultation))
    assert response.status_code == 200
    assert b"COP Results Framework" in response.content


@pytest.mark.parametrize("url", READ_URLS + FORM_URLS, ids=["list", "detail", "create", "edit"])
def test_an_outsider_is_refused_every_page(as_user, outsider, consultation, url):
    assert as_user(outsider).get(url(consultation)).status_code == 403


@pytest.mark.parametrize("url", READ_URLS + FORM_URLS, ids=["list", "detail", "create", "edit"])
def test_a_visitor_is_sent_to_login(client, consultation, url):
    response = client.get(url(consultation))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


@pytest.mark.parametrize("user_fixture", MANAGERS)
def test_policy_staff_and_admins_see_the_form_pages(request, as_user, consultation, user_fixture):
    client = as_user(request.getfixturevalue(user_fixture))
    for url in FORM_URLS:
        response = client.get(url(consultation))
        assert response.status_code == 200
        assert b'data-testid="consultation-form"' in response.content


@pytest.mark.parametrize("user_fixture", MANAGERS)
def test_policy_staff_and_admins_create_and_edit(request, as_user, consultation, user_fixture):
    client = as_user(request.getfixturevalue(user_fixture))
    assert client.post(reverse("consultations:consultation-create"), create_data()).status_code == 302
    assert Consultation.objects.filter(title="A new consultation").exists()
    response = client.post(
        reverse("consultations:consultation-edit", args=[consultation.slug]), edit_data(consultation)
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.title == "Renamed"


@pytest.mark.parametrize("user_fixture", MANAGERS)
def test_policy_staff_and_admins_manage_invitations(request, as_user, consultation, user_fixture):
    client = as_user(request.getfixturevalue(user_fixture))
    organisation = OrganisationFactory()
    response = client.post(
        reverse("consultations:invitation-create", args=[consultation.slug]), {"organisation": organisation.pk}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    response = client.post(reverse("consultations:invitation-delete", args=[consultation.slug, invitation.pk]))
    assert response.status_code == 302
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("user_fixture", REFUSED)
def test_reviewers_and_outsiders_cannot_change_anything(request, as_user, consultation, user_fixture):
    """Reviewers read only: the form pages, saving, and invitations all answer 403, and nothing changes."""
    client = as_user(request.getfixturevalue(user_fixture))
    invitation = InvitationFactory(consultation=consultation)
    for url in FORM_URLS:
        assert client.get(url(consultation)).status_code == 403
    assert client.post(reverse("consultations:consultation-create"), create_data()).status_code == 403
    edit_url = reverse("consultations:consultation-edit", args=[consultation.slug])
    assert client.post(edit_url, edit_data(consultation)).status_code == 403
    invite_url = reverse("consultations:invitation-create", args=[consultation.slug])
    assert client.post(invite_url, {"organisation": OrganisationFactory().pk}).status_code == 403
    withdraw_url = reverse("consultations:invitation-delete", args=[consultation.slug, invitation.pk])
    assert client.post(withdraw_url).status_code == 403
    assert Consultation.objects.count() == 1
    assert consultation.title == Consultation.objects.get().title
    assert list(Invitation.objects.all()) == [invitation]


def test_a_visitor_cannot_post_either(client, consultation):
    invitation = InvitationFactory(consultation=consultation)
    urls = [
        reverse("consultations:consultation-create"),
        reverse("consultations:invitation-create", args=[consultation.slug]),
        reverse("consultations:invitation-delete", args=[consultation.slug, invitation.pk]),
    ]
    for url in urls:
        response = client.post(url, {"organisation": invitation.organisation_id})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert Invitation.objects.count() == 1


def test_invitation_changes_are_post_only(as_user, policy_user, consultation):
    invitation = InvitationFactory(consultation=consultation)
    client = as_user(policy_user)
    assert client.get(reverse("consultations:invitation-create", args=[consultation.slug])).status_code == 405
    url = reverse("consultations:invitation-delete", args=[consultation.slug, invitation.pk])
    assert client.get(url).status_code == 405
    assert Invitation.objects.count() == 1


def test_reviewers_see_no_buttons_that_change_things(as_user, reviewer_user, consultation):
    InvitationFactory(consultation=consultation)
    client = as_user(reviewer_user)
    listing = client.get(reverse("consultations:consultation-list")).content.decode()
    assert reverse("consultations:consultation-create") not in listing
    page = client.get(reverse("consultations:consultation-detail", args=[consultation.slug])).content.decode()
    assert reverse("consultations:consultation-edit", args=[consultation.slug]) not in page
    assert reverse("consultations:invitation-create", args=[consultation.slug]) not in page
    assert "/delete/" not in page


@pytest.mark.parametrize("user_fixture", MANAGERS)
def test_policy_staff_and_admins_see_the_buttons(request, as_user, consultation, user_fixture):
    invitation = InvitationFactory(consultation=consultation)
    client = as_user(request.getfixturevalue(user_fixture))
    listing = client.get(reverse("consultations:consultation-list")).content.decode()
    assert reverse("consultations:consultation-create") in listing
    page = client.get(reverse("consultations:consultation-detail", args=[consultation.slug])).content.decode()
    assert reverse("consultations:consultation-edit", args=[consultation.slug]) in page
    assert reverse("consultations:invitation-create", args=[consultation.slug]) in page
    assert reverse("consultations:invitation-delete", args=[consultation.slug, invitation.pk]) in page
