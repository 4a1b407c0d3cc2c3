from django import forms
from django.utils.translation import gettext_lazy as _

from exports.models import ExportFormat


class ExportOptionsForm(forms.Form):
    """What to build: the format, and whether the original files go into a ZIP pack."""

    format = forms.ChoiceField(
        label=_("Format"),
        choices=ExportFormat.choices,
        initial=ExportFormat.ZIP,
        widget=forms.RadioSelect,
        help_text=_(
            "The ZIP holds pack.pdf, pack.docx, responses.xlsx, responses.csv, the attachments and a manifest."
        ),
    )
    include_attachments = forms.BooleanField(
        label=_("Include the original attachments"),
        required=False,
        initial=True,
        help_text=_("Only a ZIP pack can hold them; the other formats list them with their checksums."),
    )
