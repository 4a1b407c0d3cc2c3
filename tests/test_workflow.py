"""The review workflow of our drafts, enforced in responses.services: each step, for each role, and the illegal ones."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from responses import services
from responses.models import (
    Channel,
    Comment,
    EventKind,
    Response,
    ResponseEvent,
    ResponseStatus,
    ReviewDecision,
    ReviewRequest,
)
from tests.factories import (
    DRAFT_BODY,
    CommentFactory,
    ConsultationFactory,
    OrganisationFactory,
    ResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TransitionError = services.TransitionError


@pytest.fixture
def consultation():
    return ConsultationFactory(title="COP Results Framework")


@pytest.fixture
def draft(policy_user, consultation):
    return services.draft_create(
        consultation=consultation, organisation=OrganisationFactory(name="Our network"), by=policy_user, body=DRAFT_BODY
    )


def due() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=3)


def in_review(draft, policy_user, *reviewers) -> Response:
    return services.response_request_review(response=draft, by=policy_user, reviewers=reviewers, due_at=due())


def approved(draft, policy_user, reviewer) -> Response:
    in_review(draft, policy_user, reviewer)
    return services.response_decide(response=draft, by=reviewer, approve=True)


def submitted(draft, policy_user, reviewer) -> Response:
    response = approved(draft, policy_user, reviewer)
    return services.response_submit(
        response=response, by=policy_user, channel=Channel.PORTAL, submitted_at=timezone.now()
    )


def user_for(request, who: str):
    if who == "other reviewer":
        return UserFactory(username="second-reviewer", role=Role.REVIEWER)
    if who == "other policy":
        return UserFactory(username="colleague", role=Role.POLICY_STAFF)
    return request.getfixturevalue(who)


# --- The happy path -------------------------------------------------------------------------------


def test_a_draft_goes_through_review_to_submission_and_every_step_is_recorded(
    draft, policy_user, reviewer_user, admin_user
):
    """draft -> in review -> changes requested -> in review -> approved -> submitted, each step an event."""
    assert draft.status == ResponseStatus.DRAFT
    response = in_review(draft, policy_user, reviewer_user)
    assert response.status == ResponseStatus.IN_REVIEW
    response = services.response_decide(response=response, by=reviewer_user, approve=False, reason="Shorter, please.")
    assert response.status == ResponseStatus.CHANGES_REQUESTED
    response = services.draft_save(
        response=response, by=policy_user, expected_version=1, body=DRAFT_BODY + "\n\nShorter.", summary=""
    )
    response = in_review(response, policy_user, reviewer_user)
    assert response.status == ResponseStatus.IN_REVIEW
    response = services.response_decide(response=response, by=reviewer_user, approve=True)
    assert response.status == ResponseStatus.APPROVED
    when = timezone.now() - datetime.timedelta(hours=1)
    response = services.response_submit(response=response, by=policy_user, channel=Channel.EMAIL, submitted_at=when)
    assert (response.status, response.channel, response.submitted_at) == (ResponseStatus.SUBMITTED, "email", when)
    assert response.is_locked

    kinds = list(
        ResponseEvent.objects.filter(response=response).order_by("created_at", "pk").values_list("kind", flat=True)
    )
    assert kinds == [
        EventKind.CREATED,
        EventKind.REVIEW_REQUESTED,
        EventKind.CHANGES_REQUESTED,
        EventKind.SAVED,
        EventKind.REVIEW_REQUESTED,
        EventKind.APPROVED,
        EventKind.SUBMITTED,
    ]
    changes = ResponseEvent.objects.get(response=response, kind=EventKind.CHANGES_REQUESTED)
    assert (changes.actor, changes.note, changes.from_status, changes.to_status) == (
        reviewer_user,
        "Shorter, please.",
        ResponseStatus.IN_REVIEW,
        ResponseStatus.CHANGES_REQUESTED,
    )


def test_received_submissions_stay_outside_the_workflow(policy_user, reviewer_user, admin_user):
    """A logged submission cannot be put in review, decided, commented on, submitted or reopened."""
    received = ResponseFactory(status=ResponseStatus.RECEIVED)
    attempts = [
        lambda: services.response_request_review(
            response=received, by=policy_user, reviewers=[reviewer_user], due_at=due()
        ),
        lambda: services.response_decide(response=received, by=admin_user, approve=True),
        lambda: services.comment_add(response=received, by=policy_user, body="Hm"),
        lambda: services.response_submit(
            response=received, by=policy_user, channel=Channel.EMAIL, submitted_at=timezone.now()
        ),
        lambda: services.response_reopen(response=received, by=admin_user, reason="Why not"),
        lambda: services.draft_save(response=received, by=policy_user, expected_version=1, body="x", summary=""),
    ]
    for attempt in attempts:
        with pytest.raises(TransitionError, match="received from outside"):
            attempt()
    received.refresh_from_db()
    assert received.status == ResponseStatus.RECEIVED
    assert not ResponseEvent.objects.exists()


# --- Each transition, for each role ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("policy_user", True),
        ("other policy", True),
        ("admin_user", True),
        ("reviewer_user", False),
        ("outsider", False),
    ],
)
def test_requesting_a_review_by_role(request, draft, reviewer_user, who, allowed):
    """Policy staff and admins ask for reviews; reviewers and outsiders cannot."""
    actor = user_for(request, who)
    other = UserFactory(username="another-reviewer", role=Role.REVIEWER)
    if allowed:
        response = services.response_request_review(response=draft, by=actor, reviewers=[other], due_at=due())
        assert response.status == ResponseStatus.IN_REVIEW
    else:
        with pytest.raises(TransitionError, match="Only policy staff and admins"):
            services.response_request_review(response=draft, by=actor, reviewers=[other], due_at=due())
        draft.refresh_from_db()
        assert draft.status == ResponseStatus.DRAFT
        assert not ReviewRequest.objects.exists()


@pytest.mark.parametrize("approve", [True, False], ids=["approve", "request-changes"])
@pytest.mark.parametrize(
    ("who", "allowed", "message"),
    [
        ("reviewer_user", True, ""),
        ("admin_user", True, ""),
        ("other reviewer", False, "Only a reviewer asked to review this draft"),
        ("other policy", False, "Only a reviewer asked to review this draft"),
        ("policy_user", False, "Only a reviewer asked to review this draft"),
        ("outsider", False, "Only a reviewer asked to review this draft"),
    ],
)
def test_deciding_by_role(request, draft, policy_user, reviewer_user, who, allowed, message, approve):
    """Only a requested reviewer or an admin approves or requests changes; the others change nothing."""
    in_review(draft, policy_user, reviewer_user)
    actor = user_for(request, who)
    if allowed:
        response = services.response_decide(response=draft, by=actor, approve=approve, reason="Tighten paragraph 2.")
        assert response.status == (ResponseStatus.APPROVED if approve else ResponseStatus.CHANGES_REQUESTED)
    else:
        with pytest.raises(TransitionError, match=message):
            services.response_decide(response=draft, by=actor, approve=approve, reason="Tighten paragraph 2.")
        draft.refresh_from_db()
        assert draft.status == ResponseStatus.IN_REVIEW
        assert ReviewRequest.objects.get().decision == ReviewDecision.PENDING


def test_an_author_cannot_approve_their_own_draft(consultation, admin_user, reviewer_user):
    """Even an admin who wrote the draft needs someone else's approval."""
    own = services.draft_create(consultation=consultation, organisation=OrganisationFactory(), by=admin_user, body="Hi")
    services.response_request_review(response=own, by=admin_user, reviewers=[reviewer_user], due_at=due())
    with pytest.raises(TransitionError, match="You wrote this draft"):
        services.response_decide(response=own, by=admin_user, approve=True)
    with pytest.raises(TransitionError, match="wrote this draft and cannot review it"):
        services.response_request_review(response=own, by=admin_user, reviewers=[admin_user], due_at=due())


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("policy_user", True), ("admin_user", True), ("reviewer_user", False), ("outsider", False)],
)
def test_submitting_by_role(request, draft, policy_user, reviewer_user, who, allowed):
    """Policy staff and admins record the submission of an approved response."""
    approved(draft, policy_user, reviewer_user)
    actor = user_for(request, who)
    if allowed:
        response = services.response_submit(
            response=draft, by=actor, channel=Channel.PORTAL, submitted_at=timezone.now()
        )
        assert response.status == ResponseStatus.SUBMITTED
    else:
        with pytest.raises(TransitionError, match="Only policy staff and admins submit"):
            services.response_submit(response=draft, by=actor, channel=Channel.PORTAL, submitted_at=timezone.now())
        draft.refresh_from_db()
        assert draft.status == ResponseStatus.APPROVED


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("admin_user", True), ("policy_user", False), ("reviewer_user", False), ("outsider", False)],
)
def test_reopening_by_role(request, draft, policy_user, reviewer_user, who, allowed):
    """Only an admin reopens a submitted response, and the reason is recorded."""
    submitted(draft, policy_user, reviewer_user)
    actor = user_for(request, who)
    if allowed:
        response = services.response_reopen(response=draft, by=actor, reason="The issuer asked for a correction.")
        assert response.status == ResponseStatus.DRAFT
        assert response.submitted_at is None
        event = ResponseEvent.objects.get(kind=EventKind.REOPENED)
        assert (event.actor, event.note) == (actor, "The issuer asked for a correction.")
    else:
        with pytest.raises(TransitionError, match="Only an admin can reopen"):
            services.response_reopen(response=draft, by=actor, reason="Please")
        draft.refresh_from_db()
        assert draft.status == ResponseStatus.SUBMITTED


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("policy_user", True),
        ("other policy", True),
        ("admin_user", True),
        ("reviewer_user", True),
        ("other reviewer", False),
        ("outsider", False),
    ],
)
def test_commenting_by_role(request, draft, policy_user, reviewer_user, who, allowed):
    """The team and the reviewers asked may comment; other reviewers and outsiders may not."""
    in_review(draft, policy_user, reviewer_user)
    actor = user_for(request, who)
    if allowed:
        comment = services.comment_add(response=draft, by=actor, body="A thought.")
        assert comment.author == actor
    else:
        with pytest.raises(TransitionError, match="can comment on this draft"):
            services.comment_add(response=draft, by=actor, body="A thought.")
        assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("policy_user", True), ("admin_user", True), ("reviewer_user", False), ("outsider", False)],
)
def test_editing_by_role(request, draft, who, allowed):
    """Policy staff and admins edit drafts; reviewers comment instead."""
    actor = user_for(request, who)
    if allowed:
        saved = services.draft_save(response=draft, by=actor, expected_version=1, body="New text", summary="")
        assert (saved.version, saved.body) == (2, "New text")
    else:
        with pytest.raises(TransitionError, match="Only policy staff and admins edit"):
            services.draft_save(response=draft, by=actor, expected_version=1, body="New text", summary="")
        draft.refresh_from_db()
        assert (draft.version, draft.body) == (1, DRAFT_BODY)


