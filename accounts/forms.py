from django import forms
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    """Six digits from the authenticator app (spaces allowed, as some apps show them)."""

    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(_("Enter the 6 digits your app shows."), code="format")
        return token
