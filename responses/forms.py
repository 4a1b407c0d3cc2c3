import datetime

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.roles import Role
from consultations.forms import LongSelect
from consultations.models import Consultation, Tag, Topic
from responses.models import (
    Channel,
    EventKind,
    Position,
    Response,
    ResponseEvent,
    ResponseStatus,
    SavedSearch,
    Stance,
)
from responses.services import (
    NewOrganisation,
    PositionInput,
    first_received_response,
    review_due_default,
    review_due_problem,
)
from responses.uploads import CheckedUpload, check_upload
from stakeholders.forms import OrganisationPicker
from stakeholders.models import Organisation, OrganisationKind

# Read when shown, so the limit follows settings.ATTACHMENT_MAX_BYTES.
_max_file_size = lazy(lambda: filesizeformat(settings.ATTACHMENT_MAX_BYTES), str)
FILES_HELP = format_lazy(
    _(
        "PDF, DOCX, ODT or plain text, up to {max} each. You may choose several files; the originals are kept as they are."
    ),
    max=_max_file_size(),
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class SubmissionFilesField(forms.FileField):
    """Several files in one input, each checked by its content; the errors name each bad file."""

    widget = MultipleFileInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", FILES_HELP)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ".pdf,.docx,.odt,.txt")

    def clean(self, data, initial=None) -> list[CheckedUpload]:
        uploads = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        checked, errors = [], []
        for upload in uploads:
            try:
                checked.append(check_upload(upload))
            except ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)
        return checked


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class ResponseLogForm(OrganisationPicker):
    """Log a submission received from an organisation, existing or new, with its files."""

    EXISTING, NEW = "existing", "new"
    # The page's order, which the error summary follows: the picker's fields, declared on the mixin, would
    # otherwise come first.
    field_order = ["consultation", "organisation_mode", "organisation_query", "organisation"]

    consultation = forms.ModelChoiceField(
        label=_("Consultation"), queryset=Consultation.objects.none(), empty_label=_("Choose a consultation")
    )
    organisation_mode = forms.ChoiceField(
        label=_("Organisation"),
        choices=[(EXISTING, _("An organisation we know")), (NEW, _("A new organisation"))],
        initial=EXISTING,
        widget=forms.RadioSelect,
    )
    new_name = forms.CharField(label=_("Name of the new organisation"), max_length=255, required=False)
    new_kind = forms.ChoiceField(
        label=_("Kind"), choices=OrganisationKind.choices, initial=OrganisationKind.OTHER, required=False
    )
    new_country = forms.ChoiceField(label=_("Country"), choices=[("", _("Unknown or international"))], required=False)
    channel = forms.ChoiceField(label=_("Received through"), choices=Channel.choices)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the submission says, in a few lines."),
    )
    files = SubmissionFilesField(label=_("Files"), required=False)
    log_anyway = forms.BooleanField(label=_("Log it anyway, as a second submission"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.duplicate_of: Response | None = None
        self.fields["consultation"].queryset = Consultation.objects.select_related("issuer").order_by("-deadline")
        self.fields["new_country"].choices = [("", _("Unknown or international")), *countries]
        self.fields["received_on"].initial = timezone.localdate
        self.wire_picker(reverse("responses:organisation-search"), include="[name='consultation']")

    def clean_new_name(self) -> str:
        return " ".join(self.cleaned_data["new_name"].split())

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("organisation_mode") == self.NEW:
            self._clean_new_organisation(cleaned)
        else:
            self.require_organisation()
        organisation, consultation = cleaned.get("organisation"), cleaned.get("consultation")
        if cleaned.get("organisation_mode") == self.EXISTING and organisation and consultation:
            self.duplicate_of = first_received_response(organisation=organisation, consultation=consultation)
            if self.duplicate_of and not cleaned.get("log_anyway"):
                self.add_error(
                    "log_anyway",
                    ValidationError(
                        _("Tick this box to log a second submission from %(organisation)s, or leave the form."),
                        code="duplicate",
                        params={"organisation": organisation},
                    ),
                )
        return cleaned

    def _clean_new_organisation(self, cleaned: dict) -> None:
        name = cleaned.get("new_name")
        if not name:
            self.add_error("new_name", ValidationError(_("Give the new organisation's name."), code="required"))
            return
        if not cleaned.get("new_kind"):
            self.add_error("new_kind", ValidationError(_("Say what kind of organisation it is."), code="required"))
        same_name = Organisation.objects.filter(name__iexact=name).first()
        if same_name:
            self.add_error(
                "new_name",
                ValidationError(
                    _("%(name)s already exists: choose “An organisation we know” and pick it."),
                    code="exists",
                    params={"name": same_name.name},
                ),
            )

    @property
    def chosen_organisation(self) -> Organisation | NewOrganisation:
        if self.cleaned_data["organisation_mode"] == self.NEW:
            return NewOrganisation(
                name=self.cleaned_data["new_name"],
                kind=self.cleaned_data["new_kind"],
                country=self.cleaned_data["new_country"],
            )
        return self.cleaned_data["organisation"]


class ResponseDetailsForm(forms.ModelForm):
    """How and when a received submission came in; `version` guards against overwriting another edit."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Response
        fields = ["channel", "received_on", "summary"]
        widgets = {"received_on": DateInput, "summary": forms.Textarea(attrs={"rows": 4})}
        labels = {"channel": _("Received through")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].required = True
        self.fields["received_on"].required = True
        self.fields["version"].initial = self.instance.version


class AttachmentAddForm(forms.Form):
    files = SubmissionFilesField(label=_("Add files"))


class CodingForm(forms.Form):
    """One answer per question and one position (stance, summary, quote) per topic of a consultation."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, response: Response, questions: QuerySet, topics: QuerySet, **kwargs) -> None:
        initial = kwargs.pop("initial", {}) or {}
        self.questions = list(questions)
        self.topics = list(topics)
        answers = {answer.question_id: answer for answer in response.answers.all()}
        positions = {position.topic_id: position for position in response.positions.all()}
        initial["version"] = response.version
        for question in self.questions:
            if question.pk in answers:
                initial[f"answer_{question.pk}"] = answers[question.pk].text
        for topic in self.topics:
            position = positions.get(topic.pk)
            if position:
                initial[f"stance_{topic.pk}"] = position.stance
                initial[f"summary_{topic.pk}"] = position.summary
                initial[f"quote_{topic.pk}"] = position.quote
        super().__init__(*args, initial=initial, **kwargs)
        stance_choices = [("", _("— not coded")), *Stance.choices]
        for question in self.questions:
            self.fields[f"answer_{question.pk}"] = forms.CharField(
                label=_("Answer to question %(number)s") % {"number": question.number},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        for topic in self.topics:
            self.fields[f"stance_{topic.pk}"] = forms.ChoiceField(
                label=_("Stance on %(topic)s") % {"topic": topic.name}, choices=stance_choices, required=False
            )
            self.fields[f"summary_{topic.pk}"] = forms.CharField(
                label=_("Summary of the position"), max_length=500, required=False
            )
            self.fields[f"quote_{topic.pk}"] = forms.CharField(
                label=_("Quote"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("The organisation's own words, copied from the text."),
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        for topic in self.topics:
            if not cleaned.get(f"stance_{topic.pk}") and (
                cleaned.get(f"summary_{topic.pk}") or cleaned.get(f"quote_{topic.pk}")
            ):
                self.add_error(
                    f"stance_{topic.pk}",
                    ValidationError(_("Choose a stance, or clear the summary and quote."), code="stance_required"),
                )
        return cleaned

    def question_rows(self) -> list[tuple]:
        return [(question, self[f"answer_{question.pk}"]) for question in self.questions]

    def topic_rows(self) -> list[tuple]:
        return [
            (topic, self[f"stance_{topic.pk}"], self[f"summary_{topic.pk}"], self[f"quote_{topic.pk}"])
            for topic in self.topics
        ]

    def answers(self) -> dict[int, str]:
        return {question.pk: self.cleaned_data[f"answer_{question.pk}"] for question in self.questions}

    def positions(self) -> dict[int, PositionInput | None]:
        coded: dict[int, PositionInput | None] = {}
        for topic in self.topics:
            stance = self.cleaned_data[f"stance_{topic.pk}"]
            coded[topic.pk] = (
                PositionInput(
                    stance=stance,
                    summary=self.cleaned_data[f"summary_{topic.pk}"].strip(),
                    quote=self.cleaned_data[f"quote_{topic.pk}"].strip(),
                )
                if stance
                else None
            )
        return coded


class ResponseFilter(django_filters.FilterSet):
    consultation = django_filters.ModelChoiceFilter(
        label=_("Consultation"),
        queryset=Consultation.objects.order_by("-deadline"),
        empty_label=_("All"),
        widget=LongSelect(label_field="title"),  # thousands of consultations
    )
    # Typed, not chosen from a list: there may be tens of thousands of organisations. A number is an
    # organisation's id (links from other pages); anything else matches names and aliases.
    organisation = django_filters.CharFilter(
        label=_("Organisation"), method="filter_organisation", help_text=_("Part of its name or of an alias.")
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ResponseStatus.choices, empty_label=_("All"))
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, empty_label=_("All"))

    class Meta:
        model = Response
        fields = ["consultation", "organisation", "status", "channel"]

    def filter_organisation(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if value.isdigit():
            return queryset.filter(organisation_id=int(value))
        return queryset.filter(organisation__in=Organisation.objects.matching(value).values("pk"))


class MatrixFilter(django_filters.FilterSet):
    """Narrow the stance matrix to organisations of some kind, or from some country."""

    kind = django_filters.ChoiceFilter(
        label=_("Kind of organisation"),
        field_name="organisation__kind",
        choices=OrganisationKind.choices,
        empty_label=_("All kinds"),
    )
    country = django_filters.ChoiceFilter(
        label=_("Country"),
        field_name="organisation__country",
        choices=[],
        empty_label=_("All countries"),
        widget=LongSelect,  # some 250 countries
    )

    class Meta:
        model = Response
        fields = ["kind", "country"]

    def __init__(self, *args, countries_present: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["country"].extra["choices"] = countries_present


# --- Our own drafts and their review ---------------------------------------------------------


class DateTimeInput(forms.DateTimeInput):
    """The browser's own date and time picker; shown and read in the user's time zone."""

    input_type = "datetime-local"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


BODY_HELP = _(
    "Markdown: a blank line starts a new paragraph (reviewers comment paragraph by paragraph); "
    "**bold**, *italic*, lists with - or 1., ## for a heading."
)


def reviewer_choices(*, exclude=None) -> QuerySet:
    """Users who may review: reviewers and admins, active, by name."""
    users = (
        get_user_model()
        .objects.filter(Q(groups__name__in=[Role.REVIEWER.value, Role.ADMIN.value]) | Q(is_superuser=True))
        .filter(is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users


class DraftCreateForm(forms.Form):
    """Start our own response: to which consultation, on behalf of which of our organisations."""

    consultation = forms.ModelChoiceField(
        label=_("Consultation"), queryset=Consultation.objects.none(), empty_label=_("Choose a consultation")
    )
    organisation = forms.ModelChoiceField(
        label=_("On behalf of"),
        queryset=Organisation.objects.none(),
        empty_label=_("Choose our organisation"),
        help_text=_("The organisation in whose name the team responds."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What our response says, in a line or two."),
    )
    body = forms.CharField(
        label=_("Text of the response"), required=False, widget=forms.Textarea(attrs={"rows": 14}), help_text=BODY_HELP
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consultation"].queryset = Consultation.objects.select_related("issuer").order_by("-deadline")
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")


class DraftForm(CodingForm):
    """A draft's summary, Markdown body, answers per question and positions per topic, at a version."""

    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    body = forms.CharField(
        label=_("Text of the response"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace"}),
        help_text=BODY_HELP,
    )

    def __init__(self, *args, response: Response, **kwargs) -> None:
        initial = kwargs.pop("initial", None) or {"summary": response.summary, "body": response.body}
        super().__init__(
            *args,
            response=response,
            questions=response.consultation.questions.all(),
            topics=response.consultation.topics.all(),
            initial=initial,
            **kwargs,
        )
        # The coding form speaks of someone else's letter; here the positions are our own.
        for topic in self.topics:
            self.fields[f"stance_{topic.pk}"].choices = [("", _("— no position")), *Stance.choices]
            self.fields[f"quote_{topic.pk}"].label = _("Key sentence")
            self.fields[f"quote_{topic.pk}"].help_text = _("The sentence of our response that states this position.")


class ReviewRequestForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Reviewers"), queryset=get_user_model().objects.none(), widget=forms.CheckboxSelectMultiple
    )
    due_at = forms.DateTimeField(
        label=_("Review due by"),
        widget=DateTimeInput(),
        help_text=_("In your time zone. By default two days before the consultation's deadline, never after it."),
    )
    note = forms.CharField(
        label=_("Note to the reviewers"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, response: Response, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.response = response
        self.fields["reviewers"].queryset = reviewer_choices(exclude=response.owner)
        self.fields["reviewers"].label_from_instance = lambda user: (
            f"{user.get_full_name()} ({user.username})" if user.get_full_name() else user.username
        )
        self.fields["due_at"].initial = review_due_default(consultation=response.consultation)
        already = list(response.review_requests.values_list("reviewer_id", flat=True))
        if already:
            self.fields["reviewers"].initial = already

    def clean_due_at(self):
        due_at = self.cleaned_data["due_at"]
        if problem := review_due_problem(consultation=self.response.consultation, due_at=due_at):
            raise ValidationError(problem, code="bad_due_date")
        return due_at


class DecisionForm(forms.Form):
    APPROVE, REQUEST_CHANGES = "approve", "request_changes"

    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Approve")), (REQUEST_CHANGES, _("Request changes"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("What should change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to request changes; optional with an approval."),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("decision") == self.REQUEST_CHANGES and not cleaned.get("reason", "").strip():
            self.add_error(
                "reason", ValidationError(_("Say what should change before requesting changes."), code="required")
            )
        return cleaned

    @property
    def approves(self) -> bool:
        return self.cleaned_data["decision"] == self.APPROVE


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Mention someone with @username to notify them."),
        error_messages={"required": _("Write something to comment.")},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    anchor_paragraph = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    anchor_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    @property
    def slot(self) -> str:
        """Which of the page's comment boxes this form came from, to show its errors in the right place."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        parent = data.get("parent") or self.data.get("parent")
        paragraph = data.get("anchor_paragraph")
        if paragraph is None and str(self.data.get("anchor_paragraph", "")).isdigit():
            paragraph = int(self.data["anchor_paragraph"])
        if parent:
            return f"reply-{parent}"
        if paragraph is not None:
            return f"p-{paragraph}"
        return "general"


class SubmitForm(forms.Form):
    channel = forms.ChoiceField(label=_("Submitted through"), choices=Channel.choices)
    submitted_at = forms.DateTimeField(
        label=_("Submitted on"), widget=DateTimeInput(), help_text=_("In your time zone.")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["submitted_at"].initial = lambda: timezone.localtime().replace(second=0, microsecond=0)

    def clean_submitted_at(self):
        submitted_at = self.cleaned_data["submitted_at"]
        if submitted_at > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError(_("The submission date cannot be in the future."), code="future")
        return submitted_at


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why reopen it"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the audit trail and sent to the people who worked on the response."),
        error_messages={"required": _("Give the reason for reopening the response.")},
    )


class DeleteForm(forms.Form):
    reason = forms.CharField(
        label=_("Why delete it"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the audit trail. An admin can restore it from the deleted items until it is purged."),
        error_messages={"required": _("Say why it is deleted.")},
    )


class AuditFilter(django_filters.FilterSet):
    """Narrow the site-wide audit trail by what happened, who did it, where and when."""

    kind = django_filters.ChoiceFilter(label=_("What"), choices=EventKind.choices, empty_label=_("Anything"))
    actor = django_filters.ModelChoiceFilter(label=_("Who"), queryset=None, empty_label=_("Anyone"))
    consultation = django_filters.ModelChoiceFilter(
        label=_("Consultation"),
        field_name="response__consultation",
        queryset=Consultation.objects.order_by("-deadline"),
        empty_label=_("All"),
    )
    since = django_filters.DateFilter(
        label=_("From"), field_name="created_at", lookup_expr="date__gte", widget=DateInput
    )
    until = django_filters.DateFilter(label=_("To"), field_name="created_at", lookup_expr="date__lte", widget=DateInput)

    class Meta:
        model = ResponseEvent
        fields = ["kind", "actor", "consultation", "since", "until"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["actor"].queryset = get_user_model().objects.filter(response_events__isnull=False).distinct()


def organisations_with_positions() -> QuerySet[Organisation]:
    """Organisations with at least one position on record: those whose positions can be followed."""
    return Organisation.objects.filter(
        Exists(Position.objects.on_record().filter(response__organisation=OuterRef("pk")))
    ).order_by("name")


class PositionsForm(forms.Form):
    """Which organisation(s) to follow, on which subject: a tag, or a topic name (matched across consultations)."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        to_field_name="slug",
        error_messages={"invalid_choice": _("That organisation has no coded position on record yet.")},
    )
    compare_with = forms.ModelChoiceField(
        label=_("Compare with (optional)"),
        queryset=Organisation.objects.none(),
        to_field_name="slug",
        required=False,
        error_messages={"invalid_choice": _("That organisation has no coded position on record yet.")},
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"),
        queryset=Tag.objects.none(),
        to_field_name="slug",
        required=False,
        error_messages={"invalid_choice": _("That tag no longer exists; choose another.")},
    )
    topic = forms.CharField(
        label=_("or a topic name"),
        max_length=200,
        required=False,
        help_text=_("Topics of every consultation with this name (case, accents and punctuation aside)."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        organisations = organisations_with_positions()
        self.fields["organisation"].queryset = organisations
        self.fields["compare_with"].queryset = organisations
        self.fields["organisation"].empty_label = _("Choose an organisation")
        self.fields["compare_with"].empty_label = _("No comparison")
        self.fields["tag"].queryset = Tag.objects.order_by("name")
        self.fields["tag"].empty_label = _("Any tag")
        self.fields["topic"].widget.attrs.update({"list": "topic-names", "autocomplete": "off"})

    def clean(self) -> dict:
        cleaned = super().clean()
        organisation, other = cleaned.get("organisation"), cleaned.get("compare_with")
        if organisation and other and organisation == other:
            self.add_error(
                "compare_with", ValidationError(_("Choose another organisation to compare with."), code="same")
            )
        if cleaned.get("tag") and cleaned.get("topic"):
            self.add_error(
                "topic", ValidationError(_("Choose a tag or type a topic name, not both."), code="both_subjects")
            )
        return cleaned

    def organisations(self) -> list[Organisation]:
        return [org for org in (self.cleaned_data["organisation"], self.cleaned_data.get("compare_with")) if org]


def topic_name_choices() -> list[str]:
    """One spelling of each topic name, for the type-ahead of the topic box (one query)."""
    rows = Topic.objects.exclude(name_key="").values("name_key").annotate(name=Min("name")).order_by("name_key")
    return [row["name"] for row in rows]


# --- Campaigns ---------------------------------------------------------------------------------


class CampaignNameForm(forms.Form):
    """The name of a campaign, given when confirming it or later."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("For example the organiser of the letter; left empty, the campaign is named by its number."),
    )


class CampaignMemberForm(forms.Form):
    """Which member of a campaign a decision is about."""

    response = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class CampaignThresholdForm(forms.Form):
    """This consultation's own similarity threshold for campaigns."""

    similarity_threshold = forms.FloatField(
        label=_("Similarity threshold"),
        required=False,
        min_value=0.05,
        max_value=1,
        help_text=_(
            "How alike two responses must be to count as one campaign, from 0.05 (loosely) to 1 (word for word). "
            "Empty: the default of %(default)s."
        ),
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["similarity_threshold"]
        field.help_text = field.help_text % {"default": settings.CAMPAIGN_SIMILARITY_THRESHOLD}


# --- Search and saved searches ---------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class SearchFilter(django_filters.FilterSet):
    """The filters of the search page; a topic and a stance together mean a position on that topic with that stance."""

    consultation = django_filters.ModelChoiceFilter(
        label=_("Consultation"),
        queryset=Consultation.objects.order_by("-deadline"),
        empty_label=_("All"),
        widget=LongSelect(label_field="title"),  # thousands of consultations
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind of organisation"),
        field_name="organisation__kind",
        choices=OrganisationKind.choices,
        empty_label=_("All kinds"),
    )
    country = django_filters.ChoiceFilter(
        label=_("Country"),
        field_name="organisation__country",
        choices=[],
        empty_label=_("All countries"),
        widget=LongSelect,  # some 250 countries
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("Topic"),
        help_text=_("Of the consultation chosen."),
        queryset=Topic.objects.select_related("consultation").order_by("consultation__title", "order", "pk"),
        empty_label=_("All topics"),
        method="filter_position",
    )
    stance = django_filters.ChoiceFilter(
        label=_("Stance"), choices=Stance.choices, empty_label=_("Any stance"), method="filter_position"
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ResponseStatus.choices, empty_label=_("All"))
    received_after = django_filters.DateFilter(
        label=_("Received from"), field_name="received_on", lookup_expr="gte", widget=DateInput
    )
    received_before = django_filters.DateFilter(
        label=_("Received until"), field_name="received_on", lookup_expr="lte", widget=DateInput
    )
    submitted_after = django_filters.DateFilter(
        label=_("Submitted from"), field_name="submitted_at", lookup_expr="date__gte", widget=DateInput
    )
    submitted_before = django_filters.DateFilter(
        label=_("Submitted until"), field_name="submitted_at", lookup_expr="date__lte", widget=DateInput
    )

    class Meta:
        model = Response
        fields: list[str] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["country"].extra["choices"] = list(countries)
        self.filters["topic"].field.label_from_instance = lambda topic: f"{topic.consultation.title} — {topic.name}"
        self._offer_topics_of_the_consultation()

    def _offer_topics_of_the_consultation(self) -> None:
        """The topic list offers the chosen consultation's topics (and the chosen topic): all of them would be
        tens of thousands of options. Any topic still validates (a saved search may name one without its
        consultation); the page asks again for the list when the consultation changes."""
        field = self.form.fields["topic"]
        data = self.data or {}
        wanted = Q()
        for name, lookup in (("consultation", "consultation_id"), ("topic", "pk")):
            value = data.get(name) or ""
            if value.isdigit():
                wanted |= Q(**{lookup: int(value)})
        offered = field.queryset.filter(wanted) if wanted else field.queryset.none()
        field.widget.choices = [
            ("", field.empty_label),
            *((topic.pk, field.label_from_instance(topic)) for topic in offered),
        ]

    def filter_position(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # Applied once, in filter_queryset, so that topic and stance name the same position.
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        topic, stance = self.form.cleaned_data.get("topic"), self.form.cleaned_data.get("stance")
        if topic or stance:
            positions = Position.objects.filter(response=OuterRef("pk"))
            if topic:
                positions = positions.filter(topic=topic)
            if stance:
                positions = positions.filter(stance=stance)
            queryset = queryset.filter(Exists(positions))
        return queryset

    def active_values(self) -> dict[str, list[str]]:
        """The filters set, as the query string gives them: what a saved search keeps."""
        if not self.is_bound:
            return {}
        return {
            name: [value for value in self.data.getlist(name) if value]
            for name in self.filters
            if any(self.data.getlist(name))
        }

    def organisation_conditions(self) -> dict[str, str]:
        """The filters that also narrow the organisations found (kind and country)."""
        data = self.form.cleaned_data if self.is_valid() else {}
        return {field: data[name] for name, field in (("kind", "kind"), ("country", "country")) if data.get(name)}


class SavedSearchForm(forms.ModelForm):
    """Name a search (and ask for its daily e-mail); the search and filters come from the page."""

    class Meta:
        model = SavedSearch
        fields = ["name", "email_daily"]

    def __init__(self, *args, owner, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.owner = owner

    def save(self, commit: bool = True) -> SavedSearch:
        if "email_daily" in self.changed_data and self.instance.email_daily and self.instance.pk:
            # Turned on now: new matches count from now, not from when the search was saved.
            self.instance.last_emailed_at = timezone.now()
        return super().save(commit)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Give the search a name."), code="required")
        taken = SavedSearch.objects.owned_by(self.instance.owner).filter(name__iexact=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("You already have a saved search with that name."), code="duplicate")
        return name
