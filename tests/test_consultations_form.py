"""Creating and editing a consultation with its questions and topics on one page."""

import datetime

import pytest
from django.urls import reverse

from consultations.models import Consultation, Question, Tag
from tests.factories import (
    AnswerFactory,
    ConsultationFactory,
    OrganisationFactory,
    PositionFactory,
    QuestionFactory,
    TagFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("consultations:consultation-create")


def rows(prefix: str, items: list[dict], *, initial: int = 0) -> dict:
    """Formset POST data: the management form and one set of fields per row."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(items)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(items):
        for name, value in item.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def consultation_data(issuer, *, questions: list[dict] = (), topics: list[dict] = (), initial=(0, 0), **fields) -> dict:
    data = {
        "title": "COP Results Framework",
        "slug": "",
        "reference": "CWG-COP 2016/1",
        "issuer": str(issuer.pk),
        "url": "https://www.itu.int/en/council/cwg-cop/",
        "summary": "How should a results framework coordinate work?",
        "time_zone": "Europe/Zurich",
        "opens_at": "2015-12-01T09:00",
        "deadline": "2016-01-31T23:59",
        "new_tags": "",
    }
    data.update(fields)
    data.update(rows("questions", list(questions), initial=initial[0]))
    data.update(rows("topics", list(topics), initial=initial[1]))
    return data


def edit_data(consultation: Consultation, *, questions: list[dict], topics: list[dict], **fields) -> dict:
    """POST data for the edit page: the stored values, with rows given as they should be posted."""
    zone = consultation.issuer_zone
    base = {
        "title": consultation.title,
        "slug": consultation.slug,
        "time_zone": consultation.time_zone,
        "opens_at": consultation.opens_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "deadline": consultation.deadline.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "reference": consultation.reference,
        "url": consultation.url,
        "summary": consultation.summary,
    }
    base.update(fields)
    initial = (consultation.questions.count(), consultation.topics.count())
    return consultation_data(consultation.issuer, questions=questions, topics=topics, initial=initial, **base)


def test_policy_staff_create_a_consultation_with_questions_and_topics(as_user, policy_user):
    """Questions and topics typed on the create page are saved with it, in the order given."""
    issuer = OrganisationFactory(name="ITU")
    data = consultation_data(
        issuer,
        questions=[
            {"number": "1", "text": "Which coordination model?", "order": "0"},
            {"number": "2", "text": "How to align initiatives?", "order": "1"},
        ],
        topics=[
            {"name": "Multi-stakeholder coordination", "slug": "", "description": "", "order": "0"},
            {"name": "Reporting mechanisms", "slug": "reporting", "description": "Tools", "order": "1"},
        ],
        owners=[str(policy_user.pk)],
    )
    response = as_user(policy_user).post(CREATE_URL, data)

    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == consultation.get_absolute_url()
    assert consultation.slug == "cop-results-framework"
    assert consultation.issuer == issuer
    assert list(consultation.questions.values_list("number", "text", "order")) == [
        ("1", "Which coordination model?", 0),
        ("2", "How to align initiatives?", 1),
    ]
    assert list(consultation.topics.values_list("name", "slug", "order")) == [
        ("Multi-stakeholder coordination", "multi-stakeholder-coordination", 0),
        ("Reporting mechanisms", "reporting", 1),
    ]
    assert list(consultation.owners.all()) == [policy_user]


def test_dates_are_entered_in_the_issuer_zone_and_stored_in_utc(as_user, policy_user):
    """31 Jan 2016 23:59 in Europe/Zurich is stored as 22:59 UTC, whatever the author's own zone."""
    policy_user.time_zone = "Asia/Tokyo"
    policy_user.save(update_fields=["time_zone"])
    as_user(policy_user).post(CREATE_URL, consultation_data(OrganisationFactory()))

    consultation = Consultation.objects.get()
    assert consultation.deadline == datetime.datetime(2016, 1, 31, 22, 59, tzinfo=datetime.UTC)
    assert consultation.opens_at == datetime.datetime(2015, 12, 1, 8, 0, tzinfo=datetime.UTC)
    assert consultation.time_zone == "Europe/Zurich"


def test_the_edit_page_shows_dates_back_in_the_issuer_zone(as_user, policy_user):
    """Editing shows the deadline as the issuer's clock reads it, not in UTC or the viewer's zone."""
    policy_user.time_zone = "Asia/Tokyo"
    policy_user.save(update_fields=["time_zone"])
    consultation = ConsultationFactory(
        time_zone="Europe/Zurich",
        opens_at=datetime.datetime(2015, 12, 1, 8, 0, tzinfo=datetime.UTC),
        deadline=datetime.datetime(2016, 1, 31, 22, 59, tzinfo=datetime.UTC),
    )
    response = as_user(policy_user).get(reverse("consultations:consultation-edit", args=[consultation.slug]))
    assert response.status_code == 200
    assert b'type="datetime-local" name="deadline" value="2016-01-31T23:59"' in response.content
    assert b'type="datetime-local" name="opens_at" value="2015-12-01T09:00"' in response.content


def test_deadline_before_opening_is_refused_on_the_deadline_field_keeping_every_value(as_user, policy_user):
    """The error is on the deadline, nothing is saved, and every typed value comes back, rows included."""
    data = consultation_data(
        OrganisationFactory(),
        opens_at="2016-02-01T09:00",
        deadline="2016-01-31T23:59",
        questions=[{"number": "7b", "text": "A question kept on error", "order": "0"}],
        topics=[{"name": "A topic kept on error", "slug": "", "description": "", "order": "0"}],
    )
    response = as_user(policy_user).post(CREATE_URL, data)

    assert response.status_code == 200
    assert not Consultation.objects.exists()
    form = response.context["form"]
    assert list(form.errors) == ["deadline"]
    assert "after the opening date" in form.errors["deadline"][0]
    content = response.content.decode()
    assert 'id="error_1_id_deadline"' in content
    assert 'value="2016-01-31T23:59"' in content
    assert 'value="2016-02-01T09:00"' in content
    assert 'value="COP Results Framework"' in content
    assert 'value="7b"' in content
    assert "A question kept on error" in content
    assert 'value="A topic kept on error"' in content


def test_rows_come_back_in_the_order_chosen_when_a_save_is_refused(as_user, policy_user):
    """After a refused save, rows are shown in the order the user arranged, not the order posted."""
    data = consultation_data(
        OrganisationFactory(),
        title="",
        topics=[
            {"name": "Posted first, placed second", "slug": "", "description": "", "order": "1"},
            {"name": "Posted second, placed first", "slug": "", "description": "", "order": "0"},
        ],
    )
    content = as_user(policy_user).post(CREATE_URL, data).content.decode()
    assert content.index("Posted second, placed first") < content.index("Posted first, placed second")


def test_an_unknown_time_zone_is_refused(as_user, policy_user):
    """A time zone name that does not exist is an error on the time zone field."""
    data = consultation_data(OrganisationFactory(), time_zone="Mars/Olympus_Mons")
    response = as_user(policy_user).post(CREATE_URL, data)
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    assert not Consultation.objects.exists()


def test_a_time_skipped_by_the_clock_change_is_refused(as_user, policy_user):
    """02:30 on the night clocks go forward in Zurich does not exist; the form says so on the field."""
    data = consultation_data(OrganisationFactory(), opens_at="2016-03-01T09:00", deadline="2016-03-27T02:30")
    response = as_user(policy_user).post(CREATE_URL, data)
    assert response.status_code == 200
    assert "does not exist in Europe/Zurich" in response.context["form"].errors["deadline"][0]


def test_a_blank_slug_is_made_unique_from_the_title(as_user, policy_user):
    """A second consultation with the same title gets a slug of its own."""
    ConsultationFactory(slug="cop-results-framework")
    as_user(policy_user).post(CREATE_URL, consultation_data(OrganisationFactory()))
    assert Consultation.objects.filter(slug="cop-results-framework-2").exists()


def test_a_typed_slug_already_taken_is_an_error_on_the_slug(as_user, policy_user):
    ConsultationFactory(slug="taken")
    response = as_user(policy_user).post(CREATE_URL, consultation_data(OrganisationFactory(), slug="taken"))
    assert response.status_code == 200
    assert "slug" in response.context["form"].errors


def test_the_slug_new_is_reserved_for_the_create_page(as_user, policy_user):
    """A consultation titled "New" cannot take the address of the create page."""
    response = as_user(policy_user).post(CREATE_URL, consultation_data(OrganisationFactory(), slug="new"))
    assert "reserved" in response.context["form"].errors["slug"][0]
    as_user(policy_user).post(CREATE_URL, consultation_data(OrganisationFactory(), title="New"))
    assert Consultation.objects.get().slug == "new-2"


def test_tags_are_chosen_or_typed_and_new_ones_created(as_user, policy_user):
    """Existing tags are ticked; names typed under New tags are created once, matched ignoring case."""
    existing = TagFactory(name="Child online protection", slug="child-online-protection")
    data = consultation_data(
        OrganisationFactory(), tags=[str(existing.pk)], new_tags="Age assurance, child ONLINE protection, Encryption"
    )
    as_user(policy_user).post(CREATE_URL, data)
    consultation = Consultation.objects.get()
    assert sorted(consultation.tags.values_list("name", flat=True)) == [
        "Age assurance",
        "Child online protection",
        "Encryption",
    ]
    assert Tag.objects.count() == 3
    assert Tag.objects.get(name="Age assurance").slug == "age-assurance"


def test_duplicate_question_numbers_are_field_errors(as_user, policy_user):
    """Two questions numbered 3 are refused on the second one's number field, not by the database."""
    data = consultation_data(
        OrganisationFactory(),
        questions=[
            {"number": "3", "text": "First", "order": "0"},
            {"number": "3", "text": "Second", "order": "1"},
        ],
    )
    response = as_user(policy_user).post(CREATE_URL, data)
    assert response.status_code == 200
    formset = response.context["question_formset"]
    assert formset.forms[0].errors == {}
    assert "number 3" in formset.forms[1].errors["number"][0]
    assert not Consultation.objects.exists()


def test_duplicate_topic_slugs_are_field_errors(as_user, policy_user):
    data = consultation_data(
        OrganisationFactory(),
        topics=[
            {"name": "One", "slug": "same", "description": "", "order": "0"},
            {"name": "Two", "slug": "same", "description": "", "order": "1"},
        ],
    )
    response = as_user(policy_user).post(CREATE_URL, data)
    assert response.status_code == 200
    assert "slug" in response.context["topic_formset"].forms[1].errors


def test_blank_topic_slugs_from_the_same_name_are_made_distinct(as_user, policy_user):
    data = consultation_data(
        OrganisationFactory(),
        topics=[
            {"name": "Reporting", "slug": "", "description": "", "order": "0"},
            {"name": "Reporting!", "slug": "", "description": "", "order": "1"},
            {"name": "Other", "slug": "reporting-2", "description": "", "order": "2"},
        ],
    )
    as_user(policy_user).post(CREATE_URL, data)
    assert list(Consultation.objects.get().topics.values_list("slug", flat=True)) == [
        "reporting",
        "reporting-3",
        "reporting-2",
    ]


def test_a_row_added_and_left_blank_is_ignored(as_user, policy_user):
    """An empty row (its order set by the page script) is not an error and not saved."""
    data = consultation_data(
        OrganisationFactory(),
        questions=[{"number": "1", "text": "Kept", "order": "0"}, {"number": "", "text": "", "order": "1"}],
    )
    response = as_user(policy_user).post(CREATE_URL, data)
    assert response.status_code == 302
    assert list(Consultation.objects.get().questions.values_list("number", flat=True)) == ["1"]


def test_edit_reorders_and_removes_questions_and_topics(as_user, policy_user):
    """Rows take the order they are posted in; rows marked for removal are deleted."""
    consultation = ConsultationFactory(time_zone="Europe/Zurich")
    q1 = QuestionFactory(consultation=consultation, number="1", text="One", order=0)
    q2 = QuestionFactory(consultation=consultation, number="2", text="Two", order=1)
    q3 = QuestionFactory(consultation=consultation, number="3", text="Three", order=2)
    t1 = TopicFactory(consultation=consultation, name="Alpha", slug="alpha", order=0)
    t2 = TopicFactory(consultation=consultation, name="Beta", slug="beta", order=1)
    t3 = TopicFactory(consultation=consultation, name="Gamma", slug="gamma", order=2)
    data = edit_data(
        consultation,
        questions=[
            {"id": q1.pk, "number": "1", "text": "One", "order": "2"},
            {"id": q2.pk, "number": "2", "text": "Two", "order": "1", "DELETE": "on"},
            {"id": q3.pk, "number": "3", "text": "Three, reworded", "order": "0"},
            {"number": "4", "text": "Four, new", "order": "1"},
        ],
        topics=[
            {"id": t1.pk, "name": "Alpha", "slug": "alpha", "description": "", "order": "1", "DELETE": "on"},
            {"id": t2.pk, "name": "Beta", "slug": "beta", "description": "", "order": "2"},
            {"id": t3.pk, "name": "Gamma", "slug": "gamma", "description": "", "order": "0"},
        ],
    )
    response = as_user(policy_user).post(reverse("consultations:consultation-edit", args=[consultation.slug]), data)

    assert response.status_code == 302
    assert list(consultation.questions.values_list("number", "text", "order")) == [
        ("3", "Three, reworded", 0),
        ("4", "Four, new", 1),
        ("1", "One", 2),
    ]
    assert list(consultation.topics.values_list("slug", "order")) == [("gamma", 0), ("beta", 1)]
    assert consultation.questions.get(number="1").pk == q1.pk, "rows keep their identity"

    detail = as_user(policy_user).get(consultation.get_absolute_url()).content.decode()
    assert detail.index("Three, reworded") < detail.index("Four, new") < detail.index(">One<")
    assert detail.index("Gamma") < detail.index("Beta")
    assert "Alpha" not in detail


def test_question_numbers_can_be_swapped(as_user, policy_user):
    """Renumbering 1 to 2 and 2 to 1 in one save passes, though each number is unique at every moment."""
    consultation = ConsultationFactory()
    q1 = QuestionFactory(consultation=consultation, number="1", text="First", order=0)
    q2 = QuestionFactory(consultation=consultation, number="2", text="Second", order=1)
    t1 = TopicFactory(consultation=consultation, slug="a", order=0)
    t2 = TopicFactory(consultation=consultation, slug="b", order=1)
    data = edit_data(
        consultation,
        questions=[
            {"id": q1.pk, "number": "2", "text": "First", "order": "0"},
            {"id": q2.pk, "number": "1", "text": "Second", "order": "1"},
        ],
        topics=[
            {"id": t1.pk, "name": t1.name, "slug": "b", "description": "", "order": "0"},
            {"id": t2.pk, "name": t2.name, "slug": "a", "description": "", "order": "1"},
        ],
    )
    response = as_user(policy_user).post(reverse("consultations:consultation-edit", args=[consultation.slug]), data)
    assert response.status_code == 302
    q1.refresh_from_db()
    q2.refresh_from_db()
    t1.refresh_from_db()
    assert (q1.number, q2.number, t1.slug) == ("2", "1", "b")


def test_a_removed_number_can_be_given_to_a_new_question(as_user, policy_user):
    consultation = ConsultationFactory()
    q1 = QuestionFactory(consultation=consultation, number="1", order=0)
    data = edit_data(
        consultation,
        questions=[
            {"id": q1.pk, "number": "1", "text": q1.text, "order": "0", "DELETE": "on"},
            {"number": "1", "text": "Replacement", "order": "1"},
        ],
        topics=[],
    )
    response = as_user(policy_user).post(reverse("consultations:consultation-edit", args=[consultation.slug]), data)
    assert response.status_code == 302
    assert list(consultation.questions.values_list("number", "text")) == [("1", "Replacement")]


def test_a_duplicate_with_a_stored_question_is_a_field_error(as_user, policy_user):
    """A new question numbered like a kept stored one is refused on the new row."""
    consultation = ConsultationFactory()
    q1 = QuestionFactory(consultation=consultation, number="1", order=0)
    data = edit_data(
        consultation,
        questions=[
            {"id": q1.pk, "number": "1", "text": q1.text, "order": "0"},
            {"number": "1", "text": "Clash", "order": "1"},
        ],
        topics=[],
    )
    response = as_user(policy_user).post(reverse("consultations:consultation-edit", args=[consultation.slug]), data)
    assert response.status_code == 200
    assert "number" in response.context["question_formset"].forms[1].errors
    assert consultation.questions.count() == 1


def test_a_topic_with_coded_positions_is_not_removed(as_user, policy_user):
    """Removing a topic would delete the positions coded on it; the page refuses and says why."""
    position = PositionFactory()
    topic = position.topic
    consultation = topic.consultation
    data = edit_data(
        consultation,
        questions=[],
        topics=[
            {"id": topic.pk, "name": topic.name, "slug": topic.slug, "description": "", "order": "0", "DELETE": "on"}
        ],
    )
    response = as_user(policy_user).post(reverse("consultations:consultation-edit", args=[consultation.slug]), data)
    assert response.status_code == 200
    assert "1 coded positions" in response.content.decode()
    assert consultation.topics.filter(pk=topic.pk).exists()


def test_a_question_with_answers_is_not_removed(as_user, policy_user):
    answer = AnswerFactory()
    question = answer.question
    data = edit_data(
        question.consultation,
        questions=[{"id": question.pk, "number": question.number, "text": question.text, "order": "0", "DELETE": "on"}],
        topics=[],
    )
    url = reverse("consultations:consultation-edit", args=[question.consultation.slug])
    response = as_user(policy_user).post(url, data)
    assert response.status_code == 200
    assert question.consultation.questions.filter(pk=question.pk).exists()


def test_changing_the_zone_reads_the_typed_times_in_the_new_zone(as_user, policy_user):
    """The times are the issuer's clock; switching the zone to Tokyo stores 23:59 Tokyo time."""
    consultation = ConsultationFactory(
        time_zone="Europe/Zurich",
        opens_at=datetime.datetime(2015, 12, 1, 8, 0, tzinfo=datetime.UTC),
        deadline=datetime.datetime(2016, 1, 31, 22, 59, tzinfo=datetime.UTC),
    )
    data = edit_data(consultation, questions=[], topics=[], time_zone="Asia/Tokyo")
    response = as_user(policy_user).post(reverse("consultations:consultation-edit", args=[consultation.slug]), data)
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.deadline == datetime.datetime(2016, 1, 31, 14, 59, tzinfo=datetime.UTC)


def test_editing_the_slug_moves_the_page(as_user, policy_user):
    consultation = ConsultationFactory(slug="old-slug")
    data = edit_data(consultation, questions=[], topics=[], slug="new-slug")
    response = as_user(policy_user).post(reverse("consultations:consultation-edit", args=["old-slug"]), data)
    assert response["Location"] == reverse("consultations:consultation-detail", args=["new-slug"])


def test_form_pages_load_the_formset_script_and_carry_no_inline_script(as_user, policy_user):
    """The in-place editing comes from a static file, so a strict Content-Security-Policy can apply."""
    import re

    consultation = ConsultationFactory()
    QuestionFactory(consultation=consultation)
    for url in [CREATE_URL, reverse("consultations:consultation-edit", args=[consultation.slug])]:
        content = as_user(policy_user).get(url).content
        assert b"js/consultations-formset.js" in content
        assert all(b"src=" in tag for tag in re.findall(rb"<script\b[^>]*>", content))
        assert not re.search(rb"\son[a-z]+=", content)
        assert b"<template data-formset-template>" in content
        assert b"questions-__prefix__-number" in content


def test_a_clash_with_a_concurrent_save_is_reported_and_nothing_is_half_saved(as_user, policy_user, monkeypatch):
    """If the database refuses the save (someone else saved meanwhile), the page says so and keeps the values."""
    from django.db import IntegrityError

    from consultations.forms import TopicRowsFormSet

    def clash(self, commit=True):
        # Topics are saved last, after the consultation and its questions: all of it must roll back.
        raise IntegrityError("simulated clash")

    monkeypatch.setattr(TopicRowsFormSet, "save", clash)
    data = consultation_data(OrganisationFactory(), questions=[{"number": "1", "text": "Kept", "order": "0"}])
    response = as_user(policy_user).post(CREATE_URL, data)

    assert response.status_code == 200
    assert "Someone else changed this consultation meanwhile" in response.content.decode()
    assert 'value="COP Results Framework"' in response.content.decode()
    assert response.context["consultation"].pk is None
    assert not Consultation.objects.exists()
    assert not Question.objects.exists()
