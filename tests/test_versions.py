"""Versions of a draft: who saved each and when, the differences between any two, and restoring an old one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responses import services
from responses.diffing import diff_texts, locate_paragraph, paragraphs, word_diff
from responses.models import EventKind, Response, ResponseEvent, ResponseStatus, Stance
from responses.versions import response_versions, version_snapshot
from tests.factories import ConsultationFactory, OrganisationFactory, QuestionFactory, TopicFactory

pytestmark = pytest.mark.django_db


# --- Paragraphs and differences (no database) ------------------------------------------------------


def test_paragraphs_are_blocks_between_blank_lines():
    assert paragraphs("One\r\nline two\r\n\r\n  \r\nTwo\n\n\n\nThree  ") == ["One\nline two", "Two", "Three"]
    assert paragraphs("") == []


def test_word_diff_marks_changed_words_and_escapes_everything():
    html = word_diff("We support <b>coordination</b> now.", "We strongly support <i>coordination</i> now.")
    assert 'We<ins class="bg-success-subtle"> strongly</ins> support' in html
    assert '&lt;<del class="bg-danger-subtle">b</del><ins class="bg-success-subtle">i</ins>&gt;coordination' in html
    assert "<b>" not in html and "<i>" not in html


def test_diff_goes_paragraph_by_paragraph():
    """An unchanged paragraph stays plain, an edited one gets a word diff, new and removed ones are whole."""
    old = "Intro stays.\n\nWe support the framework.\n\nThis paragraph goes away entirely."
    new = "Intro stays.\n\nWe fully support the framework.\n\nA brand new closing paragraph about funding."
    kinds = [change.kind for change in diff_texts(old, new).changes]
    assert kinds == ["equal", "changed", "removed", "added"]
    changed = diff_texts(old, new).changes[1]
    assert "fully" in changed.html and "<ins" in changed.html
    assert diff_texts(old, new).counts() == {"changed": 1, "added": 1, "removed": 1}
    assert not diff_texts(old, old).has_changes


def test_a_paragraph_is_found_again_exactly_or_by_likeness():
    current = ["Intro.", "We support the framework strongly.", "Funding matters."]
    assert locate_paragraph("Funding matters.", current, near=0).index == 2
    assert not locate_paragraph("Funding matters.", current).outdated
    moved = locate_paragraph("We support the framework.", current, near=1)
    assert (moved.index, moved.outdated) == (1, True)
    gone = locate_paragraph("Something else altogether, unrelated to any of it.", current)
    assert gone.gone and gone.outdated


def test_of_two_identical_paragraphs_the_nearest_is_chosen():
    assert locate_paragraph("Same.", ["Same.", "Other.", "Same."], near=2).index == 2


# --- Versions recorded by history ------------------------------------------------------------------


@pytest.fixture
def consultation():
    consultation = ConsultationFactory()
    TopicFactory(consultation=consultation, name="Coordination")
    QuestionFactory(consultation=consultation, number="1")
    return consultation


@pytest.fixture
def draft(policy_user, consultation):
    return services.draft_create(
        consultation=consultation, organisation=OrganisationFactory(), by=policy_user, body="First.\n\nSecond."
    )


def test_every_save_is_a_version_with_its_author_and_time(draft, policy_user, admin_user):
    services.draft_save(response=draft, by=admin_user, expected_version=1, body="First.\n\nSecond, edited.", summary="")
    services.draft_save(response=draft, by=policy_user, expected_version=2, body="Third text.", summary="S")
    versions = response_versions(draft)
    assert [(v.number, v.author) for v in versions] == [(3, policy_user), (2, admin_user), (1, policy_user)]
    assert versions[0].saved_at >= versions[1].saved_at >= versions[2].saved_at


def test_a_workflow_step_is_not_a_new_version(draft, policy_user, reviewer_user):
    """Asking for a review records history and an event, but the text's version stays the same."""
    services.response_request_review(
        response=draft,
        by=policy_user,
        reviewers=[reviewer_user],
        due_at=services.review_due_default(consultation=draft.consultation),
    )
    assert [v.number for v in response_versions(draft)] == [1]


def test_a_snapshot_holds_body_answers_and_positions_of_that_version(draft, policy_user, consultation):
    topic, question = consultation.topics.get(), consultation.questions.get()
    services.draft_save(
        response=draft,
        by=policy_user,
        expected_version=1,
        body="Version two.",
        summary="",
        answers={question.pk: "Our answer"},
        positions={topic.pk: services.PositionInput(Stance.SUPPORTS, "Yes", "")},
    )
    services.draft_save(
        response=draft,
        by=policy_user,
        expected_version=2,
        body="Version three.",
        summary="",
        answers={question.pk: ""},
        positions={topic.pk: services.PositionInput(Stance.OPPOSES, "No", "")},
    )
    one, two, three = (version_snapshot(draft, n) for n in (1, 2, 3))
    assert (one.body, one.answers, one.positions) == ("First.\n\nSecond.", {}, {})
    assert (two.answers, two.positions[topic.pk].stance) == ({question.pk: "Our answer"}, Stance.SUPPORTS)
    assert (three.body, three.answers, three.positions[topic.pk].stance) == ("Version three.", {}, Stance.OPPOSES)


