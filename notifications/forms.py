from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.kinds import registered_kinds


class EmailSettingsForm(forms.Form):
    """One box per kind of notification: ticked, the user gets an e-mail as well as the in-app notice."""

    def __init__(self, *args, muted: set[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = registered_kinds()
        for kind in self.kinds:
            self.fields[f"email_{kind.key}"] = forms.BooleanField(
                label=kind.label, help_text=kind.help_text, required=False, initial=kind.key not in muted
            )

    def muted_kinds(self) -> set[str]:
        return {kind.key for kind in self.kinds if not self.cleaned_data[f"email_{kind.key}"]}


class NotificationFilterForm(forms.Form):
    show = forms.ChoiceField(label=_("Show"), choices=[("all", _("All")), ("unread", _("Unread only"))], required=False)
