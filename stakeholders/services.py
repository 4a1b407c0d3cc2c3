"""Workflows on organisations that touch several models: merging two duplicates.

The merge never imports the apps above this one (consultations, responses): it finds every
row that points at an organisation through Organisation._meta.related_objects, so a relation
added by a higher app later is moved too without a change here.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from simple_history.models import HistoricalChanges

from accounts.models import User
from stakeholders.models import Organisation, OrganisationAlias, OrganisationMerge, relation_label
from stakeholders.search import schedule_organisation_refresh

# Fields of the survivor that a merge fills from the duplicate when the survivor leaves them blank,
# so nothing typed about the duplicate is lost when it is deleted.
FILLABLE_FIELDS = ("country", "website", "transparency_register_id")


@dataclass(frozen=True)
class Link:
    """One way rows of another model point at an organisation (e.g. Response.organisation)."""

    key: str  # the accessor on Organisation, e.g. "responses"
    model: type[models.Model]
    field: models.ForeignKey

    @property
    def guarded_by_unique_rule(self) -> bool:
        """True when moving a row to another organisation could break a unique rule."""
        meta = self.model._meta
        if self.field.unique:  # a one-to-one
            return True
        if any(self.field.name in together for together in meta.unique_together):
            return True
        return any(
            isinstance(constraint, models.UniqueConstraint)
            and (self.field.name in constraint.fields or bool(constraint.expressions))
            for constraint in meta.constraints
        )

    def rows_of(self, organisation: Organisation) -> models.QuerySet:
        return self.model._base_manager.filter(**{self.field.name: organisation})

    def clashes_if_moved(self, row: models.Model, keep: Organisation) -> bool:
        """True when the survivor already has a row that `row`, once moved, would duplicate."""
        setattr(row, self.field.attname, keep.pk)
        try:
            row.validate_unique()
            for constraint in self.model._meta.constraints:
                if isinstance(constraint, models.UniqueConstraint):
                    constraint.validate(self.model, row)
        except ValidationError:
            return True
        return False

    def duplicate_ids(self, *, keep: Organisation, remove: Organisation) -> list[int]:
        if not self.guarded_by_unique_rule:
            return []
        return [row.pk for row in self.rows_of(remove) if self.clashes_if_moved(row, keep)]


def _ids_to_drop(link: Link, *, keep: Organisation, remove: Organisation) -> list[int]:
    """Rows of `remove` that the survivor already has, so they are dropped instead of moved."""
    ids = link.duplicate_ids(keep=keep, remove=remove)
    if link.model is OrganisationAlias:
        # An alias equal to the survivor's own name adds nothing to search.
        ids += [
            alias.pk
            for alias in link.rows_of(remove)
            if alias.name.casefold() == keep.name.casefold() and alias.pk not in ids
        ]
    return ids


def organisation_links() -> list[Link]:
    """Every relation whose rows must follow an organisation when it is merged into another.

    One-to-many and one-to-one relations only; hidden ones (related_name "+") and the
    history tables (which must keep describing the past) are left alone.
    """
    links = []
    for relation in Organisation._meta.related_objects:
        if relation.hidden or not (relation.one_to_many or relation.one_to_one):
            continue
        if issubclass(relation.related_model, HistoricalChanges):
            continue
        links.append(Link(key=relation.get_accessor_name(), model=relation.related_model, field=relation.field))
    return links


def organisation_merge_check(*, keep: Organisation, remove: Organisation) -> None:
    """Refuse merges that cannot make sense, with a sentence saying why."""
    if keep.pk == remove.pk:
        raise ValidationError(_("An organisation cannot be merged into itself."), code="merge_into_itself")
    if keep.is_descendant_of(remove):
        raise ValidationError(
            _(
                "%(keep)s is a subsidiary of %(remove)s (directly or further down), so %(remove)s cannot be "
                "merged into it: its subsidiaries would become their own parents. Change %(keep)s's parent first."
            )
            % {"keep": keep.name, "remove": remove.name},
            code="merge_into_descendant",
        )


@dataclass(frozen=True)
class MergePlan:
    """What a merge would do, for the confirmation page."""

    moves: list[tuple[str, int, int]]  # (relation label, rows moving, duplicates dropped)
    filled_fields: list[str]  # labels of survivor fields filled from the duplicate
    new_aliases: list[str]


def organisation_merge_plan(*, keep: Organisation, remove: Organisation) -> MergePlan:
    moves = []
    for link in organisation_links():
        total = link.rows_of(remove).count()
        if not total:
            continue
        dropped = len(_ids_to_drop(link, keep=keep, remove=remove))
        moves.append((relation_label(link.key), total - dropped, dropped))
    filled = [
        str(Organisation._meta.get_field(name).verbose_name)
        for name in FILLABLE_FIELDS
        if not getattr(keep, name) and getattr(remove, name)
    ]
    if remove.notes.strip():
        filled.append(str(Organisation._meta.get_field("notes").verbose_name))
    return MergePlan(moves=moves, filled_fields=filled, new_aliases=_aliases_gained(keep=keep, remove=remove))


def _aliases_gained(*, keep: Organisation, remove: Organisation) -> list[str]:
    """The duplicate's name and aliases that the survivor does not already answer to."""
    known = {keep.name.casefold(), *(name.casefold() for name in keep.aliases.values_list("name", flat=True))}
    gained = []
    for name in [remove.name, *remove.aliases.values_list("name", flat=True)]:
        if name.casefold() not in known:
            known.add(name.casefold())
            gained.append(name)
    return gained


