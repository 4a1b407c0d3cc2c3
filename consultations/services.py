"""Workflows on consultations that touch more than one row."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from consultations.forms import ConsultationForm, QuestionRowsFormSet, TopicRowsFormSet
from consultations.models import Consultation, Invitation
from stakeholders.models import Organisation


@transaction.atomic
def consultation_save(
    *, form: ConsultationForm, questions: QuestionRowsFormSet, topics: TopicRowsFormSet
) -> Consultation:
    """Save a consultation with its questions and topics, all or nothing.

    The form and formsets must be valid. An IntegrityError (someone else changed the same
    consultation meanwhile) rolls everything back and reaches the caller.
    """
    consultation = form.save()
    for formset in (questions, topics):
        formset.instance = consultation
        formset.save()
    return consultation


def invitation_create(*, consultation: Consultation, organisation: Organisation, note: str = "") -> Invitation:
    """Invite an organisation to respond; inviting it twice is refused with a ValidationError on `organisation`."""
    try:
        with transaction.atomic():
            return Invitation.objects.create(consultation=consultation, organisation=organisation, note=note)
    except IntegrityError:
        raise ValidationError(
            {"organisation": _("%(organisation)s is already invited.") % {"organisation": organisation}},
            code="duplicate",
        ) from None
