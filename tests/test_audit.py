"""The audit trail: who did what and when, per response and, for admins, across the site."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from responses import services
from responses.models import EventKind, ResponseEvent
from tests.factories import ConsultationFactory, DraftFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def journey(policy_user, reviewer_user, admin_user):
    """A draft reviewed, approved, submitted and reopened by an admin."""
    draft = services.draft_create(
        consultation=ConsultationFactory(title="COP Results Framework"),
        organisation=OrganisationFactory(),
        by=policy_user,
        body="Text.",
    )
    services.response_request_review(
        response=draft, by=policy_user, reviewers=[reviewer_user], due_at=timezone.now() + datetime.timedelta(days=1)
    )
    services.response_decide(response=draft, by=reviewer_user, approve=True)
    services.response_submit(response=draft, by=policy_user, channel="letter", submitted_at=timezone.now())
    services.response_reopen(response=draft, by=admin_user, reason="The issuer reopened its consultation.")
    return draft


def test_the_response_audit_lists_each_step_with_who_and_why(as_user, journey, reviewer_user):
    page = as_user(reviewer_user).get(reverse("responses:response-audit", args=[journey.pk]))
    events = list(page.context["page_obj"])
    assert [event.kind for event in events] == [
        EventKind.REOPENED,
        EventKind.SUBMITTED,
        EventKind.APPROVED,
        EventKind.REVIEW_REQUESTED,
        EventKind.CREATED,
    ]
    content = page.content.decode()
    assert "The issuer reopened its consultation." in content
    assert "Submitted → Draft" in content
    assert str(reviewer_user) in content


def test_history_keeps_who_made_each_change(journey, policy_user, admin_user):
    """Workflow steps made by UPDATE still leave a historical row naming their author."""
    authors = list(journey.history.order_by("history_id").values_list("history_user__username", "status"))
    assert authors[0] == (policy_user.username, "draft")
    assert (admin_user.username, "draft") == authors[-1]
    assert ("policy", "submitted") in authors


def test_the_site_audit_is_for_admins_and_filters_by_what_who_where_and_when(
    as_user, journey, admin_user, policy_user, reviewer_user
):
    other = DraftFactory(consultation=ConsultationFactory(title="Another"))
    services.comment_add(response=other, by=policy_user, body="Note")
    old = ResponseEvent.objects.create(
        response=other,
        actor=policy_user,
        kind=EventKind.SAVED,
        version=1,
        created_at=timezone.now() - datetime.timedelta(days=40),
    )
    client = as_user(admin_user)
    url = reverse("responses:audit-list")
    everything = client.get(url)
    assert len(everything.context["page_obj"]) == ResponseEvent.objects.count() == 7
    by_kind = client.get(url, {"kind": EventKind.REOPENED}).context["page_obj"]
    assert [event.actor for event in by_kind] == [admin_user]
    by_actor = client.get(url, {"actor": reviewer_user.pk}).context["page_obj"]
    assert [event.kind for event in by_actor] == [EventKind.APPROVED]
    by_consultation = client.get(url, {"consultation": other.consultation_id}).context["page_obj"]
    assert {event.response_id for event in by_consultation} == {other.pk}
    since = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    recent = client.get(url, {"since": since}).context["page_obj"]
    assert old not in list(recent) and len(recent) == 6
    until = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    assert list(client.get(url, {"until": until}).context["page_obj"]) == [old]
    assert as_user(policy_user).get(url).status_code == 403


def test_the_site_audit_is_paginated_and_its_query_count_does_not_grow(as_user, admin_user, policy_user):
    draft = DraftFactory()
    ResponseEvent.objects.create(response=draft, actor=policy_user, kind=EventKind.SAVED, version=1)
    client = as_user(admin_user)
    url = reverse("responses:audit-list")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for number in range(60):
        ResponseEvent.objects.create(
            response=DraftFactory() if number % 20 == 0 else draft, actor=policy_user, kind=EventKind.SAVED, version=1
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(page.context["page_obj"]) == 50
    assert 'rel="next"' in page.content.decode()
    assert len(many) == len(one)
    assert len(client.get(url, {"page": 2}).context["page_obj"]) == 11