# --- Illegal steps change nothing ------------------------------------------------------------------


def test_only_an_approved_response_can_be_submitted(draft, policy_user, reviewer_user):
    for status in [ResponseStatus.DRAFT, ResponseStatus.IN_REVIEW, ResponseStatus.CHANGES_REQUESTED]:
        Response.objects.filter(pk=draft.pk).update(status=status)
        draft.refresh_from_db()
        with pytest.raises(TransitionError, match="Only an approved response can be submitted"):
            services.response_submit(response=draft, by=policy_user, channel=Channel.EMAIL, submitted_at=timezone.now())
        draft.refresh_from_db()
        assert draft.status == status
        assert draft.submitted_at is None


def test_decisions_are_only_taken_in_review(draft, policy_user, reviewer_user):
    """Approving a draft nobody asked to review, or one already approved, is refused."""
    ReviewRequest.objects.create(
        response=draft, reviewer=reviewer_user, requested_by=policy_user, due_at=due(), for_version=1
    )
    with pytest.raises(TransitionError, match="while a draft is in review"):
        services.response_decide(response=draft, by=reviewer_user, approve=True)
    assert ReviewRequest.objects.get().decision == ReviewDecision.PENDING


def test_an_approved_response_is_not_sent_back_to_review_by_a_request(draft, policy_user, reviewer_user):
    approved(draft, policy_user, reviewer_user)
    with pytest.raises(TransitionError, match="An approved response goes to submission"):
        in_review(draft, policy_user, reviewer_user)
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.APPROVED


