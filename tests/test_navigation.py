"""Menus and buttons lead each role to what it may use, and only to that."""

import pytest
from django.urls import reverse

from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db


def test_admin_sees_export_audit_and_reminder_links(as_user, admin_user):
    consultation = ConsultationFactory()
    page = as_user(admin_user).get(reverse("consultations:consultation-detail", args=[consultation.slug]))
    html = page.content.decode()
    assert reverse("exports:job-create", args=[consultation.slug]) in html
    assert reverse("exports:job-list") in html
    assert reverse("responses:audit-list") in html
    assert reverse("reminders:log-list") in html


@pytest.mark.parametrize("user_fixture", ["policy_user", "reviewer_user"])
def test_other_roles_do_not_see_admin_links(request, as_user, user_fixture):
    consultation = ConsultationFactory()
    client = as_user(request.getfixturevalue(user_fixture))
    html = client.get(reverse("consultations:consultation-detail", args=[consultation.slug])).content.decode()
    assert reverse("exports:job-create", args=[consultation.slug]) not in html
    assert reverse("exports:job-list") not in html
    assert reverse("responses:audit-list") not in html
    assert reverse("reminders:log-list") not in html
    assert reverse("responses:matrix", args=[consultation.slug]) in html
