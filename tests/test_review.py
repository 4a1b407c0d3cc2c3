"""Reviewing drafts: requesting a review with a due date, anchored comments and threads, decisions, my work."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from responses import services
from responses.models import Comment, EventKind, ResponseEvent, ResponseStatus, ReviewDecision, ReviewRequest
from tests.factories import (
    DRAFT_BODY,
    ConsultationFactory,
    DraftFactory,
    OrganisationFactory,
    ReviewRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def consultation():
    return ConsultationFactory(title="COP Results Framework", deadline=timezone.now() + datetime.timedelta(days=20))


@pytest.fixture
def draft(policy_user, consultation):
    return services.draft_create(
        consultation=consultation, organisation=OrganisationFactory(), by=policy_user, body=DRAFT_BODY
    )


def request_review(draft, by, *reviewers):
    return services.response_request_review(
        response=draft, by=by, reviewers=reviewers, due_at=timezone.now() + datetime.timedelta(days=2)
    )


# --- Requesting a review ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        (NOW + datetime.timedelta(days=20), NOW + datetime.timedelta(days=18)),  # two days before
        (NOW + datetime.timedelta(days=2), NOW + datetime.timedelta(days=1)),  # at least a day to review
        (NOW + datetime.timedelta(hours=10), NOW + datetime.timedelta(hours=10)),  # never after the deadline
        (NOW - datetime.timedelta(days=1), NOW + datetime.timedelta(days=2)),  # closed: two days from now
    ],
    ids=["far", "close", "hours-away", "closed"],
)
def test_default_due_date_comes_before_the_deadline(deadline, expected):
    consultation = ConsultationFactory(opens_at=None, deadline=deadline)
    assert services.review_due_default(consultation=consultation, now=NOW) == expected


def test_a_review_cannot_be_due_after_the_deadline_or_in_the_past(consultation):
    now = timezone.now()
    assert "deadline" in services.review_due_problem(
        consultation=consultation, due_at=consultation.deadline + datetime.timedelta(minutes=1)
    )
    assert "future" in services.review_due_problem(consultation=consultation, due_at=now - datetime.timedelta(hours=1))
    assert services.review_due_problem(consultation=consultation, due_at=consultation.deadline) is None


def test_the_request_form_lists_reviewers_and_admins_but_not_the_author(
    as_user, draft, policy_user, reviewer_user, admin_user, consultation
):
    UserFactory(username="colleague", role=Role.POLICY_STAFF)
    page = as_user(policy_user).get(reverse("responses:review-request", args=[draft.pk]))
    form = page.context["form"]
    assert set(form.fields["reviewers"].queryset) == {reviewer_user, admin_user}
    due = form.fields["due_at"].initial
    assert due == services.review_due_default(consultation=consultation)


def test_requesting_a_review_through_the_form(as_user, draft, policy_user, reviewer_user, consultation):
    due = timezone.localtime(consultation.deadline - datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page = as_user(policy_user).post(
        reverse("responses:review-request", args=[draft.pk]),
        {"reviewers": [reviewer_user.pk], "due_at": due, "note": "Paragraph 3 mostly."},
    )
    assert page.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.IN_REVIEW
    assert list(draft.reviewers.all()) == [reviewer_user]
    request = ReviewRequest.objects.get()
    assert (request.reviewer, request.requested_by, request.decision, request.for_version) == (
        reviewer_user,
        policy_user,
        ReviewDecision.PENDING,
        1,
    )
    assert timezone.localtime(request.due_at).strftime("%Y-%m-%dT%H:%M") == due
    assert "Paragraph 3 mostly." in ResponseEvent.objects.get(kind=EventKind.REVIEW_REQUESTED).note


def test_a_due_date_after_the_deadline_is_shown_on_the_field(as_user, draft, policy_user, reviewer_user, consultation):
    late = timezone.localtime(consultation.deadline + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = as_user(policy_user).post(
        reverse("responses:review-request", args=[draft.pk]), {"reviewers": [reviewer_user.pk], "due_at": late}
    )
    assert page.status_code == 200
    assert "due_at" in page.context["form"].errors
    assert "deadline" in page.context["form"].errors["due_at"][0]
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.DRAFT


def test_asking_again_resets_the_reviewers_decision(draft, policy_user, reviewer_user):
    """After changes were requested, a new request puts the same reviewer back to waiting, on the new version."""
    request_review(draft, policy_user, reviewer_user)
    services.response_decide(response=draft, by=reviewer_user, approve=False, reason="More detail")
    services.draft_save(response=draft, by=policy_user, expected_version=1, body="More detail.", summary="")
    request_review(draft, policy_user, reviewer_user)
    request = ReviewRequest.objects.get()
    assert (request.decision, request.reason, request.for_version) == (ReviewDecision.PENDING, "", 2)


# --- Comments anchored to paragraphs --------------------------------------------------------------------


def test_a_paragraph_comment_quotes_the_paragraph(draft, policy_user, reviewer_user):
    request_review(draft, policy_user, reviewer_user)
    comment = services.comment_add(
        response=draft, by=reviewer_user, body="Which platforms?", anchor_version=1, anchor_paragraph=2
    )
    assert (comment.anchor_version, comment.anchor_paragraph) == (1, 2)
    assert comment.anchor_text == "Reporting tools should stay flexible for each platform."


def test_a_comment_follows_its_paragraph_and_is_outdated_once_it_changed(draft, policy_user, reviewer_user):
    """Moved but unchanged: still current. Reworded: shown at its new place, outdated. Deleted: outdated, gone."""
    request_review(draft, policy_user, reviewer_user)
    on_reporting = services.comment_add(
        response=draft, by=reviewer_user, body="Which platforms?", anchor_version=1, anchor_paragraph=2
    )
    on_capacity = services.comment_add(response=draft, by=reviewer_user, body="Good.", anchor_paragraph=3)
    on_intro = services.comment_add(response=draft, by=reviewer_user, body="Cut?", anchor_paragraph=1)
    services.draft_save(
        response=draft,
        by=policy_user,
        expected_version=1,
        body="## Summary\n\nA new opening.\n\nNational capacity building deserves more funding.\n\n"
        "Reporting tools should stay flexible for every platform and service.",
        summary="",
    )
    draft.refresh_from_db()
    current = draft.paragraphs()
    capacity, reporting, intro = (c.locate(current) for c in (on_capacity, on_reporting, on_intro))
    assert (capacity.index, capacity.outdated) == (2, False)
    assert (reporting.index, reporting.outdated) == (3, True)
    assert intro.gone and intro.outdated


def test_the_draft_page_marks_outdated_comments_and_keeps_the_quote(as_user, draft, policy_user, reviewer_user):
    request_review(draft, policy_user, reviewer_user)
    services.comment_add(response=draft, by=reviewer_user, body="Which platforms?", anchor_paragraph=2)
    services.draft_save(
        response=draft,
        by=policy_user,
        expected_version=1,
        body=DRAFT_BODY.replace("each platform", "every platform and service"),
        summary="",
    )
    page = as_user(reviewer_user).get(reverse("responses:response-detail", args=[draft.pk]))
    content = page.content.decode()
    assert 'data-testid="outdated"' in content
    assert "Reporting tools should stay flexible for each platform." in content  # the quote of version 1
    assert "The paragraph has changed since this comment on version 1." in content
    (row,) = [row for row in page.context["paragraph_rows"] if row["threads"]]
    assert row["index"] == 2


def test_a_comment_on_a_paragraph_of_an_older_version_quotes_that_version(draft, policy_user, reviewer_user):
    """The reviewer's page was at version 1; the draft moved on; the comment quotes what they read."""
    request_review(draft, policy_user, reviewer_user)
    services.draft_save(response=draft, by=policy_user, expected_version=1, body="Totally new.", summary="")
    comment = services.comment_add(response=draft, by=reviewer_user, body="Hm", anchor_version=1, anchor_paragraph=3)
    assert comment.anchor_text == "National capacity building deserves more funding."
    with pytest.raises(services.TransitionError, match="no longer in the draft"):
        services.comment_add(response=draft, by=reviewer_user, body="Hm", anchor_version=2, anchor_paragraph=5)


