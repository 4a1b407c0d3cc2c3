from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from consultations.models import parse_day_offsets
from reminders.models import ReminderPreference


class ReminderPreferenceForm(forms.ModelForm):
    """The user's own reminder days (blank: each consultation's)."""

    class Meta:
        model = ReminderPreference
        fields = ["offsets"]
        widgets = {"offsets": forms.TextInput(attrs={"placeholder": _("e.g. 7, 1, 0"), "inputmode": "numeric"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save my reminder days")))

    def clean_offsets(self) -> str:
        # Store the days in one tidy form, largest first: "0,7, 1" becomes "7, 1, 0".
        text = self.cleaned_data["offsets"]
        return ", ".join(str(day) for day in parse_day_offsets(text))
