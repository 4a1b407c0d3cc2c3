from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponsesConfig(AppConfig):
    name = "responses"
    verbose_name = _("Responses")

    def ready(self) -> None:
        # notifications knows nothing of responses: tell it which kinds we send, for its settings page.
        from django.db.models.signals import post_delete, post_save

        from notifications.kinds import register_kind
        from responses import matrix, services, signals  # noqa: F401 -- signals connects the search-vector receivers
        from responses.models import Position, Response
        from stakeholders.models import Organisation

        # The stance matrix's cached aggregates follow every change to what they count.
        for signal in (post_save, post_delete):
            signal.connect(matrix.on_response_change, sender=Response, dispatch_uid=f"matrix-response-{signal}")
            signal.connect(matrix.on_position_change, sender=Position, dispatch_uid=f"matrix-position-{signal}")
            signal.connect(
                matrix.on_organisation_change, sender=Organisation, dispatch_uid=f"matrix-organisation-{signal}"
            )

        register_kind(
            services.KIND_REVIEW_REQUESTED,
            _("A review is requested from me"),
            _("Someone asks you to review a draft, with its due date."),
        )
        register_kind(services.KIND_COMMENT, _("Comments on drafts I work on"))
        register_kind(services.KIND_REPLY, _("Replies in threads I take part in"))
        register_kind(services.KIND_MENTION, _("Someone mentions me (@username)"))
        register_kind(
            services.KIND_DECISION,
            _("Decisions on my drafts"),
            _("A reviewer approves a draft or requests changes."),
        )
        register_kind(services.KIND_SUBMITTED, _("A response I worked on is submitted"))
        register_kind(services.KIND_REOPENED, _("A submitted response I worked on is reopened"))

        # webhooks knows nothing of responses either: the events we emit, for its registration form.
        from webhooks.events import register_event

        register_event(
            services.EVENT_RESPONSE_SUBMITTED,
            _("Response submitted"),
            _("One of our responses was submitted to the issuer."),
        )
