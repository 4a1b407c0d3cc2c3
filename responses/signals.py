"""Keep responses' search vectors current when a response, or anything it indexes, changes.

Ordinary saves and deletes arrive here; writes that send no signal (bulk imports, UPDATE
statements in services) call responses.search.schedule_response_refresh themselves.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from consultations.models import Consultation
from responses.models import Answer, Attachment, Position, Response
from responses.search import refresh_vectors_of, schedule_response_refresh
from stakeholders.search import on_commit_batched
from stakeholders.signals import organisations_changed


@receiver(post_save, sender=Response, dispatch_uid="responses.search.response_saved")
def _response_saved(sender, instance: Response, raw: bool = False, **kwargs) -> None:
    if not raw:
        schedule_response_refresh([instance.pk])


@receiver(post_save, sender=Answer, dispatch_uid="responses.search.answer_saved")
@receiver(post_delete, sender=Answer, dispatch_uid="responses.search.answer_deleted")
@receiver(post_save, sender=Position, dispatch_uid="responses.search.position_saved")
@receiver(post_delete, sender=Position, dispatch_uid="responses.search.position_deleted")
@receiver(post_save, sender=Attachment, dispatch_uid="responses.search.attachment_saved")
@receiver(post_delete, sender=Attachment, dispatch_uid="responses.search.attachment_deleted")
def _part_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        schedule_response_refresh([instance.response_id])


@receiver(pre_save, sender=Consultation, dispatch_uid="responses.search.consultation_saving")
def _consultation_saving(sender, instance: Consultation, raw: bool = False, **kwargs) -> None:
    """Note whether the title or language changes: only then are the responses to it indexed again."""
    if raw or instance.pk is None:
        return
    before = Consultation.objects.filter(pk=instance.pk).values_list("title", "language").first()
    instance._search_fields_changed = before is not None and before != (instance.title, instance.language)


@receiver(post_save, sender=Consultation, dispatch_uid="responses.search.consultation_saved")
def _consultation_saved(sender, instance: Consultation, raw: bool = False, **kwargs) -> None:
    if not raw and getattr(instance, "_search_fields_changed", False):
        instance._search_fields_changed = False
        on_commit_batched(
            "responses.consultations", [instance.pk], lambda ids: refresh_vectors_of(consultation_ids=ids)
        )


@receiver(organisations_changed, dispatch_uid="responses.search.organisations_changed")
def _organisations_changed(sender, organisation_ids, **kwargs) -> None:
    """An organisation was renamed, merged or imported (already after commit): reindex its responses."""
    refresh_vectors_of(organisation_ids=organisation_ids)