def test_threads_replies_resolve_and_reopen(as_user, draft, policy_user, reviewer_user):
    request_review(draft, policy_user, reviewer_user)
    client = as_user(policy_user)
    thread = services.comment_add(response=draft, by=reviewer_user, body="Why?", anchor_paragraph=1)
    page = client.post(reverse("responses:comment-add", args=[draft.pk]), {"body": "Because.", "parent": thread.pk})
    reply = Comment.objects.get(parent=thread)
    assert page["Location"].endswith(f"#comment-{reply.pk}")
    # A reply to a reply joins the same thread.
    nested = services.comment_add(response=draft, by=reviewer_user, body="OK", parent=reply)
    assert nested.parent == thread
    client.post(reverse("responses:comment-resolve", args=[thread.pk]))
    thread.refresh_from_db()
    assert (thread.resolved, thread.resolved_by) == (True, policy_user)
    assert draft.open_thread_count() == 0
    as_user(reviewer_user).post(reverse("responses:comment-reopen", args=[thread.pk]))
    thread.refresh_from_db()
    assert (thread.resolved, thread.resolved_by) == (False, None)
    kinds = set(ResponseEvent.objects.values_list("kind", flat=True))
    assert {EventKind.THREAD_RESOLVED, EventKind.THREAD_REOPENED, EventKind.COMMENTED} <= kinds
    with pytest.raises(services.TransitionError, match="resolved from their first comment"):
        services.comment_resolve(comment=reply, by=policy_user)


