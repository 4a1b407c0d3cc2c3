"""Writing our own responses: drafts, the Markdown preview, saving with optimistic locking and the conflict page."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from responses import services
from responses.models import Answer, EventKind, Position, Response, ResponseEvent, ResponseStatus, Stance
from responses.rendering import render_markdown
from tests.factories import (
    DRAFT_BODY,
    ConsultationFactory,
    DraftFactory,
    OrganisationFactory,
    QuestionFactory,
    ResponseFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation():
    consultation = ConsultationFactory(title="COP Results Framework", slug="cop-results-framework")
    TopicFactory(consultation=consultation, name="Coordination", order=1)
    QuestionFactory(consultation=consultation, number="1", text="Which coordination model?", order=1)
    return consultation


@pytest.fixture
def draft(policy_user, consultation):
    return services.draft_create(
        consultation=consultation, organisation=OrganisationFactory(name="Our network"), by=policy_user, body=DRAFT_BODY
    )


def edit_data(response: Response, **changes) -> dict:
    topic = response.consultation.topics.first()
    question = response.consultation.questions.first()
    data = {
        "version": response.version,
        "summary": response.summary,
        "body": response.body,
        f"stance_{topic.pk}": "",
        f"summary_{topic.pk}": "",
        f"quote_{topic.pk}": "",
        f"answer_{question.pk}": "",
    }
    data.update(changes)
    return data


# --- Creating ---------------------------------------------------------------------------------------


def test_a_response_created_in_the_app_starts_as_a_draft(as_user, policy_user, consultation):
    """The form picks our organisation and the consultation; the new response is a draft at version 1."""
    ours = OrganisationFactory(name="Child Safety Policy Network")
    client = as_user(policy_user)
    form = client.get(reverse("responses:draft-create"), {"consultation": consultation.slug})
    assert form.status_code == 200
    assert form.context["form"].initial["consultation"] == consultation
    page = client.post(
        reverse("responses:draft-create"),
        {
            "consultation": consultation.pk,
            "organisation": ours.pk,
            "summary": "We agree.",
            "body": "First.\r\n\r\nSecond.",
        },
    )
    response = Response.objects.get()
    assert page.status_code == 302
    assert page["Location"] == reverse("responses:response-detail", args=[response.pk])
    assert (response.status, response.organisation, response.owner, response.version) == (
        ResponseStatus.DRAFT,
        ours,
        policy_user,
        1,
    )
    assert response.body == "First.\n\nSecond."
    record = response.history.get()
    assert (record.history_user, record.version) == (policy_user, 1)
    assert ResponseEvent.objects.get().kind == EventKind.CREATED


def test_the_create_form_offers_the_organisation_of_the_last_draft(as_user, policy_user, consultation):
    ours = OrganisationFactory(name="Our network")
    DraftFactory(organisation=ours)
    ResponseFactory()  # a received submission from someone else does not count
    form = as_user(policy_user).get(reverse("responses:draft-create")).context["form"]
    assert form.initial["organisation"] == ours.pk


def test_the_create_form_shows_errors_and_keeps_the_text(as_user, policy_user, consultation):
    page = as_user(policy_user).post(
        reverse("responses:draft-create"), {"consultation": consultation.pk, "body": "Keep me."}
    )
    assert page.status_code == 200
    assert set(page.context["form"].errors) == {"organisation"}
    assert "Keep me." in page.content.decode()
    assert not Response.objects.exists()


def test_the_consultation_page_links_to_drafting_a_response(as_user, policy_user, reviewer_user, consultation):
    link = f"{reverse('responses:draft-create')}?consultation={consultation.slug}"
    assert link in as_user(policy_user).get(consultation.get_absolute_url()).content.decode()
    assert link not in as_user(reviewer_user).get(consultation.get_absolute_url()).content.decode()


# --- The Markdown body -------------------------------------------------------------------------------


def test_markdown_is_rendered_and_sanitised():
    """Formatting survives; scripts, event attributes, raw HTML and javascript: links do not."""
    html = render_markdown(
        "## Title\n\n**bold** and [a link](https://example.org) and [bad](javascript:alert(1))\n\n"
        '<script>alert("x")</script>\n\n<img src=x onerror="alert(1)">\n\n<a href="#" onclick="steal()">click</a>'
    )
    assert "<h2>Title</h2>" in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">a link</a>' in html
    for forbidden in ["<script", "onerror", "onclick", "javascript:", "<img"]:
        assert forbidden not in html


def test_preview_renders_the_body_on_the_server(as_user, policy_user):
    page = as_user(policy_user).post(
        reverse("responses:draft-preview"), {"body": "*We* support it.\n\n<script>x()</script>"}, HTTP_HX_REQUEST="true"
    )
    assert page.status_code == 200
    content = page.content.decode()
    assert "<em>We</em> support it." in content
    assert "<script>x()" not in content
    assert "<html" not in content


def test_the_edit_page_wires_the_preview_button_with_htmx(as_user, policy_user, draft):
    content = as_user(policy_user).get(reverse("responses:draft-edit", args=[draft.pk])).content.decode()
    assert f'data-hx-post="{reverse("responses:draft-preview")}"' in content
    assert "data-hx-include=\"[name='body']\"" in content
    assert 'data-hx-target="#body-preview"' in content


def test_the_draft_page_shows_each_paragraph_rendered_and_escapes_markup(as_user, reviewer_user, consultation):
    draft = DraftFactory(consultation=consultation, body="Intro with **weight**.\n\n<b onclick=x>raw</b> & more")
    content = as_user(reviewer_user).get(reverse("responses:response-detail", args=[draft.pk])).content.decode()
    assert content.count('data-testid="paragraph"') == 2
    assert "Intro with <strong>weight</strong>." in content
    assert "onclick" not in content


# --- Saving ---------------------------------------------------------------------------------------------


def test_saving_makes_a_new_version_with_answers_and_positions(as_user, policy_user, draft):
    topic = draft.consultation.topics.first()
    question = draft.consultation.questions.first()
    page = as_user(policy_user).post(
        reverse("responses:draft-edit", args=[draft.pk]),
        edit_data(
            draft,
            body="New text.",
            summary="Short",
            **{
                f"stance_{topic.pk}": Stance.SUPPORTS,
                f"summary_{topic.pk}": "As equals",
                f"answer_{question.pk}": "Multi-stakeholder.",
            },
        ),
    )
    assert page.status_code == 302
    draft.refresh_from_db()
    assert (draft.version, draft.body, draft.summary) == (2, "New text.", "Short")
    assert Position.objects.get(response=draft).stance == Stance.SUPPORTS
    assert Answer.objects.get(response=draft).text == "Multi-stakeholder."
    latest = draft.history.order_by("-history_id").first()
    assert (latest.version, latest.history_user, latest.body) == (2, policy_user, "New text.")
    assert ResponseEvent.objects.filter(kind=EventKind.SAVED, version=2, actor=policy_user).exists()


def test_saving_without_a_change_makes_no_version(as_user, policy_user, draft):
    page = as_user(policy_user).post(reverse("responses:draft-edit", args=[draft.pk]), edit_data(draft), follow=True)
    assert "Nothing changed" in page.content.decode()
    draft.refresh_from_db()
    assert draft.version == 1
    assert draft.history.count() == 1


def test_bad_input_keeps_what_was_typed(as_user, policy_user, draft):
    topic = draft.consultation.topics.first()
    page = as_user(policy_user).post(
        reverse("responses:draft-edit", args=[draft.pk]),
        edit_data(draft, body="Typed text", **{f"quote_{topic.pk}": "A quote without a stance"}),
    )
    assert page.status_code == 200
    assert f"stance_{topic.pk}" in page.context["form"].errors
    assert "Typed text" in page.content.decode()
    draft.refresh_from_db()
    assert draft.version == 1


def test_received_submissions_have_no_draft_pages(as_user, policy_user):
    received = ResponseFactory()
    client = as_user(policy_user)
    for name in ["draft-edit", "version-list", "review-request", "response-submit", "response-audit"]:
        assert client.get(reverse(f"responses:{name}", args=[received.pk])).status_code == 404, name


# --- Two editors at once ---------------------------------------------------------------------------------


def test_the_second_of_two_saves_from_one_version_is_refused_and_both_texts_survive(draft, policy_user, admin_user):
    """Service: the first save wins; the second raises EditConflict carrying their text; nothing is merged."""
    services.draft_save(response=draft, by=policy_user, expected_version=1, body="Their text.", summary="")
    with pytest.raises(services.EditConflict) as conflict:
        services.draft_save(response=draft, by=admin_user, expected_version=1, body="My text.", summary="")
    assert conflict.value.current.body == "Their text."
    assert conflict.value.current.version == 2
    draft.refresh_from_db()
    assert (draft.body, draft.version) == ("Their text.", 2)
    # Keeping mine on purpose, from their version, makes version 3; theirs stays as version 2.
    services.draft_save(response=draft, by=admin_user, expected_version=2, body="My text.", summary="")
    assert list(draft.history.order_by("history_id").values_list("version", "body")) == [
        (1, DRAFT_BODY),
        (2, "Their text."),
        (3, "My text."),
    ]


def test_the_second_editor_gets_the_conflict_page_with_both_texts(as_user, draft, policy_user, admin_user):
    """View: their text on one side, mine in the form on the other, based on their version now."""
    services.draft_save(response=draft, by=admin_user, expected_version=1, body="Their <b>text</b>.", summary="")
    page = as_user(policy_user).post(
        reverse("responses:draft-edit", args=[draft.pk]), edit_data(draft, body="My text.\r\n\r\nAnd more.")
    )
    assert page.status_code == 409
    content = page.content.decode()
    assert "Someone saved this draft while you were editing" in content
    assert "Their &lt;b&gt;text&lt;/b&gt;." in content
    assert 'name="body"' in content
    assert "My text.\n\nAnd more.</textarea>" in content
    assert page.context["form"]["version"].value() == "2"
    assert reverse("responses:draft-edit", args=[draft.pk]) in content  # take theirs
    draft.refresh_from_db()
    assert draft.body == "Their <b>text</b>."
    # Keeping mine: the conflict page's form saves on top of their version.
    kept = as_user(policy_user).post(
        reverse("responses:draft-edit", args=[draft.pk]), edit_data(draft, body="My text.", version=2)
    )
    assert kept.status_code == 302
    draft.refresh_from_db()
    assert (draft.version, draft.body) == (3, "My text.")
    assert draft.history.filter(version=2, body="Their <b>text</b>.").exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_cannot_both_win(policy_user, admin_user, consultation):
    """Two threads save from version 1 at the same moment: exactly one makes version 2, the other is told."""
    draft = services.draft_create(
        consultation=consultation, organisation=OrganisationFactory(), by=policy_user, body="Start"
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(user, text: str) -> None:
        try:
            barrier.wait(timeout=5)
            services.draft_save(response=draft, by=user, expected_version=1, body=text, summary="")
            outcomes.append("saved")
        except services.EditConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=args) for args in [(policy_user, "One"), (admin_user, "Two")]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(outcomes) == ["conflict", "saved"]
    draft.refresh_from_db()
    assert draft.version == 2
    assert draft.body in {"One", "Two"}
    assert draft.history.filter(version=2).count() == 1
