from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.events import event_choices
from webhooks.models import Webhook


class WebhookForm(forms.ModelForm):
    """Name, address, events and whether it is active; the secret is made by the service, never typed."""

    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An http:// or https:// address that accepts POST requests with a JSON body."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The receiver is sent a signed POST for each of these."),
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "events", "active"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = event_choices()
        self.fields["url"].widget.attrs["placeholder"] = "https://crm.example.org/hooks/consultrack"