def test_an_empty_comment_is_shown_as_an_error_in_its_own_box(as_user, draft, policy_user):
    page = as_user(policy_user).post(
        reverse("responses:comment-add", args=[draft.pk]), {"body": "  ", "anchor_paragraph": 2, "anchor_version": 1}
    )
    assert page.status_code == 200
    assert page.context["failed_comment"].slot == "p-2"
    content = page.content.decode()
    assert "Write something to comment." in content
    assert 'id="comment-p-2" name="body" rows="3" aria-describedby="comment-p-2-error"' in content
    assert not Comment.objects.exists()


def test_mentions_are_recorded_for_team_members_only(draft, policy_user, reviewer_user, outsider):
    request_review(draft, policy_user, reviewer_user)
    comment = services.comment_add(
        response=draft, by=reviewer_user, body="@policy and @outsider, see @nobody. Thanks @admin.", anchor_paragraph=0
    )
    assert list(comment.mentions.all()) == [policy_user]


def test_comments_and_decisions_are_escaped(as_user, draft, policy_user, reviewer_user):
    request_review(draft, policy_user, reviewer_user)
    services.comment_add(response=draft, by=reviewer_user, body="<script>alert(1)</script>")
    services.response_decide(response=draft, by=reviewer_user, approve=False, reason="<img src=x onerror=y>")
    content = as_user(policy_user).get(reverse("responses:response-detail", args=[draft.pk])).content.decode()
    assert "<script>alert(1)" not in content and "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<img src=x" not in content


# --- Decisions through the page ----------------------------------------------------------------------------


def test_requesting_changes_without_a_reason_is_an_error_on_the_field(as_user, draft, policy_user, reviewer_user):
    request_review(draft, policy_user, reviewer_user)
    page = as_user(reviewer_user).post(
        reverse("responses:review-decide", args=[draft.pk]), {"decision": "request_changes", "reason": ""}
    )
    assert page.status_code == 200
    assert page.context["decision_form"].errors["reason"] == ["Say what should change before requesting changes."]
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.IN_REVIEW


def test_a_reviewer_approves_through_the_page(as_user, draft, policy_user, reviewer_user):
    request_review(draft, policy_user, reviewer_user)
    client = as_user(reviewer_user)
    assert 'data-testid="decision-form"' in client.get(draft.get_absolute_url()).content.decode()
    page = client.post(reverse("responses:review-decide", args=[draft.pk]), {"decision": "approve"}, follow=True)
    assert "can be submitted" in page.content.decode()
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.APPROVED


def test_the_author_sees_no_decision_form(as_user, draft, policy_user, reviewer_user):
    request_review(draft, policy_user, reviewer_user)
    assert 'data-testid="decision-form"' not in as_user(policy_user).get(draft.get_absolute_url()).content.decode()