def test_a_submitted_response_is_locked(draft, policy_user, reviewer_user, admin_user):
    """No edit, no comment, no resolving, no review, no second submission, even for an admin."""
    thread = services.comment_add(response=draft, by=policy_user, body="Check the figures.")
    submitted(draft, policy_user, reviewer_user)
    draft.refresh_from_db()
    with pytest.raises(TransitionError, match="submitted and is locked"):
        services.draft_save(response=draft, by=admin_user, expected_version=draft.version, body="Late", summary="")
    with pytest.raises(TransitionError, match="Comments are closed"):
        services.comment_add(response=draft, by=admin_user, body="Late comment")
    with pytest.raises(TransitionError, match="Comments are closed"):
        services.comment_resolve(comment=thread, by=admin_user)
    with pytest.raises(TransitionError, match="locked"):
        in_review(draft, admin_user, reviewer_user)
    with pytest.raises(TransitionError, match="already submitted"):
        services.response_submit(response=draft, by=admin_user, channel=Channel.EMAIL, submitted_at=timezone.now())
    draft.refresh_from_db()
    assert (draft.body, draft.status, draft.comments.count()) == (DRAFT_BODY, ResponseStatus.SUBMITTED, 1)


def test_the_coding_form_of_received_submissions_cannot_change_our_responses(
    as_user, draft, policy_user, reviewer_user
):
    """Not a draft (that would skip its versions and review), and not a locked response either."""
    client = as_user(policy_user)
    page = client.post(reverse("responses:response-code", args=[draft.pk]), {"version": 1}, follow=True)
    assert "edited on their edit page" in page.content.decode()
    with pytest.raises(TransitionError, match="edited on their edit page"):
        services.response_code(response=draft, expected_version=1, answers={}, positions={})
    submitted(draft, policy_user, reviewer_user)
    draft.refresh_from_db()
    page = client.post(reverse("responses:response-code", args=[draft.pk]), {"version": draft.version}, follow=True)
    assert "locked" in page.content.decode()
    with pytest.raises(TransitionError, match="locked"):
        services.response_code(response=draft, expected_version=draft.version, answers={}, positions={})
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (ResponseStatus.SUBMITTED, 1)


