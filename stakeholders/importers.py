"""Importing organisations, with their contacts, from a CSV or XLSX file.

One row is an organisation and, optionally, one contact of it; several rows with the same
organisation add several contacts to one organisation. An organisation already in Consultrack
(same slug from its name, same name in any case, an alias, or a slug merged away) is updated,
never duplicated: filled cells replace its values, blank cells leave them alone.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries import countries
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from stakeholders.importing import (
    Cell,
    Field,
    Importer,
    RowResult,
    cell_text,
    parse_boolean,
    parse_choice,
    parse_email,
    parse_text,
    parse_url,
)
from stakeholders.models import (
    RESERVED_SLUGS,
    Contact,
    Organisation,
    OrganisationAlias,
    OrganisationKind,
    OrganisationMerge,
)
from stakeholders.search import schedule_organisation_refresh

# Names people write that are not ISO's English short names.
COUNTRY_SYNONYMS = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "united states": "US",
    "turkey": "TR",
    "us": "US",
    "united states of america": "US",
    "america": "US",
    "the netherlands": "NL",
    "holland": "NL",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "czech republic": "CZ",
    "eu": "",
}

KIND_SYNONYMS = {
    "business": OrganisationKind.COMPANY,
    "corporation": OrganisationKind.COMPANY,
    "association": OrganisationKind.INDUSTRY_ASSOCIATION,
    "trade association": OrganisationKind.INDUSTRY_ASSOCIATION,
    "business association": OrganisationKind.INDUSTRY_ASSOCIATION,
    "non-governmental organisation": OrganisationKind.NGO,
    "non-governmental organization": OrganisationKind.NGO,
    "charity": OrganisationKind.NGO,
    "civil society": OrganisationKind.NGO,
    "public authority": OrganisationKind.GOVERNMENT,
    "ministry": OrganisationKind.GOVERNMENT,
    "igo": OrganisationKind.INTERGOVERNMENTAL,
    "intergovernmental organisation": OrganisationKind.INTERGOVERNMENTAL,
    "intergovernmental organization": OrganisationKind.INTERGOVERNMENTAL,
    "university": OrganisationKind.ACADEMIA,
    "research": OrganisationKind.ACADEMIA,
    "academic": OrganisationKind.ACADEMIA,
    "citizen": OrganisationKind.INDIVIDUAL,
    "person": OrganisationKind.INDIVIDUAL,
}

parse_kind = parse_choice(OrganisationKind, synonyms=KIND_SYNONYMS)


@lru_cache(maxsize=2048)
def _country_code(text: str, language: str) -> str:
    lowered = text.casefold()
    if lowered in COUNTRY_SYNONYMS:
        return COUNTRY_SYNONYMS[lowered]
    if len(text) in (2, 3) or text.isdigit():
        code = countries.alpha2(text)
        if code:
            return code
    return countries.by_name(text) or countries.by_name(text, language=language)


def parse_country(value: Cell) -> str:
    """An ISO 3166 code (alpha-2, alpha-3 or numeric) or the country's English name."""
    text = cell_text(value)
    code = _country_code(text, translation.get_language() or "en")
    if not code:
        raise ValidationError(
            _("“%(value)s” is not a country: write its two-letter ISO code (such as GB) or its English name.")
            % {"value": text}
        )
    return code


@lru_cache(maxsize=4096)
def slug_of(text: str) -> str:
    """slugify, remembered: a file names the same organisations on many rows."""
    return slugify(text)


def display_country(code: str | None) -> str:
    return str(countries.name(code)) if code else ""


def display_kind(value: str | None) -> str:
    return str(OrganisationKind(value).label) if value else ""


OrganisationKey = tuple[str, Any]
BATCH_SIZE = 500