def test_restoring_an_old_version_makes_a_new_one(draft, policy_user, consultation):
    """Version 1 restored becomes version 3; version 2 is still there."""
    topic = consultation.topics.get()
    services.draft_save(
        response=draft,
        by=policy_user,
        expected_version=1,
        body="Rewritten.",
        summary="New",
        positions={topic.pk: services.PositionInput(Stance.SUPPORTS)},
    )
    restored = services.draft_restore(response=draft, by=policy_user, number=1, expected_version=2)
    assert (restored.version, restored.body, restored.summary) == (3, "First.\n\nSecond.", "")
    assert not restored.positions.exists()
    assert version_snapshot(draft, 2).body == "Rewritten."
    event = ResponseEvent.objects.get(kind=EventKind.RESTORED)
    assert (event.version, event.note) == (3, "Restored version 1")


def test_restoring_from_a_stale_page_is_a_conflict(draft, policy_user, admin_user):
    services.draft_save(response=draft, by=admin_user, expected_version=1, body="Two", summary="")
    with pytest.raises(services.EditConflict):
        services.draft_restore(response=draft, by=policy_user, number=1, expected_version=1)
    draft.refresh_from_db()
    assert (draft.version, draft.body) == (2, "Two")


# --- The pages -------------------------------------------------------------------------------------


def test_version_list_shows_author_and_time_and_offers_restore_to_editors(
    as_user, draft, policy_user, admin_user, reviewer_user
):
    services.draft_save(response=draft, by=admin_user, expected_version=1, body="Two", summary="")
    page = as_user(policy_user).get(reverse("responses:version-list", args=[draft.pk]))
    content = page.content.decode()
    assert content.count('data-testid="version-row"') == 2
    assert str(admin_user) in content and str(policy_user) in content
    assert reverse("responses:version-restore", args=[draft.pk, 1]) in content
    reviewer_page = as_user(reviewer_user).get(reverse("responses:version-list", args=[draft.pk])).content.decode()
    assert reverse("responses:version-restore", args=[draft.pk, 1]) not in reviewer_page


def test_diff_page_compares_any_two_versions(as_user, draft, policy_user, reviewer_user, consultation):
    question = consultation.questions.get()
    services.draft_save(
        response=draft,
        by=policy_user,
        expected_version=1,
        body="First.\n\nSecond, <em>edited</em>.",
        summary="",
        answers={question.pk: "An answer"},
    )
    services.draft_save(response=draft, by=policy_user, expected_version=2, body="Only this.", summary="")
    client = as_user(reviewer_user)
    page = client.get(reverse("responses:version-diff", args=[draft.pk]), {"from": 1, "to": 2})
    content = page.content.decode()
    assert page.status_code == 200
    assert [change.kind for change in page.context["diff"].changes] == ["equal", "changed"]
    assert "&lt;em&gt;edited&lt;/em&gt;" in content and "<em>edited" not in content
    assert "An answer" in content
    default = client.get(reverse("responses:version-diff", args=[draft.pk]))
    assert (default.context["old"].number, default.context["new"].number) == (2, 3)
    missing = client.get(reverse("responses:version-diff", args=[draft.pk]), {"from": 9}, follow=True)
    assert "There is no version 9" in missing.content.decode()


def test_restore_through_the_page(as_user, draft, policy_user):
    services.draft_save(response=draft, by=policy_user, expected_version=1, body="Two", summary="")
    client = as_user(policy_user)
    page = client.post(reverse("responses:version-restore", args=[draft.pk, 1]), {"version": 2}, follow=True)
    assert "Version 1 is restored as version 3" in page.content.decode()
    draft.refresh_from_db()
    assert (draft.version, draft.body) == (3, "First.\n\nSecond.")
    stale = client.post(reverse("responses:version-restore", args=[draft.pk, 2]), {"version": 2}, follow=True)
    assert "Someone saved a new version meanwhile" in stale.content.decode()
    assert client.post(reverse("responses:version-restore", args=[draft.pk, 42]), {"version": 3}).status_code == 404


def test_a_locked_response_cannot_be_restored(as_user, draft, policy_user, reviewer_user):
    services.draft_save(response=draft, by=policy_user, expected_version=1, body="Two", summary="")
    Response.objects.filter(pk=draft.pk).update(status=ResponseStatus.SUBMITTED)
    page = as_user(policy_user).post(
        reverse("responses:version-restore", args=[draft.pk, 1]), {"version": 2}, follow=True
    )
    assert "locked" in page.content.decode()
    draft.refresh_from_db()
    assert draft.body == "Two"


def test_version_list_query_count_does_not_grow_with_versions(as_user, draft, policy_user, reviewer_user):
    client = as_user(reviewer_user)
    url = reverse("responses:version-list", args=[draft.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for number in range(1, 7):
        services.draft_save(response=draft, by=policy_user, expected_version=number, body=f"V{number}", summary="")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(page.context["versions"]) == 7
    assert len(many) == len(one)