def test_reopening_needs_a_reason_and_a_submitted_response(draft, policy_user, reviewer_user, admin_user):
    with pytest.raises(TransitionError, match="Only a submitted response can be reopened"):
        services.response_reopen(response=draft, by=admin_user, reason="Because")
    submitted(draft, policy_user, reviewer_user)
    with pytest.raises(TransitionError, match="Give the reason"):
        services.response_reopen(response=draft, by=admin_user, reason="   ")
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.SUBMITTED


def test_a_reopened_response_needs_fresh_approval(draft, policy_user, reviewer_user, admin_user):
    submitted(draft, policy_user, reviewer_user)
    reopened = services.response_reopen(response=draft, by=admin_user, reason="Typo in the title")
    assert reopened.approvals_on_current_version() == 0
    services.draft_save(response=reopened, by=policy_user, expected_version=reopened.version, body="Fixed", summary="")
    response = in_review(reopened, policy_user, reviewer_user)
    assert response.status == ResponseStatus.IN_REVIEW


def test_changes_need_a_reason(draft, policy_user, reviewer_user):
    in_review(draft, policy_user, reviewer_user)
    with pytest.raises(TransitionError, match="a reason is required"):
        services.response_decide(response=draft, by=reviewer_user, approve=False, reason="  ")
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.IN_REVIEW


def test_a_review_request_needs_reviewers_who_review(draft, policy_user):
    """No reviewer, or someone without the reviewer role, is refused."""
    with pytest.raises(TransitionError, match="Choose at least one reviewer"):
        services.response_request_review(response=draft, by=policy_user, reviewers=[], due_at=due())
    colleague = UserFactory(username="colleague", role=Role.POLICY_STAFF)
    with pytest.raises(TransitionError, match="is not a reviewer"):
        services.response_request_review(response=draft, by=policy_user, reviewers=[colleague], due_at=due())
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.DRAFT


# --- Approvals ----------------------------------------------------------------------------------------


def test_approval_needs_the_configured_number_of_approvals(draft, policy_user, reviewer_user, consultation):
    consultation.required_approvals = 2
    consultation.save()
    second = UserFactory(username="second-reviewer", role=Role.REVIEWER)
    in_review(draft, policy_user, reviewer_user, second)
    response = services.response_decide(response=draft, by=reviewer_user, approve=True)
    assert response.status == ResponseStatus.IN_REVIEW
    assert response.approvals_on_current_version() == 1
    with pytest.raises(TransitionError, match="already approved version 1"):
        services.response_decide(response=draft, by=reviewer_user, approve=True)
    response = services.response_decide(response=draft, by=second, approve=True)
    assert response.status == ResponseStatus.APPROVED


def test_approvals_count_for_the_version_approved_only(draft, policy_user, reviewer_user, consultation):
    """An approval of version 1 does not count once version 2 is saved; the reviewer is asked again."""
    consultation.required_approvals = 2
    consultation.save()
    second = UserFactory(username="second-reviewer", role=Role.REVIEWER)
    in_review(draft, policy_user, reviewer_user, second)
    services.response_decide(response=draft, by=reviewer_user, approve=True)
    services.draft_save(response=draft, by=policy_user, expected_version=1, body="Rewritten", summary="")
    draft.refresh_from_db()
    response = services.response_decide(response=draft, by=second, approve=True)
    assert response.status == ResponseStatus.IN_REVIEW
    assert response.approvals_on_current_version() == 1
    assert list(ReviewRequest.objects.waiting_for(reviewer_user)) == [ReviewRequest.objects.get(reviewer=reviewer_user)]
    response = services.response_decide(response=draft, by=reviewer_user, approve=True)
    assert response.status == ResponseStatus.APPROVED


