from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from stakeholders.models import RESERVED_SLUGS, Contact, Organisation, OrganisationAlias, OrganisationMerge
from stakeholders.search import schedule_organisation_refresh
from stakeholders.services import organisation_merge_check

ALIAS_MAX_LENGTH = OrganisationAlias._meta.get_field("name").max_length


class OrganisationPicker(forms.Form):
    """Choosing one organisation among tens of thousands: a search box whose matches htmx fetches as one
    types (`picker_url`, rendering stakeholders/_organisation_options.html), and the chosen one's id in a
    hidden field; static/js/organisation-picker.js chooses with the mouse or the keyboard. Mixed into a
    form (a ModelForm too) whose template places `organisation_query`, `organisation` and the list."""

    organisation_query = forms.CharField(
        label=_("Find the organisation"),
        required=False,
        help_text=_("Type part of its name, then choose it from the list."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "type": "search"}),
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("That organisation no longer exists; search for it again.")},
    )

    def wire_picker(self, url: str, *, include: str = "") -> None:
        """Point the search box at the view listing matches; `include` names other fields sent along."""
        attrs = {
            "data-hx-get": url,
            "data-hx-trigger": "input changed delay:250ms, search",
            "data-hx-target": "#organisation-options",
            "data-hx-swap": "innerHTML",  # not what a form around it swaps (htmx attributes are inherited)
            "data-hx-sync": "this:replace",
            "aria-controls": "organisation-options",
            "data-org-search": "",
        }
        if include:
            attrs["data-hx-include"] = include
        self.fields["organisation_query"].widget.attrs.update(attrs)

    def add_error(self, field, error) -> None:
        # The id is a hidden input: what is wrong with it is said next to the search box the user sees.
        if not isinstance(error, ValidationError):
            error = ValidationError(error)
        if field == "organisation":
            field = "organisation_query"
        elif field is None and hasattr(error, "error_dict") and "organisation" in error.error_dict:
            errors = dict(error.error_dict)
            errors["organisation_query"] = errors.pop("organisation")
            error = ValidationError(errors)
        super().add_error(field, error)

    def require_organisation(self) -> None:
        """For `clean`: an organisation must have been chosen from the list."""
        if "organisation_query" not in self.errors and not self.cleaned_data.get("organisation"):
            self.add_error(
                "organisation_query", ValidationError(_("Choose the organisation from the list."), code="required")
            )

    def picked_organisation(self) -> Organisation | None:
        """The organisation chosen in the search, once the form has been checked."""
        return getattr(self, "cleaned_data", {}).get("organisation")