def organisation_merge(*, keep: Organisation, remove: Organisation, merged_by: User | None) -> OrganisationMerge:
    """Merge the duplicate `remove` into `keep`, delete `remove`, and return the record of it.

    Every row pointing at `remove` is repointed at `keep`. Where the survivor already has the
    equivalent row (invited to the same consultation, a contact with the same e-mail), the
    survivor's row is kept and the duplicate's dropped. The duplicate's name and aliases become
    aliases of the survivor; its address (slug) redirects to the survivor from then on.
    """
    with transaction.atomic():
        # Lock both rows, in key order so two opposite merges cannot deadlock; re-read them
        # so that a merge or edit that finished meanwhile is seen.
        locked = {
            organisation.pk: organisation
            for organisation in Organisation.objects.select_for_update()
            .filter(pk__in=[keep.pk, remove.pk])
            .order_by("pk")
        }
        if keep.pk not in locked or remove.pk not in locked:
            raise ValidationError(
                _("One of the two organisations no longer exists (perhaps it was merged meanwhile)."),
                code="merge_target_gone",
            )
        keep, remove = locked[keep.pk], locked[remove.pk]
        organisation_merge_check(keep=keep, remove=remove)

        moved: dict[str, int] = {}
        dropped: dict[str, int] = {}
        for link in organisation_links():
            duplicates = _ids_to_drop(link, keep=keep, remove=remove)
            if duplicates:
                link.model._base_manager.filter(pk__in=duplicates).delete()
            moved[link.key] = link.rows_of(remove).update(**{link.field.name: keep})
            dropped[link.key] = len(duplicates)

        # The moved aliases are already the survivor's; the duplicate's own name joins them.
        known = {keep.name.casefold(), *(name.casefold() for name in keep.aliases.values_list("name", flat=True))}
        if remove.name.casefold() not in known:
            OrganisationAlias.objects.create(organisation=keep, name=remove.name)

        _fill_blanks(keep=keep, remove=remove)

        record = OrganisationMerge.objects.create(
            survivor=keep,
            merged_name=remove.name,
            merged_slug=remove.slug,
            merged_by=merged_by,
            moved=moved,
            dropped={key: count for key, count in dropped.items() if count},
        )
        remove.delete()
        # The survivor answers to new names, and its moved rows (responses) index its name now.
        schedule_organisation_refresh([keep.pk])
    return record


def _fill_blanks(*, keep: Organisation, remove: Organisation) -> None:
    changed = [name for name in FILLABLE_FIELDS if not getattr(keep, name) and getattr(remove, name)]
    for name in changed:
        setattr(keep, name, getattr(remove, name))
    if remove.notes.strip():
        heading = _("From %(name)s (merged):") % {"name": remove.name}
        keep.notes = "\n\n".join(part for part in [keep.notes.strip(), f"{heading}\n{remove.notes.strip()}"] if part)
        changed.append("notes")
    if changed:
        keep.save(update_fields=[*changed, "updated_at"])
