"""Forms for a consultation with its questions and topics, and for invitations."""

import datetime
from html import escape

from crispy_forms.bootstrap import InlineCheckboxes
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import CharField, Count, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from consultations.models import (
    RESERVED_SLUGS,
    Consultation,
    Invitation,
    Language,
    Question,
    Tag,
    Topic,
    free_slug,
)
from stakeholders.forms import OrganisationPicker
from stakeholders.models import Organisation

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def team_members() -> QuerySet[User]:
    """Active users holding a role: those who may own a consultation."""
    return (
        User.objects.filter(Q(groups__name__in=[role.value for role in Role]) | Q(is_superuser=True), is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format=DATETIME_LOCAL_FORMAT)


class WallClockDateTimeField(forms.DateTimeField):
    """A date and time as read on a clock, without a zone.

    Django's own field would place the value in the viewer's zone; ConsultationForm places it in the
    issuer's zone chosen on the same form, and hands initial values in already read in that zone.
    """

    widget = DateTimeLocalInput

    def to_python(self, value: object) -> datetime.datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value
        try:
            parsed = parse_datetime(str(value).strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed

    def prepare_value(self, value: object) -> object:
        return value


def tag_names(text: str) -> list[str]:
    """Comma-separated tag names, each kept whole: one longer than a tag can be is refused, not cut."""
    names = [" ".join(name.split()) for name in text.split(",") if name.strip()]
    limit = Tag._meta.get_field("name").max_length
    too_long = [name for name in names if len(name) > limit]
    if too_long:
        raise ValidationError(
            _("A tag is at most %(limit)d characters; shorten “%(name)s…”."),
            code="max_length",
            params={"limit": limit, "name": too_long[0][:40]},
        )
    return names


class ConsultationForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), required=False, max_length=500, assume_scheme="https")
    opens_at = WallClockDateTimeField(
        label=_("Opens"), required=False, help_text=_("Local time in the issuer's time zone. Leave blank if open now.")
    )
    deadline = WallClockDateTimeField(label=_("Deadline"), help_text=_("Local time in the issuer's time zone."))
    new_tags = forms.CharField(
        label=_("New tags"),
        required=False,
        max_length=500,
        help_text=_("Tags to create, separated by commas."),
    )

    class Meta:
        model = Consultation
        fields = [
            "title",
            "slug",
            "reference",
            "issuer",
            "url",
            "summary",
            "language",
            "time_zone",
            "opens_at",
            "deadline",
            "published",
            "owners",
            "tags",
            "required_approvals",
            "approval_needs_resolved_threads",
            "reminder_offsets",
            "remind_invited_contacts",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "owners": forms.CheckboxSelectMultiple,
            "tags": forms.CheckboxSelectMultiple,
        }
        help_texts = {"slug": _("Used in the page address. Leave blank to make one from the title.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        # Blank means "as before": the model default for a new consultation.
        self.fields["required_approvals"].required = False
        self.fields["issuer"].queryset = Organisation.objects.order_by("name")
        self.fields["owners"].queryset = team_members()
        self.fields["tags"].queryset = Tag.objects.order_by("name")
        if self.instance.pk:
            # Show stored (UTC) datetimes back as the issuer's clock reads them.
            for name in ("opens_at", "deadline"):
                value = getattr(self.instance, name)
                if value is not None:
                    self.initial[name] = value.astimezone(self.instance.issuer_zone).replace(tzinfo=None)

        # Forms posted without it (older clients, imports) keep the consultation's language.
        self.fields["language"].required = False
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "title",
            Row(Column("slug", css_class="col-md-6"), Column("reference", css_class="col-md-6")),
            Row(Column("issuer", css_class="col-md-6"), Column("url", css_class="col-md-6")),
            "summary",
            Row(Column("language", css_class="col-md-4")),
            Row(
                Column("time_zone", css_class="col-md-4"),
                Column("opens_at", css_class="col-md-4"),
                Column("deadline", css_class="col-md-4"),
            ),
            InlineCheckboxes("owners"),
            InlineCheckboxes("tags"),
            Field("new_tags", placeholder=_("e.g. Age assurance, Encryption")),
            "published",
            Fieldset(
                _("Review and reminders"),
                Row(
                    Column("required_approvals", css_class="col-md-4"),
                    Column("reminder_offsets", css_class="col-md-8"),
                ),
                "approval_needs_resolved_threads",
                "remind_invited_contacts",
            ),
        )

    def clean_required_approvals(self) -> int:
        value = self.cleaned_data.get("required_approvals")
        if value is None:
            return self.instance.required_approvals if self.instance.pk else 1
        return value

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug", "")
        if slug in RESERVED_SLUGS:
            raise ValidationError(
                _("“%(slug)s” is reserved; choose another slug."), code="reserved", params={"slug": slug}
            )
        if slug or not self.cleaned_data.get("title"):
            return slug
        return Consultation.unique_slug_for(self.cleaned_data["title"], exclude_pk=self.instance.pk)

    def clean_new_tags(self) -> list[str]:
        return tag_names(self.cleaned_data.get("new_tags", ""))

    def clean(self) -> dict:
        cleaned = super().clean()
        zone_name = cleaned.get("time_zone")
        for name in ("opens_at", "deadline"):
            value = cleaned.get(name)
            if value is None or timezone.is_aware(value):
                continue
            if not zone_name:
                # The zone itself was refused; a time cannot be placed without it.
                del cleaned[name]
                continue
            zone = Consultation(time_zone=zone_name).issuer_zone
            aware = value.replace(tzinfo=zone)
            # A time skipped when clocks go forward does not survive the round trip through UTC.
            # (A repeated time when they go back is read as its first occurrence.)
            if aware.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None) != value:
                self.add_error(
                    name,
                    ValidationError(
                        _("%(time)s does not exist in %(zone)s: the clocks change then."),
                        code="nonexistent_time",
                        params={"time": date_format(value, "SHORT_DATETIME_FORMAT"), "zone": zone_name},
                    ),
                )
                continue
            cleaned[name] = aware
        return cleaned

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or self.instance.language or Language.ENGLISH

    def save(self, commit: bool = True) -> Consultation:
        """Save, adding the tags typed under "New tags" (created when they do not exist yet)."""
        new_tags = Tag.objects.named(self.cleaned_data.get("new_tags", [])) if commit else []
        if new_tags:
            self.cleaned_data["tags"] = [*self.cleaned_data.get("tags", []), *new_tags]
        return super().save(commit)