class OrganisationForm(forms.ModelForm):
    """An organisation with its aliases typed one per line."""

    website = forms.URLField(
        label=_("Website"),
        required=False,
        max_length=Organisation._meta.get_field("website").max_length,
        assume_scheme="https",
        help_text=_("When typed without http:// or https://, https:// is assumed."),
    )
    aliases = forms.CharField(
        label=_("Aliases"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Other names it goes by (acronyms, former or local names), one per line. Search finds these."),
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "slug",
            "kind",
            "country",
            "website",
            "transparency_register_id",
            "parent",
            "aliases",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _(
            "The organisation's address in Consultrack. Leave blank to make one from the name."
        )
        self.fields["parent"].queryset = Organisation.objects.only("pk", "name").order_by("name")
        self.fields["parent"].help_text = _("The group or body this organisation belongs to, if any.")
        if self.instance.pk:
            self.initial.setdefault("aliases", "\n".join(alias.name for alias in self.instance.aliases.all()))

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if not slug:
            return slug  # made from the name in clean()
        if slug in RESERVED_SLUGS:
            raise ValidationError(_("“%(slug)s” is the name of a page; choose another."), params={"slug": slug})
        merge = OrganisationMerge.objects.filter(merged_slug=slug).select_related("survivor").first()
        if merge:
            raise ValidationError(
                _("“%(slug)s” belonged to %(name)s, merged into %(survivor)s; its old links lead there."),
                params={"slug": slug, "name": merge.merged_name, "survivor": merge.survivor.name},
                code="slug_of_merged",
            )
        return slug

    def clean_parent(self) -> Organisation | None:
        parent = self.cleaned_data["parent"]
        if parent is None or self.instance.pk is None:
            return parent
        if parent.pk == self.instance.pk:
            raise ValidationError(_("An organisation cannot be its own parent."), code="own_parent")
        if parent.is_descendant_of(self.instance):
            raise ValidationError(
                _("%(parent)s is a subsidiary of this organisation, so it cannot also be its parent."),
                params={"parent": parent.name},
                code="descendant_parent",
            )
        return parent

    def clean_aliases(self) -> list[str]:
        """The typed lines, trimmed, without blanks or repeats (ignoring case)."""
        names: list[str] = []
        seen: set[str] = set()
        for line in self.cleaned_data["aliases"].splitlines():
            name = " ".join(line.split())
            if not name or name.casefold() in seen:
                continue
            if len(name) > ALIAS_MAX_LENGTH:
                raise ValidationError(
                    _("Each alias must be at most %(max)d characters; “%(start)s…” is longer."),
                    params={"max": ALIAS_MAX_LENGTH, "start": name[:40]},
                    code="alias_too_long",
                )
            seen.add(name.casefold())
            names.append(name)
        return names

    def clean(self) -> dict:
        cleaned = super().clean()
        name = cleaned.get("name")
        if name and not cleaned.get("slug") and "slug" not in self.errors:
            # Made here rather than on save so the model's unique check sees the real value.
            cleaned["slug"] = Organisation.unique_slug_for(name, exclude_pk=self.instance.pk)
        if name and "aliases" in cleaned:
            # An alias equal to the name adds nothing to search.
            cleaned["aliases"] = [alias for alias in cleaned["aliases"] if alias.casefold() != name.casefold()]
        return cleaned

    def save(self, commit: bool = True) -> Organisation:
        if not commit:
            raise ValueError("OrganisationForm saves its aliases with the organisation; call save() with commit.")
        organisation = super().save()
        self._save_aliases(organisation, self.cleaned_data["aliases"])
        return organisation

    @staticmethod
    def _save_aliases(organisation: Organisation, names: list[str]) -> None:
        wanted = {name.casefold(): name for name in names}
        for alias in organisation.aliases.all():
            name = wanted.pop(alias.name.casefold(), None)
            if name is None:
                alias.delete()
            elif name != alias.name:  # the same alias, retyped in another case
                alias.name = name
                alias.save(update_fields=["name"])
        OrganisationAlias.objects.bulk_create(
            OrganisationAlias(organisation=organisation, name=name) for name in wanted.values()
        )
        # bulk_create sends no signal: the new aliases must reach the search vector too.
        schedule_organisation_refresh([organisation.pk])


class ContactForm(forms.ModelForm):
    duplicate_email_message = _("This organisation already has a contact with that e-mail.")

    class Meta:
        model = Contact
        fields = ["name", "email", "role", "opted_out"]

    def __init__(self, *args, organisation: Organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email and (
            Contact.objects.filter(organisation=self.instance.organisation, email__iexact=email)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise ValidationError(self.duplicate_email_message, code="duplicate_email")
        return email


class OrganisationMergeForm(forms.Form):
    """Which organisation keeps everything when `remove` is merged into it."""

    keep = forms.ModelChoiceField(
        label=_("Organisation to keep"),
        queryset=Organisation.objects.all(),
        to_field_name="slug",
        error_messages={"invalid_choice": _("Choose an organisation from the list.")},
    )

    def __init__(self, *args, remove: Organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.remove = remove

    def clean_keep(self) -> Organisation:
        keep = self.cleaned_data["keep"]
        organisation_merge_check(keep=keep, remove=self.remove)
        return keep