def test_editing_an_approved_draft_sends_it_back_to_review(draft, policy_user, reviewer_user):
    approved(draft, policy_user, reviewer_user)
    draft.refresh_from_db()
    saved = services.draft_save(response=draft, by=policy_user, expected_version=1, body="Changed after", summary="")
    assert saved.status == ResponseStatus.IN_REVIEW
    event = ResponseEvent.objects.filter(kind=EventKind.SAVED).get()
    assert (event.from_status, event.to_status) == (ResponseStatus.APPROVED, ResponseStatus.IN_REVIEW)


def test_approval_can_require_every_thread_resolved(draft, policy_user, reviewer_user, consultation):
    consultation.approval_needs_resolved_threads = True
    consultation.save()
    in_review(draft, policy_user, reviewer_user)
    thread = services.comment_add(response=draft, by=reviewer_user, body="Is this right?")
    services.comment_add(response=draft, by=policy_user, body="Yes.", parent=thread)
    with pytest.raises(TransitionError, match="1 is open"):
        services.response_decide(response=draft, by=reviewer_user, approve=True)
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.IN_REVIEW
    services.comment_resolve(comment=thread, by=policy_user)
    assert services.response_decide(response=draft, by=reviewer_user, approve=True).status == ResponseStatus.APPROVED


def test_open_threads_do_not_block_approval_unless_configured(draft, policy_user, reviewer_user):
    in_review(draft, policy_user, reviewer_user)
    CommentFactory(response=draft, author=reviewer_user)
    assert services.response_decide(response=draft, by=reviewer_user, approve=True).status == ResponseStatus.APPROVED


def test_an_admin_may_decide_without_being_asked(draft, policy_user, reviewer_user, admin_user):
    in_review(draft, policy_user, reviewer_user)
    response = services.response_decide(response=draft, by=admin_user, approve=False, reason="Not yet.")
    assert response.status == ResponseStatus.CHANGES_REQUESTED
    own = ReviewRequest.objects.get(reviewer=admin_user)
    assert (own.decision, own.reason, own.for_version) == (ReviewDecision.CHANGES_REQUESTED, "Not yet.", 1)


def test_a_step_on_a_stale_page_is_refused(draft, policy_user, reviewer_user):
    """Two people acting on the same page: the second step finds the status moved and changes nothing."""
    stale = Response.objects.get(pk=draft.pk)
    approved(draft, policy_user, reviewer_user)
    services.response_submit(response=draft, by=policy_user, channel=Channel.EMAIL, submitted_at=timezone.now())
    stale.status = ResponseStatus.APPROVED  # what the second person's page still shows
    with pytest.raises(TransitionError):
        services.response_submit(response=stale, by=policy_user, channel=Channel.LETTER, submitted_at=timezone.now())
    draft.refresh_from_db()
    assert draft.channel == Channel.EMAIL
    assert ResponseEvent.objects.filter(kind=EventKind.SUBMITTED).count() == 1


# --- The views turn a refusal into a message --------------------------------------------------------


def test_an_illegal_step_through_a_view_shows_a_message_and_changes_nothing(as_user, draft, policy_user):
    """Submitting a mere draft: a clear message on the draft's page, not an error page."""
    client = as_user(policy_user)
    page = client.post(
        reverse("responses:response-submit", args=[draft.pk]),
        {"channel": "email", "submitted_at": "2020-01-01T10:00"},
        follow=True,
    )
    assert page.status_code == 200
    assert page.redirect_chain[-1][0] == reverse("responses:response-detail", args=[draft.pk])
    assert "Only an approved response can be submitted" in page.content.decode()
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.DRAFT


def test_a_reviewer_not_asked_gets_a_message_when_deciding(as_user, draft, policy_user, reviewer_user):
    in_review(draft, policy_user, reviewer_user)
    stranger = UserFactory(username="stranger", role=Role.REVIEWER)
    page = as_user(stranger).post(
        reverse("responses:review-decide", args=[draft.pk]), {"decision": "approve"}, follow=True
    )
    assert "Only a reviewer asked to review this draft" in page.content.decode()
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.IN_REVIEW
