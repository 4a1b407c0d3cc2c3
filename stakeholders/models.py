from django.db import models
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


class OrganisationQuerySet(models.QuerySet):
    def of_kind(self, *kinds: str) -> "OrganisationQuerySet":
        return self.filter(kind__in=kinds)


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

    history = HistoricalRecords()
    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [models.Index(fields=["kind", "country"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="organisation_not_own_parent",
                violation_error_message=_("An organisation cannot be its own parent."),
            )
        ]

    def __str__(self) -> str:
        return self.name


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
