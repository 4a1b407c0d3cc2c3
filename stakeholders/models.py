from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords


class OrganisationKind(models.TextChoices):
    COMPANY = "company", _("Company")
    INDUSTRY_ASSOCIATION = "industry_association", _("Industry association")
    NGO = "ngo", _("NGO")
    GOVERNMENT = "government", _("Government")
    REGULATOR = "regulator", _("Regulator")
    INTERGOVERNMENTAL = "intergovernmental", _("Intergovernmental body")
    ACADEMIA = "academia", _("Academia")
    INDIVIDUAL = "individual", _("Individual")
    OTHER = "other", _("Other")


# Path segments under /organisations/ that are pages, not organisations: never used as slugs.
RESERVED_SLUGS = frozenset({"new", "contacts", "import", "imports", "export", "exports", "merge", "search"})


class OrganisationQuerySet(models.QuerySet):
    def of_kind(self, *kinds: str) -> "OrganisationQuerySet":
        return self.filter(kind__in=kinds)

    def matching(self, text: str) -> "OrganisationQuerySet":
        """Organisations whose name or one of whose aliases contains `text` (any case)."""
        text = text.strip()
        if not text:
            return self
        # Exists rather than a join, so an organisation with two matching aliases appears once.
        alias_matches = OrganisationAlias.objects.filter(organisation=models.OuterRef("pk"), name__icontains=text)
        return self.filter(models.Q(name__icontains=text) | models.Exists(alias_matches))

    def type_ahead(self, text: str) -> "OrganisationQuerySet":
        """Those `matching` text in a type-ahead's order: names starting with it first, then by name."""
        text = text.strip()
        starts = models.Case(
            models.When(name__istartswith=text, then=models.Value(0)),
            default=models.Value(1),
            output_field=models.IntegerField(),
        )
        return self.matching(text).annotate(starts=starts).order_by("starts", "name")

    def with_response_count(self) -> "OrganisationQuerySet":
        # Deleted responses (in the deleted items, awaiting restore or purge) do not count.
        return self.annotate(
            response_count=models.Count("responses", filter=models.Q(responses__deleted_at__isnull=True), distinct=True)
        )

    def search(self, text: str) -> "OrganisationQuerySet":
        """Full-text search of name, aliases and notes, best match first (see stakeholders.search)."""
        from stakeholders.search import search_organisations

        return search_organisations(self, text)


class OrganisationManager(models.Manager.from_queryset(OrganisationQuerySet)):
    def get_queryset(self) -> OrganisationQuerySet:
        # The search vector is only read by the database; leaving it unloaded also keeps save() from
        # writing back a stale copy (a save of a partly loaded row writes the loaded fields only).
        return super().get_queryset().defer("search_vector")