def test_submitting_through_the_page_records_date_and_channel_and_locks(as_user, draft, policy_user, reviewer_user):
    request_review(draft, policy_user, reviewer_user)
    services.response_decide(response=draft, by=reviewer_user, approve=True)
    client = as_user(policy_user)
    assert client.get(reverse("responses:response-submit", args=[draft.pk])).status_code == 200
    when = timezone.localtime() - datetime.timedelta(hours=2)
    page = client.post(
        reverse("responses:response-submit", args=[draft.pk]),
        {"channel": "portal", "submitted_at": when.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    content = page.content.decode()
    assert 'data-testid="locked"' in content
    assert reverse("responses:draft-edit", args=[draft.pk]) not in content
    assert 'name="body"' not in content  # no comment box
    draft.refresh_from_db()
    assert (draft.status, draft.channel) == (ResponseStatus.SUBMITTED, "portal")
    assert timezone.localtime(draft.submitted_at).strftime("%Y-%m-%dT%H:%M") == when.strftime("%Y-%m-%dT%H:%M")


def test_a_future_submission_date_is_refused_on_the_field(as_user, draft, policy_user, reviewer_user):
    request_review(draft, policy_user, reviewer_user)
    services.response_decide(response=draft, by=reviewer_user, approve=True)
    later = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = as_user(policy_user).post(
        reverse("responses:response-submit", args=[draft.pk]), {"channel": "portal", "submitted_at": later}
    )
    assert page.status_code == 200
    assert "submitted_at" in page.context["form"].errors


def test_an_admin_reopens_through_the_page_with_a_reason(as_user, draft, policy_user, reviewer_user, admin_user):
    request_review(draft, policy_user, reviewer_user)
    services.response_decide(response=draft, by=reviewer_user, approve=True)
    services.response_submit(response=draft, by=policy_user, channel="email", submitted_at=timezone.now())
    client = as_user(admin_user)
    empty = client.post(reverse("responses:response-reopen", args=[draft.pk]), {"reason": ""})
    assert empty.status_code == 200 and "reason" in empty.context["form"].errors
    client.post(reverse("responses:response-reopen", args=[draft.pk]), {"reason": "Wrong annex attached."})
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.DRAFT
    assert ResponseEvent.objects.get(kind=EventKind.REOPENED).note == "Wrong annex attached."


# --- My work ------------------------------------------------------------------------------------------------


def test_my_work_lists_my_drafts_reviews_waiting_and_mentions(as_user, policy_user, reviewer_user, consultation):
    mine = DraftFactory(owner=policy_user, consultation=consultation)
    DraftFactory(owner=policy_user, status=ResponseStatus.SUBMITTED)  # done: not listed
    DraftFactory()  # someone else's
    waiting = ReviewRequestFactory(reviewer=policy_user, response__owner=reviewer_user)
    ReviewRequestFactory(reviewer=policy_user, decision=ReviewDecision.APPROVED, for_version=1)  # approved as it stands
    mention = services.comment_add(response=mine, by=policy_user, body="Note to self")
    mention.mentions.add(policy_user)
    with time_machine.travel(waiting.due_at + datetime.timedelta(hours=1)):
        page = as_user(policy_user).get(reverse("responses:my-work"))
    assert list(page.context["drafts"]) == [mine]
    assert list(page.context["reviews"]) == [waiting]
    assert list(page.context["mentions"]) == [mention]
    content = page.content.decode()
    assert "overdue" in content


def test_my_work_query_count_does_not_grow_with_rows(as_user, policy_user):
    client = as_user(policy_user)
    DraftFactory(owner=policy_user)
    ReviewRequestFactory(reviewer=policy_user)
    client.get(reverse("responses:my-work"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("responses:my-work"))
    for _ in range(5):
        draft = DraftFactory(owner=policy_user)
        ReviewRequestFactory(reviewer=policy_user)
        comment = services.comment_add(response=draft, by=policy_user, body="@policy look")
        assert comment.mentions.exists()
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("responses:my-work"))
    assert len(page.context["drafts"]) == 6
    assert len(many) == len(one)


def test_the_draft_page_query_count_does_not_grow_with_threads(as_user, draft, policy_user, reviewer_user):
    """One thread or many, with replies, anchored or not: the draft page runs the same number of queries."""
    request_review(draft, policy_user, reviewer_user)
    services.comment_add(response=draft, by=reviewer_user, body="First", anchor_paragraph=1)
    client = as_user(reviewer_user)
    client.get(draft.get_absolute_url())
    with CaptureQueriesContext(connection) as one:
        client.get(draft.get_absolute_url())
    for number in range(6):
        thread = services.comment_add(
            response=draft, by=reviewer_user, body=f"Thread {number}", anchor_paragraph=number % 4 if number else None
        )
        services.comment_add(response=draft, by=policy_user, body="Reply", parent=thread)
        if number % 2:
            services.comment_resolve(comment=thread, by=policy_user)
    with CaptureQueriesContext(connection) as many:
        page = client.get(draft.get_absolute_url())
    assert page.content.decode().count('data-testid="thread"') == 7
    assert len(many) == len(one)


def test_the_home_page_sums_up_my_work(as_user, policy_user, reviewer_user):
    """The dashboard lists the reviews waiting for a reviewer; policy staff, asked for none, see no review list."""
    request = ReviewRequestFactory(reviewer=reviewer_user)
    content = as_user(reviewer_user).get(reverse("home")).content.decode()
    assert 'data-testid="my-reviews"' in content
    assert reverse("responses:response-detail", args=[request.response_id]) in content
    assert reverse("responses:my-work") in content
    assert 'data-testid="my-reviews"' not in as_user(policy_user).get(reverse("home")).content.decode()