class SlugAllocator:
    """Free slugs for new organisations, decided in memory for a whole file instead of a query each.

    Taken: every organisation's slug, every slug merged away, the page names under
    /organisations/, and those given out already. A slug taken meanwhile by someone else fails the
    unique constraint, and the import's transaction with it.
    """

    def __init__(self, directory: "OrganisationDirectory") -> None:
        self.taken = set(directory.by_slug) | set(directory.merged) | set(RESERVED_SLUGS)
        self.max_length = Organisation._meta.get_field("slug").max_length

    def allocate(self, name: str) -> str:
        base = slugify(name)[: self.max_length - 10].strip("-") or "organisation"
        candidate, number = base, 1
        while candidate in self.taken:
            number += 1
            candidate = f"{base}-{number}"
        self.taken.add(candidate)
        return candidate


class OrganisationDirectory:
    """Every organisation's names, slugs, aliases and merged slugs, loaded once to look rows up in."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {
            row["id"]: row
            for row in Organisation.objects.values(
                "id", "name", "slug", "kind", "country", "website", "transparency_register_id", "parent_id", "notes"
            )
        }
        self.by_slug: dict[str, int] = {row["slug"]: pk for pk, row in self.rows.items()}
        self.by_name: dict[str, set[int]] = {}
        for pk, row in self.rows.items():
            self.by_name.setdefault(row["name"].casefold(), set()).add(pk)
        self.by_alias: dict[str, set[int]] = {}
        for alias, pk in OrganisationAlias.objects.values_list("name", "organisation_id"):
            self.by_alias.setdefault(alias.casefold(), set()).add(pk)
        self.merged: dict[str, int] = dict(OrganisationMerge.objects.values_list("merged_slug", "survivor_id"))

    def find(self, text: str) -> int | None:
        """The organisation `text` names (slug, name, slug of the name, merged slug, alias), or None.

        Raises ValidationError when the text names several organisations.
        """
        text = text.strip()
        if text in self.by_slug:
            return self.by_slug[text]
        named = self.by_name.get(text.casefold(), set())
        if len(named) > 1:
            raise self.ambiguous(text, named)
        if named:
            return next(iter(named))
        slug = slug_of(text)
        if slug and slug in self.by_slug:
            return self.by_slug[slug]
        for merged_slug in (text, slug):
            if merged_slug in self.merged and self.merged[merged_slug] in self.rows:
                return self.merged[merged_slug]
        aliased = self.by_alias.get(text.casefold(), set())
        if len(aliased) > 1:
            raise self.ambiguous(text, aliased)
        return next(iter(aliased), None)

    def ambiguous(self, text: str, candidates: set[int]) -> ValidationError:
        slugs = ", ".join(sorted(self.rows[pk]["slug"] for pk in candidates))
        return ValidationError(
            _("“%(value)s” names several organisations (%(slugs)s): write the slug of the one you mean.")
            % {"value": text, "slugs": slugs}
        )

    def name_of(self, pk: int) -> str:
        return self.rows[pk]["name"]

    @staticmethod
    def new_key(name: str) -> OrganisationKey:
        """How rows of the file that create the same new organisation recognise each other."""
        return ("new", slug_of(name) or name.casefold())


# The organisation's own fields, as written on the model; the same on every row of one organisation.
ORGANISATION_FIELDS = ("kind", "country", "website", "transparency_register_id", "parent", "notes")


@dataclass
class PlannedOrganisation:
    """What the rows of the file so far say about one organisation."""

    key: OrganisationKey
    name: str
    first_row: int
    existing_id: int | None
    values: dict[str, Any] = field(default_factory=dict)
    contact_emails: dict[str, int] = field(default_factory=dict)
    contact_names: dict[str, int] = field(default_factory=dict)


class OrganisationImporter(Importer):
    noun_plural = gettext_lazy("organisations")
    template_filename = "organisations-import-template"

    fields = [
        Field(
            "name",
            gettext_lazy("Name"),
            required=True,
            help_text=gettext_lazy(
                "The organisation's name. Rows with the same name add contacts to one organisation; "
                "a name (or slug) already in Consultrack updates that organisation."
            ),
            synonyms=("organisation", "organization", "organisation name", "organization name", "stakeholder"),
            parse=parse_text(max_length=255),
            example="Internet Watch Foundation",
        ),
        Field(
            "kind",
            gettext_lazy("Kind"),
            help_text=gettext_lazy(
                "Company, Industry association, NGO, Government, Regulator, Intergovernmental body, "
                "Academia, Individual or Other."
            ),
            synonyms=("type", "category", "organisation kind", "organisation type", "organization type"),
            parse=parse_kind,
            display=display_kind,
            example="NGO",
        ),
        Field(
            "country",
            gettext_lazy("Country"),
            help_text=gettext_lazy("Two-letter ISO code (GB, FR, US) or the country's English name."),
            synonyms=("country code", "nation", "based in"),
            parse=parse_country,
            display=display_country,
            example="GB",
        ),
        Field(
            "website",
            gettext_lazy("Website"),
            help_text=gettext_lazy("Web address; https:// is added when missing."),
            synonyms=("url", "web", "web site", "homepage", "site"),
            parse=parse_url,
            example="https://www.iwf.org.uk",
        ),
        Field(
            "transparency_register_id",
            gettext_lazy("Transparency register ID"),
            help_text=gettext_lazy("EU Transparency Register number."),
            synonyms=("transparency register", "register id", "eu transparency register", "tr id", "eutr"),
            parse=parse_text(max_length=64),
            example="",
        ),
        Field(
            "parent",
            gettext_lazy("Parent"),
            help_text=gettext_lazy(
                "Name or slug of the parent organisation: one already in Consultrack, or one on an earlier row."
            ),
            synonyms=("parent organisation", "parent organization", "belongs to", "part of"),
            parse=parse_text(max_length=255),
            example="",
        ),
        Field(
            "notes",
            gettext_lazy("Notes"),
            help_text=gettext_lazy("Free text. Replaces the organisation's notes when filled."),
            synonyms=("note", "comments", "remarks"),
            parse=parse_text(),
            example="UK hotline for reporting child sexual abuse imagery.",
        ),
        Field(
            "contact_name",
            gettext_lazy("Contact name"),
            help_text=gettext_lazy("A person at the organisation (leave blank for none)."),
            synonyms=("contact", "contact person", "person", "full name"),
            parse=parse_text(max_length=255),
            example="Policy and Public Affairs",
        ),
        Field(
            "contact_email",
            gettext_lazy("Contact e-mail"),
            help_text=gettext_lazy("The contact's e-mail address."),
            synonyms=("contact email", "email", "e-mail", "email address", "e-mail address", "mail"),
            parse=parse_email,
            example="policy@iwf.example",
        ),
        Field(
            "contact_role",
            gettext_lazy("Contact role"),
            help_text=gettext_lazy("Job title or function."),
            synonyms=("role", "job title", "title", "function"),
            parse=parse_text(max_length=255),
            example="Policy manager",
        ),
        Field(
            "contact_opted_out",
            gettext_lazy("Opted out"),
            help_text=gettext_lazy("yes/no, true/false or 1/0: yes means never send this contact e-mail."),
            synonyms=("opted out of e-mail", "opted out of email", "opt out", "unsubscribed", "do not email"),
            parse=parse_boolean,
            example="no",
        ),
    ]

    def prepare(self) -> None:
        self.directory = OrganisationDirectory()
        self.contacts_by_email: dict[tuple[int, str], int] = {}
        self.contacts_by_name: dict[tuple[int, str], int] = {}
        for pk, organisation_id, email, name in Contact.objects.values_list("id", "organisation_id", "email", "name"):
            if email:
                self.contacts_by_email[(organisation_id, email.casefold())] = pk
            self.contacts_by_name.setdefault((organisation_id, name.casefold()), pk)
        self.planned: dict[OrganisationKey, PlannedOrganisation] = {}
        # Parent links the file sets, by organisation key, to find loops before they are written.
        self.parent_of: dict[OrganisationKey, OrganisationKey] = {}

    def key_for(self, text: str) -> tuple[OrganisationKey, int | None]:
        existing_id = self.directory.find(text)
        if existing_id is not None:
            return ("id", existing_id), existing_id
        return self.directory.new_key(text), None

    def clean_row(self, row: RowResult) -> None:
        values = row.values
        if not values["name"]:
            return
        try:
            key, existing_id = self.key_for(values["name"])
        except ValidationError as exc:
            row.add_error("name", exc.messages[0])
            return
        plan = self.planned.get(key)
        if plan is None:
            plan = PlannedOrganisation(key=key, name=values["name"], first_row=row.number, existing_id=existing_id)

        parent_key = self.clean_parent(row, key)
        given = {
            name: values[name]
            for name in ORGANISATION_FIELDS
            if values.get(name) not in (None, "") and name != "parent"
        }
        if parent_key is not None:
            given["parent"] = parent_key
        for name, value in given.items():
            earlier = plan.values.get(name)
            if earlier is not None and earlier != value:
                row.add_error(
                    name,
                    _("Row %(row)d gives “%(organisation)s” a different value here; the rows must agree.")
                    % {"row": plan.first_row, "organisation": plan.name},
                )
        self.clean_contact(row, plan)
        if not row.ok:
            return

        # The row is good: remember what it says, for the rows after it and for save().
        for name, value in given.items():
            plan.values.setdefault(name, value)
        if parent_key is not None:
            self.parent_of[key] = parent_key
        self.planned[key] = plan
        if email := values.get("contact_email"):
            plan.contact_emails[email.casefold()] = row.number
        if values.get("contact_name"):
            plan.contact_names[values["contact_name"].casefold()] = row.number
        values["_key"] = key
        values["_parent_key"] = parent_key
        row.note = self.describe(row, plan)

    def clean_parent(self, row: RowResult, key: OrganisationKey) -> OrganisationKey | None:
        text = row.values.get("parent")
        if not text:
            return None
        try:
            parent_key, _existing = self.key_for(text)
        except ValidationError as exc:
            row.add_error("parent", exc.messages[0])
            return None
        if parent_key == key:
            row.add_error("parent", _("An organisation cannot be its own parent."))
            return None
        if parent_key[0] == "new" and parent_key not in self.planned:
            row.add_error(
                "parent",
                _(
                    "Unknown parent organisation “%(name)s”: it is neither in Consultrack nor on an earlier row of this file."
                )
                % {"name": text},
            )
            return None
        # Walk up from the parent; meeting this organisation would make a loop.
        seen, current = set(), parent_key
        while current is not None and current not in seen:
            if current == key:
                row.add_error(
                    "parent",
                    _("“%(name)s” is already below this organisation: that would make a loop.") % {"name": text},
                )
                return None
            seen.add(current)
            current = self.parent_of.get(current) or self.existing_parent(current)
        return parent_key

    def existing_parent(self, key: OrganisationKey) -> OrganisationKey | None:
        if key[0] != "id":
            return None
        parent_id = self.directory.rows[key[1]]["parent_id"]
        return ("id", parent_id) if parent_id else None

    def clean_contact(self, row: RowResult, plan: PlannedOrganisation) -> None:
        values = row.values
        if row.has_error("contact_name", "contact_email"):
            return
        name, email = values.get("contact_name"), values.get("contact_email")
        if not name and not email:
            for extra in ("contact_role", "contact_opted_out"):
                if values.get(extra) not in (None, ""):
                    row.add_error(extra, _("This needs a contact name or e-mail on the same row."))
            return
        if email and email.casefold() in plan.contact_emails:
            row.add_error(
                "contact_email",
                _("Row %(row)d already has this e-mail for “%(organisation)s”.")
                % {"row": plan.contact_emails[email.casefold()], "organisation": plan.name},
            )
        elif not email and name.casefold() in plan.contact_names:
            row.add_error(
                "contact_name",
                _("Row %(row)d already has this contact for “%(organisation)s”.")
                % {"row": plan.contact_names[name.casefold()], "organisation": plan.name},
            )

    def describe(self, row: RowResult, plan: PlannedOrganisation) -> str:
        if plan.first_row != row.number:
            return _("same organisation as row %(row)d") % {"row": plan.first_row}
        if plan.existing_id is None:
            return _("new")
        current = self.directory.rows[plan.existing_id]
        changed = [
            str(self.get_field(name).label).lower()
            for name, value in plan.values.items()
            if (current["parent_id"] if name == "parent" else current[name])
            != (value[1] if name == "parent" else value)
        ]
        existing = _("existing: %(name)s") % {"name": current["name"]}
        if changed:
            return _("%(existing)s (updates %(fields)s)") % {"existing": existing, "fields": ", ".join(changed)}
        return existing

    def save(self, rows: list[RowResult]) -> str:
        """Write the rows this importer validated, in a handful of bulk queries whatever their number.

        New organisations are created parents first (a parent is always on an earlier row);
        existing ones are updated with what the rows give; then every contact is added or updated.
        """
        plans: dict[OrganisationKey, dict[str, Any]] = {}
        for row in rows:
            values = row.values
            plan = plans.setdefault(values["_key"], {"name": values["name"], "values": {}, "parent_key": None})
            # The rows of one organisation agree (clean_row saw to it): the first value given holds.
            for name in ORGANISATION_FIELDS:
                if name != "parent" and values.get(name) not in (None, ""):
                    plan["values"].setdefault(name, values[name])
            plan["parent_key"] = plan["parent_key"] or values.get("_parent_key")

        organisations = self.create_organisations({key: plan for key, plan in plans.items() if key[0] == "new"})
        updated, unchanged = self.update_organisations(
            {key: plan for key, plan in plans.items() if key[0] == "id"}, organisations
        )
        contacts_added, contacts_updated = self.save_contacts(rows, organisations)
        # Bulk writes send no signals: index the organisations created or updated here.
        schedule_organisation_refresh(organisation.pk for organisation in organisations.values())

        created = len(plans) - updated - unchanged
        counts = [
            (created, ngettext("%(count)d new organisation", "%(count)d new organisations", created)),
            (updated, ngettext("%(count)d organisation updated", "%(count)d organisations updated", updated)),
            (unchanged, ngettext("%(count)d organisation unchanged", "%(count)d organisations unchanged", unchanged)),
            (contacts_added, ngettext("%(count)d contact added", "%(count)d contacts added", contacts_added)),
            (contacts_updated, ngettext("%(count)d contact updated", "%(count)d contacts updated", contacts_updated)),
        ]
        details = ", ".join(text % {"count": count} for count, text in counts if count)
        return ngettext("Imported %(count)d row: %(details)s.", "Imported %(count)d rows: %(details)s.", len(rows)) % {
            "count": len(rows),
            "details": details,
        }

    @staticmethod
    def parent_id(parent_key: OrganisationKey | None, organisations: dict[OrganisationKey, Organisation]) -> int | None:
        if parent_key is None:
            return None
        return organisations[parent_key].pk if parent_key in organisations else parent_key[1]

    def create_organisations(self, plans: dict[OrganisationKey, dict[str, Any]]) -> dict[OrganisationKey, Organisation]:
        """Create the new organisations, a generation at a time so each parent exists before its children."""
        slugs = SlugAllocator(self.directory)
        organisations: dict[OrganisationKey, Organisation] = {}
        waiting = dict(plans)
        while waiting:
            ready = [
                key
                for key, plan in waiting.items()
                if plan["parent_key"] is None or plan["parent_key"][0] == "id" or plan["parent_key"] in organisations
            ]
            if not ready:  # cannot happen: clean_row accepts only parents on earlier rows
                raise ValidationError(_("The parents of the new organisations form a loop."))
            batch = []
            for key in ready:
                plan = waiting.pop(key)
                values = plan["values"]
                batch.append(
                    Organisation(
                        name=plan["name"],
                        slug=slugs.allocate(plan["name"]),
                        kind=values.get("kind") or OrganisationKind.OTHER,
                        country=values.get("country") or "",
                        website=values.get("website") or "",
                        transparency_register_id=values.get("transparency_register_id") or "",
                        notes=values.get("notes") or "",
                        parent_id=self.parent_id(plan["parent_key"], organisations),
                    )
                )
            created = bulk_create_with_history(batch, Organisation, batch_size=BATCH_SIZE)
            organisations.update(zip(ready, created, strict=True))
        return organisations

    def update_organisations(
        self, plans: dict[OrganisationKey, dict[str, Any]], organisations: dict[OrganisationKey, Organisation]
    ) -> tuple[int, int]:
        """Fill in what the rows give; blank cells keep what the organisation has. Returns (updated, unchanged)."""
        existing = Organisation.objects.select_for_update().in_bulk([key[1] for key in plans])
        changed_objects, changed_fields = [], set()
        now = timezone.now()
        for key, plan in plans.items():
            organisation = existing[key[1]]
            organisations[key] = organisation
            changed = [name for name, value in plan["values"].items() if getattr(organisation, name) != value]
            for name in changed:
                setattr(organisation, name, plan["values"][name])
            parent_id = self.parent_id(plan["parent_key"], organisations)
            if parent_id is not None and organisation.parent_id != parent_id:
                organisation.parent_id = parent_id
                changed.append("parent")
            if changed:
                # bulk_update leaves auto_now alone; say when it changed.
                organisation.updated_at = now
                changed_objects.append(organisation)
                changed_fields.update(changed)
        if changed_objects:
            bulk_update_with_history(
                changed_objects, Organisation, fields=[*sorted(changed_fields), "updated_at"], batch_size=BATCH_SIZE
            )
        return len(changed_objects), len(plans) - len(changed_objects)

    def save_contacts(
        self, rows: list[RowResult], organisations: dict[OrganisationKey, Organisation]
    ) -> tuple[int, int]:
        """Add each row's contact, or update the one with the same e-mail (or, without e-mail, name)."""
        new_contacts, updates = [], {}
        for row in rows:
            values = row.values
            name, email = values.get("contact_name"), values.get("contact_email")
            if not name and not email:
                continue
            organisation = organisations[values["_key"]]
            if email:
                contact_id = self.contacts_by_email.get((organisation.pk, email.casefold()))
            else:
                contact_id = self.contacts_by_name.get((organisation.pk, name.casefold()))
            if contact_id is None:
                new_contacts.append(
                    Contact(
                        organisation=organisation,
                        name=name or email,
                        email=email or "",
                        role=values.get("contact_role") or "",
                        opted_out=bool(values.get("contact_opted_out")),
                    )
                )
            else:
                updates[contact_id] = {
                    "name": name,
                    "role": values.get("contact_role"),
                    "opted_out": values.get("contact_opted_out"),
                }
        Contact.objects.bulk_create(new_contacts, batch_size=BATCH_SIZE)
        changed_contacts = []
        for contact_id, contact in Contact.objects.in_bulk(list(updates)).items():
            given = {name: value for name, value in updates[contact_id].items() if value not in (None, "")}
            if any(getattr(contact, name) != value for name, value in given.items()):
                for name, value in given.items():
                    setattr(contact, name, value)
                changed_contacts.append(contact)
        Contact.objects.bulk_update(changed_contacts, ["name", "role", "opted_out"], batch_size=BATCH_SIZE)
        return len(new_contacts), len(changed_contacts)