class Organisation(models.Model):
    """A stakeholder that issues or answers consultations."""

    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices, default=OrganisationKind.OTHER)
    country = CountryField(_("country"), blank=True, help_text=_("Where the organisation is based."))
    website = models.URLField(_("website"), blank=True)
    transparency_register_id = models.CharField(
        _("transparency register ID"), max_length=64, blank=True, help_text=_("EU Transparency Register number.")
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subsidiaries",
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Name (A), aliases (B) and notes (D), kept current by stakeholders.search after every change.
    search_vector = SearchVectorField(_("search vector"), null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search_vector"])
    objects = OrganisationManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [
            models.Index(fields=["kind", "country"]),
            GinIndex(fields=["search_vector"], name="organisation_search_gin"),
            # Lists and choices of tens of thousands of organisations, by name, without sorting them all.
            models.Index(fields=["name", "id"], name="organisation_by_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="organisation_not_own_parent",
                violation_error_message=_("An organisation cannot be its own parent."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("stakeholders:organisation-detail", kwargs={"slug": self.slug})

    @property
    def website_url(self) -> str:
        """The website when it is safe to link to (http or https); rows imported unchecked may hold anything."""
        return self.website if self.website.lower().startswith(("http://", "https://")) else ""

    @classmethod
    def slug_is_taken(cls, slug: str, *, exclude_pk: int | None = None) -> bool:
        """True when `slug` names a page, another organisation, or one merged away (whose address redirects)."""
        if slug in RESERVED_SLUGS:
            return True
        if cls.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
            return True
        return OrganisationMerge.objects.filter(merged_slug=slug).exists()

    @classmethod
    def unique_slug_for(cls, name: str, *, exclude_pk: int | None = None) -> str:
        """A free slug made from `name`: acme, then acme-2, acme-3..."""
        max_length = cls._meta.get_field("slug").max_length
        base = slugify(name)[: max_length - 10].strip("-") or "organisation"
        candidate, number = base, 1
        while cls.slug_is_taken(candidate, exclude_pk=exclude_pk):
            number += 1
            candidate = f"{base}-{number}"
        return candidate

    def ancestor_ids(self) -> list[int]:
        """Primary keys of the parent, its parent and so on, nearest first (stops at a loop)."""
        ids: list[int] = []
        parent_id = self.parent_id
        while parent_id is not None and parent_id not in ids and parent_id != self.pk:
            ids.append(parent_id)
            parent_id = Organisation.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
        return ids

    def is_descendant_of(self, other: "Organisation") -> bool:
        """True when `other` is this organisation's parent, grandparent, and so on."""
        return other.pk is not None and other.pk in self.ancestor_ids()


class OrganisationAlias(models.Model):
    """Another name an organisation goes by (an acronym, a former or local name): found by search."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.CharField(_("alias"), max_length=255)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "organisation",
                name="organisation_alias_unique_per_organisation",
                violation_error_message=_("This organisation already has that alias."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationMerge(models.Model):
    """The record that a duplicate organisation was merged into a survivor, and what moved."""

    survivor = models.ForeignKey(
        Organisation, verbose_name=_("kept organisation"), on_delete=models.CASCADE, related_name="merges"
    )
    merged_name = models.CharField(_("merged organisation"), max_length=255)
    # Not unique: a slug merged away is never given out again (see Organisation.slug_is_taken),
    # but a chain of merges keeps every record.
    merged_slug = models.SlugField(_("merged slug"), max_length=255, db_index=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    moved = models.JSONField(
        _("moved"), default=dict, blank=True, help_text=_("How many rows of each relation moved to the survivor.")
    )
    dropped = models.JSONField(
        _("dropped as duplicates"),
        default=dict,
        blank=True,
        help_text=_("Rows the survivor already had (same invitation, same contact e-mail), removed."),
    )

    class Meta:
        ordering = ["-merged_at", "-pk"]
        verbose_name = _("organisation merge")
        verbose_name_plural = _("organisation merges")

    def __str__(self) -> str:
        return f"{self.merged_name} → {self.survivor}"

    def moved_summary(self) -> list[tuple[str, int]]:
        """(relation label, count) for every relation that moved rows, by label (jsonb keeps no key order)."""
        return sorted((relation_label(key), count) for key, count in self.moved.items() if count)

    def dropped_summary(self) -> list[tuple[str, int]]:
        return sorted((relation_label(key), count) for key, count in self.dropped.items() if count)


def relation_label(accessor_name: str) -> str:
    """The plural name of the model behind `organisation.<accessor_name>`, for people to read."""
    for relation in Organisation._meta.related_objects:
        if relation.get_accessor_name() != accessor_name:
            continue
        if relation.related_model is Organisation:
            return str(_("subsidiaries"))
        if relation.related_model is OrganisationMerge:
            return str(_("earlier merges"))
        label = str(relation.related_model._meta.verbose_name_plural)
        if relation.field.name != "organisation":
            # Say which link it was, e.g. "consultations (issuing body)".
            label = f"{label} ({relation.field.verbose_name})"
        return label
    return accessor_name.replace("_", " ")


class Contact(models.Model):
    """A person at an organisation whom we may write to."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=255)
    email = models.EmailField(_("e-mail"), blank=True)
    role = models.CharField(_("role"), max_length=255, blank=True, help_text=_("Job title or function."))
    opted_out = models.BooleanField(
        _("opted out of e-mail"), default=False, help_text=_("Never send this person e-mail.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=~models.Q(email=""),
                name="contact_unique_email_per_organisation",
                violation_error_message=_("This organisation already has a contact with that e-mail."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    @property
    def may_be_emailed(self) -> bool:
        return bool(self.email) and not self.opted_out
