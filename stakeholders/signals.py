"""Keep organisations' search vectors current, and tell higher apps when organisations change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from stakeholders.models import Organisation, OrganisationAlias
from stakeholders.search import schedule_organisation_refresh

# Sent after commit with `organisation_ids` when organisations were created, renamed, merged or
# imported: responses refresh the search vectors that include those organisations' names.
organisations_changed = Signal()


@receiver(post_save, sender=Organisation, dispatch_uid="stakeholders.organisation_saved")
def _organisation_saved(sender, instance: Organisation, raw: bool = False, **kwargs) -> None:
    if not raw:
        schedule_organisation_refresh([instance.pk])


@receiver(post_save, sender=OrganisationAlias, dispatch_uid="stakeholders.alias_saved")
@receiver(post_delete, sender=OrganisationAlias, dispatch_uid="stakeholders.alias_deleted")
def _alias_changed(sender, instance: OrganisationAlias, raw: bool = False, **kwargs) -> None:
    if not raw:
        schedule_organisation_refresh([instance.organisation_id])