class OrderedRowForm(forms.ModelForm):
    """One row of an ordered list edited in place; its `order` is set from its position when saved."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False

    def has_changed(self) -> bool:
        # The page script renumbers `order` on every row, so a row added and left blank would
        # otherwise count as filled in and be refused for its empty required fields.
        return any(name != "order" for name in self.changed_data)

    def _get_validation_exclusions(self) -> set[str]:
        # The per-consultation uniqueness is checked by the formset across the list as it will be
        # after saving (a number may pass from a removed or renumbered row to another); a per-row check
        # against the database would refuse such swaps.
        return super()._get_validation_exclusions() | {"consultation"}


class QuestionForm(OrderedRowForm):
    class Meta:
        model = Question
        fields = ["number", "text", "order"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2}), "order": forms.HiddenInput}
        # Said once above the list rather than under every row.
        help_texts = {"number": ""}


class TopicForm(OrderedRowForm):
    tag_names = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas. Topics of other consultations with a tag in common are the same subject."),
    )

    class Meta:
        model = Topic
        fields = ["name", "slug", "description", "order"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "order": forms.HiddenInput}
        # Said once above the list rather than under every row.
        help_texts = {"slug": ""}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["tag_names"].widget.attrs.update({"list": "tag-names", "autocomplete": "off"})
        if self.instance.pk:
            # The formset prefetches the tags, so this costs no query per row.
            self.initial.setdefault("tag_names", ", ".join(tag.name for tag in self.instance.tags.all()))

    def clean_tag_names(self) -> list[str]:
        return tag_names(self.cleaned_data.get("tag_names", ""))

    def has_changed(self) -> bool:
        # "a, b" and "a,b" name the same tags: compare the names, not the text typed.
        if super().has_changed():
            if self.changed_data != ["tag_names"] or not self.instance.pk:
                return True
            return self._typed_tags() != self._stored_tags()
        return False

    def _typed_tags(self) -> list[str]:
        raw = self["tag_names"].value() or ""
        return sorted(name.strip().lower() for name in raw.split(",") if name.strip())

    def _stored_tags(self) -> list[str]:
        initial = self.initial.get("tag_names", "")
        return sorted(name.strip().lower() for name in initial.split(",") if name.strip())


# A value no form can produce: fields strip surrounding whitespace, and str.strip() counts
# U+001F as whitespace. Rows whose unique value changes are parked on it while saving.
_PARKING_PREFIX = "\x1f"


class OrderedInlineFormSet(forms.BaseInlineFormSet):
    """A consultation's questions or topics, edited, added, reordered and removed in place.

    Subclasses name a row (for the error summary), the field unique within a consultation, the messages,
    and the reverse relation holding coded data that removing a row would destroy.
    """

    row_name: str
    unique_field: str
    duplicate_message: str
    in_use_relation: str
    in_use_message: str

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("queryset", self.model.objects.annotate(in_use=Count(self.in_use_relation)))
        super().__init__(*args, **kwargs)

    @staticmethod
    def _is_deleted(form: forms.BaseForm) -> bool:
        return bool(getattr(form, "cleaned_data", {}).get("DELETE"))

    def forms_in_order(self) -> list[OrderedRowForm]:
        """Every row as the user arranged it (by its `order`, then as posted).

        Pages show rows this way too, so a refused save gives them back in the order chosen.
        """

        def position(item: tuple[int, OrderedRowForm]) -> tuple[int, int]:
            index, form = item
            try:
                return (int(form["order"].value()), index)
            except (TypeError, ValueError):
                return (index, index)

        return [form for _index, form in sorted(enumerate(self.forms), key=position)]

    def rows_in_order(self) -> list[OrderedRowForm]:
        """The rows to keep, in the order the user arranged them: not removed, and not left blank."""
        return [
            form
            for form in self.forms_in_order()
            if (form.instance.pk or form.has_changed()) and not self._is_deleted(form)
        ]

    def clean(self) -> None:
        super().clean()
        errors = []
        for form in self.forms:
            in_use = getattr(form.instance, "in_use", 0)
            if form.instance.pk and self._is_deleted(form) and in_use:
                message = self.in_use_message % {"name": str(form.instance), "count": in_use}
                form.add_error(None, message)
                errors.append(message)
        seen: set[str] = set()
        for form in self.rows_in_order():
            value = form.cleaned_data.get(self.unique_field)
            if not value:
                continue
            if value in seen:
                form.add_error(self.unique_field, self.duplicate_message % {"value": value})
            seen.add(value)
        if errors:
            raise ValidationError(errors)

    def save(self, commit: bool = True) -> list:
        """Remove the rows marked for removal, then save the others numbered by position.

        Rows whose unique value changes are first parked on a value no form can produce, so that
        swapping two numbers (1 and 2) never meets the database constraint halfway through.
        """
        if not commit:
            raise ValueError("Ordered rows are saved together; save(commit=False) is not supported.")
        for form in self.initial_forms:
            if self._is_deleted(form):
                form.instance.delete()
        rows = self.rows_in_order()
        moving = [form.instance.pk for form in rows if form.instance.pk and self.unique_field in form.changed_data]
        if moving:
            self.model.objects.filter(pk__in=moving).update(
                **{self.unique_field: Concat(Value(_PARKING_PREFIX), Cast("pk", output_field=CharField()))}
            )
        for position, form in enumerate(rows):
            if form.instance.pk and not form.has_changed() and form.initial.get("order") == position:
                continue
            form.instance.consultation = self.instance
            form.instance.order = position
            form.instance.save()
        return [form.instance for form in rows]


class QuestionRowsFormSet(OrderedInlineFormSet):
    row_name = _("Question")
    unique_field = "number"
    duplicate_message = _("Another question already has number %(value)s.")
    in_use_relation = "answers"
    in_use_message = _("%(name)s has %(count)d answers logged; it cannot be removed here.")


class TopicRowsFormSet(OrderedInlineFormSet):
    row_name = _("Topic")
    unique_field = "slug"
    duplicate_message = _("Another topic already has the slug “%(value)s”.")
    in_use_relation = "positions"
    in_use_message = _("The topic “%(name)s” has %(count)d coded positions; it cannot be removed here.")

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "queryset", Topic.objects.annotate(in_use=Count(self.in_use_relation)).prefetch_related("tags")
        )
        super().__init__(*args, **kwargs)

    def save(self, commit: bool = True) -> list:
        """Save the rows, then the tags typed on each (creating tags that do not exist yet)."""
        rows = self.rows_in_order()
        saved = super().save(commit)
        for form in rows:
            if "tag_names" in form.changed_data:
                form.instance.tags.set(Tag.objects.named(form.cleaned_data.get("tag_names", [])))
        return saved

    def clean(self) -> None:
        super().clean()
        # Topics left without a slug get one from their name, unique among the list.
        taken = {form.cleaned_data.get("slug") for form in self.rows_in_order()} - {"", None}
        for form in self.rows_in_order():
            if form.cleaned_data.get("slug") or not form.cleaned_data.get("name"):
                continue
            slug = free_slug(
                form.cleaned_data["name"],
                taken=taken,
                max_length=Topic._meta.get_field("slug").max_length,
                fallback="topic",
            )
            taken.add(slug)
            form.cleaned_data["slug"] = form.instance.slug = slug


QuestionFormSet = forms.inlineformset_factory(
    Consultation, Question, form=QuestionForm, formset=QuestionRowsFormSet, extra=0, can_delete=True
)
TopicFormSet = forms.inlineformset_factory(
    Consultation, Topic, form=TopicForm, formset=TopicRowsFormSet, extra=0, can_delete=True
)


class LongSelect(forms.Select):
    """A <select> of thousands of options (every consultation), written out directly: Django renders each
    option through a template, which takes seconds for 20,000 of them; this takes milliseconds. Values and
    labels are escaped here. With `label_field`, the options of a model choice field are read as (value,
    label) rows, without making a model instance of each."""

    def __init__(self, attrs=None, choices=(), *, label_field: str = "") -> None:
        super().__init__(attrs, choices)
        self.label_field = label_field

    def _rows(self):
        choices = self.choices
        if not (self.label_field and isinstance(choices, ModelChoiceIterator)):
            return choices
        field = choices.field
        head = [] if field.empty_label is None else [("", field.empty_label)]
        return [*head, *choices.queryset.values_list(field.to_field_name or "pk", self.label_field)]

    def render(self, name, value, attrs=None, renderer=None) -> str:
        chosen = "" if value is None else str(value)
        options = []
        for option_value, label in self._rows():
            option_value = "" if option_value is None else str(option_value)
            selected = " selected" if option_value == chosen else ""
            options.append(f'<option value="{escape(option_value)}"{selected}>{escape(str(label))}</option>')
        final = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{final}>{"".join(options)}</select>')  # noqa: S308


class InvitationForm(OrganisationPicker, forms.ModelForm):
    """Invite one organisation, found with the type-ahead (there may be tens of thousands)."""

    class Meta:
        model = Invitation
        fields = ["organisation", "note"]
        labels = {"note": _("Note (optional)")}

    def __init__(self, *args, consultation: Consultation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.consultation = consultation
        self.wire_picker(reverse("consultations:invitation-options", args=[consultation.slug]))

    def clean(self) -> dict:
        cleaned = super().clean()
        self.require_organisation()
        return cleaned
