"""Logging received submissions, coding them, editing them, listing them; and who may do what."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responses import services
from responses.models import Answer, Position, Response, ResponseStatus, Stance
from stakeholders.models import Organisation, OrganisationKind
from tests.factories import (
    AnswerFactory,
    AttachmentFactory,
    ConsultationFactory,
    OrganisationFactory,
    PositionFactory,
    QuestionFactory,
    ResponseFactory,
    TopicFactory,
    make_pdf,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def consultation():
    consultation = ConsultationFactory(title="COP Results Framework", slug="cop-results-framework")
    TopicFactory(consultation=consultation, name="Multi-stakeholder coordination", order=1)
    TopicFactory(consultation=consultation, name="Reporting mechanisms", order=2)
    QuestionFactory(consultation=consultation, number="1", text="Which coordination model?", order=1)
    return consultation


@pytest.fixture
def interpol():
    return OrganisationFactory(name="Interpol", slug="interpol", kind=OrganisationKind.INTERGOVERNMENTAL, country="FR")


def log_data(consultation, organisation=None, **extra) -> dict:
    data = {
        "consultation": consultation.pk,
        "organisation_mode": "existing",
        "organisation_query": organisation.name if organisation else "",
        "organisation": organisation.pk if organisation else "",
        "channel": "letter",
        "received_on": "2016-01-29",
        "summary": "Backs coordination.",
    }
    data.update(extra)
    return data


# --- Who may do what ---------------------------------------------------------------------------

READ, WRITE = "read", "write"


def _views(response, attachment):
    """(name, method, url, kind) for every view of the app."""
    return [
        ("response-list", "get", reverse("responses:response-list"), READ),
        ("organisation-search", "get", reverse("responses:organisation-search") + "?organisation_query=int", READ),
        ("response-detail", "get", reverse("responses:response-detail", args=[response.pk]), READ),
        ("response-text", "get", reverse("responses:response-text", args=[response.pk]), READ),
        ("attachment-download", "get", reverse("responses:attachment-download", args=[attachment.pk]), READ),
        ("matrix", "get", reverse("responses:matrix", args=[response.consultation.slug]), READ),
        ("response-create", "get", reverse("responses:response-create"), WRITE),
        ("response-create", "post", reverse("responses:response-create"), WRITE),
        ("response-edit", "get", reverse("responses:response-edit", args=[response.pk]), WRITE),
        ("response-edit", "post", reverse("responses:response-edit", args=[response.pk]), WRITE),
        ("response-code", "post", reverse("responses:response-code", args=[response.pk]), WRITE),
        ("attachment-add", "post", reverse("responses:attachment-add", args=[response.pk]), WRITE),
        ("attachment-retry", "post", reverse("responses:attachment-retry", args=[attachment.pk]), WRITE),
    ]


@pytest.mark.parametrize(
    ("user_fixture", "may_read", "may_write"),
    [
        ("policy_user", True, True),
        ("admin_user", True, True),
        ("reviewer_user", True, False),
        ("outsider", False, False),
    ],
)
def test_every_view_lets_in_exactly_the_right_roles(request, client, user_fixture, may_read, may_write):
    """Policy staff and admins use every view; reviewers only read; users without a role get 403."""
    attachment = AttachmentFactory()
    client.force_login(request.getfixturevalue(user_fixture))
    for name, method, url, kind in _views(attachment.response, attachment):
        response = getattr(client, method)(url)
        allowed = may_read if kind == READ else may_write
        if allowed:
            assert response.status_code in {200, 302}, (name, method, response.status_code)
            if response.status_code == 302:
                assert "/accounts/login/" not in response["Location"], name
        else:
            assert response.status_code == 403, (name, method, response.status_code)


def test_anonymous_visitors_are_sent_to_login_from_every_view(client):
    attachment = AttachmentFactory()
    for name, method, url, _kind in _views(attachment.response, attachment):
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login")), name


def test_state_changes_refuse_get(as_user, policy_user):
    """Coding, uploading and retrying are POST only."""
    attachment = AttachmentFactory()
    client = as_user(policy_user)
    for url in [
        reverse("responses:response-code", args=[attachment.response_id]),
        reverse("responses:attachment-add", args=[attachment.response_id]),
        reverse("responses:attachment-retry", args=[attachment.pk]),
    ]:
        assert client.get(url).status_code == 405


def test_reviewer_sees_the_response_without_any_editing_control(as_user, reviewer_user, consultation):
    """A reviewer reads positions and text but gets no form, upload or edit button."""
    position = PositionFactory(response__consultation=consultation, topic=consultation.topics.first())
    page = as_user(reviewer_user).get(reverse("responses:response-detail", args=[position.response_id]))
    content = page.content.decode()
    assert page.status_code == 200
    assert reverse("responses:response-code", args=[position.response_id]) not in content
    assert reverse("responses:response-edit", args=[position.response_id]) not in content
    assert reverse("responses:attachment-add", args=[position.response_id]) not in content
    assert 'class="stance stance-supports">Supports</span>' in content


def test_unknown_objects_are_404(as_user, policy_user):
    client = as_user(policy_user)
    assert client.get(reverse("responses:response-detail", args=[999999])).status_code == 404
    assert client.get(reverse("responses:attachment-download", args=[999999])).status_code == 404
    assert client.get(reverse("responses:matrix", args=["no-such-consultation"])).status_code == 404


def test_pages_carry_no_inline_script(as_user, policy_user, consultation, interpol):
    """Scripts come from files only: the pages of this app would pass a strict CSP."""
    logged = ResponseFactory(consultation=consultation, organisation=interpol)
    client = as_user(policy_user)
    for url in [
        reverse("responses:response-create"),
        reverse("responses:response-list"),
        reverse("responses:response-detail", args=[logged.pk]),
        reverse("responses:response-edit", args=[logged.pk]),
        reverse("responses:matrix", args=[consultation.slug]),
    ]:
        content = client.get(url).content
        assert all(b"src=" in tag for tag in re.findall(rb"<script\b[^>]*>", content)), url
        assert not re.search(rb"\son[a-z]+=", content), url


# --- Logging a submission ----------------------------------------------------------------------


def test_log_form_lists_consultations_newest_deadline_first_and_preselects_one(as_user, policy_user):
    """?consultation=<slug> preselects it; the select runs from the latest deadline to the earliest."""
    now = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    older = ConsultationFactory(title="Older", opens_at=None, deadline=now)
    newer = ConsultationFactory(title="Newer", opens_at=None, deadline=now + datetime.timedelta(days=30))
    page = as_user(policy_user).get(reverse("responses:response-create") + f"?consultation={older.slug}")
    form = page.context["form"]
    assert list(form.fields["consultation"].queryset) == [newer, older]
    assert re.search(rf'<option value="{older.pk}" selected>', page.content.decode())


def test_logging_a_submission_from_a_known_organisation(
    as_user, policy_user, consultation, interpol, django_capture_on_commit_callbacks
):
    """The response is RECEIVED, from the chosen organisation (not the user), with its file; extraction is queued."""
    with django_capture_on_commit_callbacks() as callbacks:
        page = as_user(policy_user).post(
            reverse("responses:response-create"),
            log_data(consultation, interpol, files=[SimpleUploadedFile("letter.pdf", make_pdf("Interpol letter"))]),
        )
    logged = Response.objects.get()
    assert page.status_code == 302
    assert page["Location"] == reverse("responses:response-detail", args=[logged.pk]) + "#coding"
    assert logged.status == ResponseStatus.RECEIVED
    assert logged.organisation == interpol
    assert logged.consultation == consultation
    assert logged.owner == policy_user
    assert (logged.channel, logged.received_on, logged.summary) == (
        "letter",
        datetime.date(2016, 1, 29),
        "Backs coordination.",
    )
    assert logged.attachments.get().original_name == "letter.pdf"
    # The extraction of the file and a recomputation of the consultation's campaigns, after the commit
    # (besides the batched refresh of search vectors).
    assert len([callback for callback in callbacks if not hasattr(callback, "batch_key")]) == 2


def test_logging_a_submission_from_a_new_organisation(as_user, policy_user, consultation, interpol):
    """A new organisation is created from the same form, with a slug made unique from its name."""
    page = as_user(policy_user).post(
        reverse("responses:response-create"),
        log_data(
            consultation,
            organisation_mode="new",
            new_name="  Interpol  ",
            new_kind=OrganisationKind.NGO,
            new_country="FR",
            organisation="",
        ),
    )
    # The name is taken: the form says so and points to the existing one.
    assert page.status_code == 200
    assert "Interpol already exists" in page.context["form"].errors["new_name"][0]

    page = as_user(policy_user).post(
        reverse("responses:response-create"),
        log_data(
            consultation,
            organisation_mode="new",
            new_name="Interpol  Washington",
            new_kind=OrganisationKind.GOVERNMENT,
            new_country="US",
            organisation="",
        ),
    )
    assert page.status_code == 302
    created = Organisation.objects.get(name="Interpol Washington")
    assert created.slug == "interpol-washington"
    assert (created.kind, created.country.code) == (OrganisationKind.GOVERNMENT, "US")
    assert Response.objects.get().organisation == created


def test_new_organisation_gets_a_free_slug():
    """Two organisations whose names make the same slug get interpol, then interpol-2."""
    OrganisationFactory(name="Interpol", slug="interpol")
    created = services.organisation_create(new=services.NewOrganisation(name="INTERPOL", kind="other"))
    assert created.slug == "interpol-2"


def test_log_form_without_an_organisation_says_so_and_keeps_the_rest(as_user, policy_user, consultation):
    page = as_user(policy_user).post(
        reverse("responses:response-create"), log_data(consultation, organisation_query="Interp")
    )
    assert page.status_code == 200
    assert page.context["form"].errors["organisation_query"] == ["Choose the organisation from the list."]
    content = page.content.decode()
    assert 'value="Interp"' in content
    assert "Backs coordination." in content
    assert not Response.objects.exists()


def test_an_organisation_deleted_meanwhile_is_reported_beside_the_search_box(as_user, policy_user, consultation):
    data = {**log_data(consultation, organisation_query="Gone"), "organisation": 999999}
    page = as_user(policy_user).post(reverse("responses:response-create"), data)
    assert page.context["form"].errors["organisation_query"] == [
        "That organisation no longer exists; search for it again."
    ]
    assert "That organisation no longer exists" in page.content.decode()


def test_new_organisation_needs_a_name(as_user, policy_user, consultation):
    page = as_user(policy_user).post(
        reverse("responses:response-create"), log_data(consultation, organisation_mode="new", new_name="")
    )
    assert page.context["form"].errors["new_name"] == ["Give the new organisation's name."]


def test_second_submission_is_flagged_and_not_created_without_confirmation(
    as_user, policy_user, consultation, interpol
):
    """A second submission from the same organisation re-renders with a warning linking to the first."""
    first = ResponseFactory(consultation=consultation, organisation=interpol)
    client = as_user(policy_user)
    page = client.post(reverse("responses:response-create"), log_data(consultation, interpol, summary="Follow-up"))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-testid="duplicate-warning"' in content
    assert reverse("responses:response-detail", args=[first.pk]) in content
    assert 'name="log_anyway"' in content
    assert "Follow-up" in content
    assert Response.objects.count() == 1

    page = client.post(
        reverse("responses:response-create"), log_data(consultation, interpol, summary="Follow-up", log_anyway="on")
    )
    assert page.status_code == 302
    assert Response.objects.count() == 2
    second = Response.objects.exclude(pk=first.pk).get()
    detail = client.get(reverse("responses:response-detail", args=[second.pk])).content.decode()
    assert "more than one submission" in detail
    assert reverse("responses:response-detail", args=[first.pk]) in detail


def test_other_consultations_and_our_drafts_do_not_count_as_duplicates(as_user, policy_user, consultation, interpol):
    ResponseFactory(organisation=interpol)  # to another consultation
    ResponseFactory(consultation=consultation, organisation=interpol, status=ResponseStatus.DRAFT)
    page = as_user(policy_user).post(reverse("responses:response-create"), log_data(consultation, interpol))
    assert page.status_code == 302


def test_service_refuses_a_duplicate_unless_allowed(policy_user, consultation, interpol):
    """The workflow guards duplicates itself, so a race between two forms cannot slip one in."""
    first = services.response_log_received(
        consultation=consultation, organisation=interpol, channel="email", received_on=None, logged_by=policy_user
    )
    with pytest.raises(services.DuplicateResponse) as caught:
        services.response_log_received(
            consultation=consultation, organisation=interpol, channel="email", received_on=None, logged_by=policy_user
        )
    assert caught.value.existing == first
    services.response_log_received(
        consultation=consultation,
        organisation=interpol,
        channel="email",
        received_on=None,
        logged_by=policy_user,
        allow_duplicate=True,
    )
    assert Response.objects.count() == 2


def test_service_saves_answers_and_positions_given_at_logging(policy_user, consultation, interpol):
    topic = consultation.topics.first()
    question = consultation.questions.first()
    logged = services.response_log_received(
        consultation=consultation,
        organisation=interpol,
        channel="portal",
        received_on=datetime.date(2016, 1, 30),
        logged_by=policy_user,
        answers={question.pk: "A multi-stakeholder model."},
        positions={topic.pk: services.PositionInput(stance=Stance.SUPPORTS, summary="Backs it", quote="We back it.")},
    )
    assert logged.answers.get().text == "A multi-stakeholder model."
    position = logged.positions.get()
    assert (position.topic, position.stance, position.quote) == (topic, Stance.SUPPORTS, "We back it.")


def test_service_refuses_topics_of_another_consultation(policy_user, consultation, interpol):
    foreign = TopicFactory()
    with pytest.raises(ValueError, match="consultation"):
        services.response_log_received(
            consultation=consultation,
            organisation=interpol,
            channel="portal",
            received_on=None,
            logged_by=policy_user,
            positions={foreign.pk: services.PositionInput(stance=Stance.SUPPORTS)},
        )
    assert not Response.objects.exists()


# --- The type-ahead ----------------------------------------------------------------------------


def test_organisation_search_returns_matching_names_starting_matches_first(as_user, policy_user, consultation):
    """Names starting with the text come before names merely containing it; at most ten come back."""
    OrganisationFactory(name="Internet Watch Foundation")
    OrganisationFactory(name="The International Union")
    interpol = OrganisationFactory(name="Interpol")
    ResponseFactory(consultation=consultation, organisation=interpol)
    for n in range(12):
        OrganisationFactory(name=f"Zeta inter {n:02d}")
    page = as_user(policy_user).get(
        reverse("responses:organisation-search"),
        {"organisation_query": "inter", "consultation": consultation.pk},
        HTTP_HX_REQUEST="true",
    )
    names = re.findall(r'data-org-name="([^"]+)"', page.content.decode())
    assert names[:2] == ["Internet Watch Foundation", "Interpol"]
    assert len(names) == 10
    assert "already responded" in page.content.decode()
    assert f'data-org-id="{interpol.pk}"' in page.content.decode()


def test_organisation_search_escapes_names_and_says_when_nothing_matches(as_user, policy_user):
    OrganisationFactory(name='<b>"Bold" Ltd</b>')
    client = as_user(policy_user)
    found = client.get(reverse("responses:organisation-search"), {"organisation_query": "bold"}).content.decode()
    assert "<b>" not in found
    assert "&lt;b&gt;&quot;Bold&quot; Ltd&lt;/b&gt;" in found
    nothing = client.get(reverse("responses:organisation-search"), {"organisation_query": "zzz"}).content.decode()
    assert "No organisation matches “zzz”" in nothing
    empty = client.get(reverse("responses:organisation-search"), {"organisation_query": "  "})
    assert b"data-org-id" not in empty.content


def test_log_form_search_box_is_wired_to_the_type_ahead(as_user, policy_user):
    content = as_user(policy_user).get(reverse("responses:response-create")).content.decode()
    assert f'data-hx-get="{reverse("responses:organisation-search")}"' in content
    assert 'data-hx-target="#organisation-options"' in content
    assert 'type="hidden" name="organisation"' in content
    assert "js/responses-log-form.js" in content


# --- The response page and coding --------------------------------------------------------------


def test_response_page_shows_details_files_text_and_the_coding_form(as_user, policy_user, consultation, interpol):
    logged = ResponseFactory(consultation=consultation, organisation=interpol, summary="Backs coordination.")
    attachment = AttachmentFactory(response=logged, data=b"We support coordination.\n", original_name="letter.txt")
    attachment.extraction_status, attachment.extracted_text = "done", "We support coordination."
    attachment.save()
    content = as_user(policy_user).get(reverse("responses:response-detail", args=[logged.pk])).content.decode()
    assert "Interpol" in content and "COP Results Framework" in content
    assert attachment.sha256 in content
    assert reverse("responses:attachment-download", args=[attachment.pk]) in content
    assert "We support coordination." in content
    text_at, coding_at = content.index('id="text-panel"'), content.index('id="coding"')
    assert text_at < coding_at
    for topic in consultation.topics.all():
        assert f'id="position-{topic.pk}"' in content
        assert f'name="stance_{topic.pk}"' in content
    assert f'name="answer_{consultation.questions.first().pk}"' in content


def test_coding_saves_positions_and_answers(as_user, policy_user, consultation):
    logged = ResponseFactory(consultation=consultation)
    coordination, reporting = consultation.topics.all()
    question = consultation.questions.first()
    page = as_user(policy_user).post(
        reverse("responses:response-code", args=[logged.pk]),
        {
            "version": logged.version,
            f"stance_{coordination.pk}": Stance.STRONGLY_SUPPORTS,
            f"summary_{coordination.pk}": "Coordination first",
            f"quote_{coordination.pk}": "We call coordination the main value.",
            f"stance_{reporting.pk}": "",
            f"answer_{question.pk}": "As equals.",
        },
    )
    assert page.status_code == 302
    assert page["Location"].endswith("#coding")
    position = Position.objects.get(response=logged)
    assert (position.topic, position.stance, position.summary, position.quote) == (
        coordination,
        Stance.STRONGLY_SUPPORTS,
        "Coordination first",
        "We call coordination the main value.",
    )
    assert Answer.objects.get(response=logged).text == "As equals."
    logged.refresh_from_db()
    assert logged.version == 2


def test_clearing_a_stance_or_answer_removes_it(as_user, policy_user, consultation):
    logged = ResponseFactory(consultation=consultation)
    topic = consultation.topics.first()
    PositionFactory(response=logged, topic=topic)
    AnswerFactory(response=logged, question=consultation.questions.first())
    as_user(policy_user).post(
        reverse("responses:response-code", args=[logged.pk]),
        {"version": logged.version, f"stance_{topic.pk}": "", f"answer_{consultation.questions.first().pk}": ""},
    )
    assert not logged.positions.exists()
    assert not logged.answers.exists()


def test_summary_without_a_stance_is_refused(as_user, policy_user, consultation):
    logged = ResponseFactory(consultation=consultation)
    topic = consultation.topics.first()
    page = as_user(policy_user).post(
        reverse("responses:response-code", args=[logged.pk]),
        {"version": logged.version, f"stance_{topic.pk}": "", f"quote_{topic.pk}": "A quote"},
    )
    assert page.status_code == 200
    assert page.context["coding_form"].errors[f"stance_{topic.pk}"] == [
        "Choose a stance, or clear the summary and quote."
    ]
    assert "A quote" in page.content.decode()
    assert not logged.positions.exists()


def test_coding_from_a_stale_page_is_refused_not_merged(as_user, policy_user, consultation):
    """If someone saved since the page was loaded, the save is refused and says why."""
    logged = ResponseFactory(consultation=consultation, version=3)
    topic = consultation.topics.first()
    page = as_user(policy_user).post(
        reverse("responses:response-code", args=[logged.pk]),
        {"version": 2, f"stance_{topic.pk}": Stance.OPPOSES},
    )
    assert page.status_code == 200
    assert "Someone else saved this response" in page.content.decode()
    assert not logged.positions.exists()


def test_coding_ignores_topics_of_other_consultations(as_user, policy_user, consultation):
    logged = ResponseFactory(consultation=consultation)
    foreign = TopicFactory()
    as_user(policy_user).post(
        reverse("responses:response-code", args=[logged.pk]),
        {"version": logged.version, f"stance_{foreign.pk}": Stance.SUPPORTS},
    )
    assert not Position.objects.filter(topic=foreign).exists()


# --- Editing the details -----------------------------------------------------------------------


def test_editing_the_details_of_a_received_submission(as_user, policy_user, consultation):
    logged = ResponseFactory(consultation=consultation, channel="email")
    client = as_user(policy_user)
    form = client.get(reverse("responses:response-edit", args=[logged.pk]))
    assert form.status_code == 200
    page = client.post(
        reverse("responses:response-edit", args=[logged.pk]),
        {"channel": "portal", "received_on": "2016-01-30", "summary": "Corrected", "version": logged.version},
    )
    assert page.status_code == 302
    logged.refresh_from_db()
    assert (logged.channel, logged.received_on, logged.summary, logged.version) == (
        "portal",
        datetime.date(2016, 1, 30),
        "Corrected",
        2,
    )
    assert logged.history.first().summary == "Corrected"


def test_editing_from_a_stale_form_is_refused(as_user, policy_user):
    logged = ResponseFactory(version=5, summary="Original")
    page = as_user(policy_user).post(
        reverse("responses:response-edit", args=[logged.pk]),
        {"channel": "portal", "received_on": "2016-01-30", "summary": "Mine", "version": 4},
    )
    assert page.status_code == 200
    assert "Someone else saved this response" in page.content.decode()
    logged.refresh_from_db()
    assert logged.summary == "Original"


def test_bad_details_are_shown_on_their_fields(as_user, policy_user):
    logged = ResponseFactory()
    page = as_user(policy_user).post(
        reverse("responses:response-edit", args=[logged.pk]),
        {"channel": "pigeon", "received_on": "", "summary": "Typed", "version": logged.version},
    )
    assert page.status_code == 200
    assert set(page.context["form"].errors) == {"channel", "received_on"}
    assert "Typed" in page.content.decode()


def test_our_own_drafts_have_no_received_details_to_edit(as_user, policy_user):
    draft = ResponseFactory(status=ResponseStatus.DRAFT)
    assert as_user(policy_user).get(reverse("responses:response-edit", args=[draft.pk])).status_code == 404


# --- The list ----------------------------------------------------------------------------------


def test_list_filters_by_consultation_organisation_status_and_channel(as_user, reviewer_user, consultation, interpol):
    wanted = ResponseFactory(consultation=consultation, organisation=interpol, channel="letter")
    ResponseFactory(consultation=consultation, channel="email")
    ResponseFactory(organisation=interpol, channel="letter")
    ResponseFactory(consultation=consultation, organisation=interpol, status=ResponseStatus.DRAFT, channel="letter")
    client = as_user(reviewer_user)
    page = client.get(
        reverse("responses:response-list"),
        {"consultation": consultation.pk, "organisation": interpol.pk, "status": "received", "channel": "letter"},
    )
    assert list(page.context["page_obj"]) == [wanted]
    assert len(client.get(reverse("responses:response-list")).context["page_obj"]) == 4


def test_list_filters_by_a_typed_organisation_name(as_user, reviewer_user, consultation, interpol):
    """Organisations are typed, not picked from a list of thousands: part of a name, or an id from a link."""
    wanted = ResponseFactory(consultation=consultation, organisation=interpol)
    ResponseFactory(consultation=consultation, organisation=OrganisationFactory(name="Europol"))
    client = as_user(reviewer_user)
    page = client.get(reverse("responses:response-list"), {"organisation": "  INTERP "})
    assert list(page.context["page_obj"]) == [wanted]
    assert list(client.get(reverse("responses:response-list"), {"organisation": "pol"}).context["page_obj"]) != []
    assert list(client.get(reverse("responses:response-list"), {"organisation": "nobody"}).context["page_obj"]) == []
    assert 'name="organisation"' in page.content.decode()


def test_list_shows_positions_and_files_per_row(as_user, reviewer_user):
    logged = PositionFactory().response
    AttachmentFactory(response=logged)
    bare = ResponseFactory()
    rows = {row.pk: row for row in as_user(reviewer_user).get(reverse("responses:response-list")).context["page_obj"]}
    assert (rows[logged.pk].position_count, rows[logged.pk].attachment_count) == (1, 1)
    assert (rows[bare.pk].position_count, rows[bare.pk].attachment_count) == (0, 0)


def test_list_is_paginated(as_user, reviewer_user):
    ResponseFactory.create_batch(27)
    client = as_user(reviewer_user)
    first = client.get(reverse("responses:response-list"))
    assert len(first.context["page_obj"]) == 25
    assert b'rel="next"' in first.content
    assert len(client.get(reverse("responses:response-list"), {"page": 2}).context["page_obj"]) == 2


def test_list_query_count_does_not_grow_with_rows(as_user, reviewer_user):
    """One response or many: the list page runs the same number of queries."""
    client = as_user(reviewer_user)
    AttachmentFactory(response=PositionFactory().response)
    client.get(reverse("responses:response-list"))  # warm the session and the user's roles
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("responses:response-list"))
    for _ in range(6):
        logged = PositionFactory().response
        AttachmentFactory(response=logged)
        AnswerFactory(response=logged)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("responses:response-list"))
    assert len(page.context["page_obj"]) == 7
    assert len(many) == len(one)
