"""The constraints users rely on hold in the database, not only in forms."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultations.models import Consultation, ConsultationStatus
from responses.models import Answer, Channel, Position, Stance
from stakeholders.models import Organisation
from tests.factories import (
    AnswerFactory,
    ConsultationFactory,
    OrganisationFactory,
    PositionFactory,
    QuestionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def test_one_position_per_response_and_topic():
    """A second position on the same topic of the same response is refused by the database."""
    position = PositionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Position.objects.create(response=position.response, topic=position.topic, stance=Stance.OPPOSES)


def test_one_answer_per_response_and_question():
    """A second answer to the same question of the same response is refused by the database."""
    answer = AnswerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(response=answer.response, question=answer.question, text="again")


def test_deadline_must_follow_opening_in_database():
    """A consultation whose deadline is before its opening date cannot be stored."""
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationFactory(opens_at=now, deadline=now - datetime.timedelta(days=1))


def test_deadline_before_opening_is_named_on_the_field():
    """Validation names the deadline field with a sentence a user understands."""
    now = timezone.now()
    consultation = ConsultationFactory.build(
        opens_at=now, deadline=now - datetime.timedelta(hours=1), issuer=OrganisationFactory()
    )
    with pytest.raises(ValidationError) as excinfo:
        consultation.full_clean()
    assert "deadline" in excinfo.value.message_dict
    assert "after the opening date" in excinfo.value.message_dict["deadline"][0]


def test_slugs_are_unique():
    """Two organisations or two consultations cannot share a slug."""
    OrganisationFactory(slug="acme")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(name="Acme again", slug="acme")
    ConsultationFactory(slug="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationFactory(slug="same")


def test_position_topic_must_belong_to_the_response_consultation():
    """Coding a position on another consultation's topic is refused with a field error."""
    position = PositionFactory.build(response=PositionFactory().response, topic=TopicFactory())
    with pytest.raises(ValidationError) as excinfo:
        position.full_clean()
    assert "topic" in excinfo.value.message_dict


def test_answer_question_must_belong_to_the_response_consultation():
    """Answering another consultation's question is refused with a field error."""
    answer = AnswerFactory.build(response=AnswerFactory().response, question=QuestionFactory())
    with pytest.raises(ValidationError) as excinfo:
        answer.full_clean()
    assert "question" in excinfo.value.message_dict


def test_status_is_derived_from_dates():
    """Upcoming before opening, open until the deadline, closed after it."""
    now = timezone.now()
    upcoming = ConsultationFactory(opens_at=now + datetime.timedelta(days=1), deadline=now + datetime.timedelta(days=9))
    open_ = ConsultationFactory(opens_at=now - datetime.timedelta(days=1), deadline=now + datetime.timedelta(days=3))
    closed = ConsultationFactory(opens_at=now - datetime.timedelta(days=9), deadline=now - datetime.timedelta(days=1))
    assert [upcoming.status, open_.status, closed.status] == [
        ConsultationStatus.UPCOMING,
        ConsultationStatus.OPEN,
        ConsultationStatus.CLOSED,
    ]
    assert set(Consultation.objects.upcoming()) == {upcoming}
    assert set(Consultation.objects.open()) == {open_}
    assert set(Consultation.objects.closed()) == {closed}
    assert set(Consultation.objects.closing_within(days=7)) == {open_}


def test_days_left_counts_calendar_days_in_the_issuer_zone():
    """23:59 in Geneva on 31 January is 7 days away on 24 January in Geneva."""
    import zoneinfo

    geneva = zoneinfo.ZoneInfo("Europe/Zurich")
    consultation = ConsultationFactory(
        opens_at=datetime.datetime(2016, 1, 1, tzinfo=geneva),
        deadline=datetime.datetime(2016, 1, 31, 23, 59, tzinfo=geneva),
        time_zone="Europe/Zurich",
    )
    # 23:30 UTC on the 23rd is already the 24th in Geneva.
    assert consultation.days_left(datetime.datetime(2016, 1, 23, 23, 30, tzinfo=datetime.UTC)) == 7


def test_str_names_what_a_user_would_call_it():
    """Rows read naturally in the admin and in messages."""
    position = PositionFactory(
        response__organisation__name="Facebook", topic__name="Reporting mechanisms", stance=Stance.OPPOSES
    )
    assert str(position) == "Facebook opposes Reporting mechanisms"
    assert str(position.response) == f"Facebook — {position.response.consultation.title}"
    assert str(position.response.organisation) == "Facebook"


def test_reminder_days_parse_and_default(settings):
    """Reminder days are typed as a list; blank falls back to the site default; nonsense is refused."""
    from consultations.models import parse_day_offsets

    settings.REMINDER_OFFSETS = [14, 7, 3, 1, 0]
    assert parse_day_offsets("1, 7;14, 7") == [14, 7, 1]
    consultation = ConsultationFactory(reminder_offsets="")
    assert consultation.reminder_offset_days() == [14, 7, 3, 1, 0]
    consultation.reminder_offsets = "10, 2"
    assert consultation.reminder_offset_days() == [10, 2]
    consultation.reminder_offsets = "7, soon"
    with pytest.raises(ValidationError) as excinfo:
        consultation.full_clean()
    assert "reminder_offsets" in excinfo.value.message_dict


def test_status_channel_and_stance_are_shown_by_their_labels():
    """The display methods of the fields shown in every row of long lists give the fields' labels."""
    position = PositionFactory(stance=Stance.STRONGLY_OPPOSES, response__channel=Channel.EMAIL)
    response = position.response
    assert (response.get_status_display(), response.get_channel_display()) == ("Received", "E-mail")
    assert position.get_stance_display() == "Strongly opposes"
    response.channel = ""
    assert response.get_channel_display() == ""
