from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = _("Exports")

    def ready(self) -> None:
        # webhooks knows nothing of packs: tell it the event we emit, for its registration form.
        from exports.services import EVENT_PACK_READY
        from webhooks.events import register_event

        register_event(EVENT_PACK_READY, _("Response pack ready"), _("A response pack finished building."))
