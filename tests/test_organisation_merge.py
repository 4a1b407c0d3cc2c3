"""Merging a duplicate organisation into the one kept: the service, then the pages."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from consultations.models import Consultation, Invitation
from responses.models import Response
from stakeholders.models import Contact, Organisation, OrganisationMerge
from stakeholders.services import organisation_links, organisation_merge, organisation_merge_plan
from tests.factories import (
    ConsultationFactory,
    ContactFactory,
    InvitationFactory,
    OrganisationAliasFactory,
    OrganisationFactory,
    ResponseFactory,
)

pytestmark = pytest.mark.django_db


def merge_url(organisation: Organisation) -> str:
    return reverse("stakeholders:organisation-merge", args=[organisation.slug])


def aliases_of(organisation: Organisation) -> list[str]:
    return sorted(organisation.aliases.values_list("name", flat=True))


# --- The service ---


def test_merge_moves_every_related_row_to_the_survivor(policy_user):
    """Responses, contacts, invitations, issued consultations and subsidiaries all follow."""
    keep = OrganisationFactory(name="Meta Platforms", slug="meta")
    remove = OrganisationFactory(name="Facebook", slug="facebook")
    responses = ResponseFactory.create_batch(2, organisation=remove)
    contact = ContactFactory(organisation=remove)
    invitation = InvitationFactory(organisation=remove)
    issued = ConsultationFactory(issuer=remove)
    subsidiary = OrganisationFactory(parent=remove)

    record = organisation_merge(keep=keep, remove=remove, merged_by=policy_user)

    assert not Organisation.objects.filter(pk=remove.pk).exists()
    assert set(Response.objects.filter(organisation=keep)) == set(responses)
    assert Contact.objects.get(pk=contact.pk).organisation == keep
    assert Invitation.objects.get(pk=invitation.pk).organisation == keep
    assert Consultation.objects.get(pk=issued.pk).issuer == keep
    assert Organisation.objects.get(pk=subsidiary.pk).parent == keep
    assert record.moved["responses"] == 2
    assert {key: record.moved[key] for key in ["contacts", "invitations", "issued_consultations", "subsidiaries"]} == {
        "contacts": 1,
        "invitations": 1,
        "issued_consultations": 1,
        "subsidiaries": 1,
    }


def test_merge_is_recorded_with_who_what_and_the_old_address(policy_user):
    keep = OrganisationFactory(name="Meta Platforms")
    remove = OrganisationFactory(name="Facebook", slug="facebook")
    ResponseFactory(organisation=remove)

    record = organisation_merge(keep=keep, remove=remove, merged_by=policy_user)

    record.refresh_from_db()
    assert record.survivor == keep
    assert (record.merged_name, record.merged_slug, record.merged_by) == ("Facebook", "facebook", policy_user)
    assert record.merged_at is not None
    assert record.moved_summary() == [("responses", 1)]
    assert record.dropped == {}
    assert list(keep.merges.all()) == [record]


def test_the_removed_name_and_its_aliases_become_aliases_of_the_survivor(policy_user):
    """Nothing is repeated: an alias both had, or one equal to the survivor's name, is kept once."""
    keep = OrganisationFactory(name="Meta Platforms")
    OrganisationAliasFactory(organisation=keep, name="FB")
    remove = OrganisationFactory(name="Facebook")
    OrganisationAliasFactory(organisation=remove, name="fb")
    OrganisationAliasFactory(organisation=remove, name="Facebook Inc.")
    OrganisationAliasFactory(organisation=remove, name="meta platforms")

    record = organisation_merge(keep=keep, remove=remove, merged_by=None)

    assert aliases_of(keep) == ["FB", "Facebook", "Facebook Inc."]
    assert (record.moved["aliases"], record.dropped["aliases"]) == (1, 2)


def test_a_duplicate_with_the_very_same_name_adds_no_alias(policy_user):
    keep = OrganisationFactory(name="Google")
    remove = OrganisationFactory(name="google")
    organisation_merge(keep=keep, remove=remove, merged_by=policy_user)
    assert aliases_of(keep) == []


def test_an_invitation_to_the_same_consultation_keeps_the_survivors(policy_user):
    """Both invited to one consultation: the survivor's invitation stays, the duplicate's goes."""
    keep = OrganisationFactory()
    remove = OrganisationFactory()
    consultation = ConsultationFactory()
    kept_invitation = InvitationFactory(consultation=consultation, organisation=keep, note="ours")
    InvitationFactory(consultation=consultation, organisation=remove, note="theirs")
    other = InvitationFactory(organisation=remove)

    record = organisation_merge(keep=keep, remove=remove, merged_by=policy_user)

    assert list(Invitation.objects.filter(consultation=consultation)) == [kept_invitation]
    assert Invitation.objects.get(pk=other.pk).organisation == keep
    assert (record.moved["invitations"], record.dropped["invitations"]) == (1, 1)


def test_a_contact_with_the_same_email_keeps_the_survivors(policy_user):
    """Same e-mail at both: the survivor's contact stays; contacts without e-mail all move."""
    keep = OrganisationFactory()
    remove = OrganisationFactory()
    kept_contact = ContactFactory(organisation=keep, name="Kept", email="desk@acme.example")
    ContactFactory(organisation=remove, name="Dropped", email="desk@acme.example")
    ContactFactory(organisation=keep, name="No mail A", email="")
    ContactFactory(organisation=remove, name="No mail B", email="")
    ContactFactory(organisation=remove, name="Moved", email="moved@acme.example")

    record = organisation_merge(keep=keep, remove=remove, merged_by=policy_user)

    assert sorted(keep.contacts.values_list("name", flat=True)) == ["Kept", "Moved", "No mail A", "No mail B"]
    assert keep.contacts.get(email="desk@acme.example") == kept_contact
    assert (record.moved["contacts"], record.dropped["contacts"]) == (2, 1)


def test_blank_facts_of_the_survivor_are_filled_and_notes_kept(policy_user):
    """Nothing typed about the duplicate is lost: empty fields are filled, notes appended."""
    keep = OrganisationFactory(country="", website="", transparency_register_id="123", notes="Main entry.")
    remove = OrganisationFactory(
        name="Dup", country="FR", website="https://dup.example", transparency_register_id="999", notes="Call first."
    )
    organisation_merge(keep=keep, remove=remove, merged_by=policy_user)
    keep.refresh_from_db()
    assert (keep.country.code, keep.website, keep.transparency_register_id) == ("FR", "https://dup.example", "123")
    assert keep.notes == "Main entry.\n\nFrom Dup (merged):\nCall first."


def test_merging_into_itself_is_refused():
    organisation = OrganisationFactory()
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        organisation_merge(keep=organisation, remove=organisation, merged_by=None)
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_merging_into_a_subsidiary_or_its_descendants_is_refused():
    """The kept organisation must not sit below the one removed: the tree would loop."""
    group = OrganisationFactory(name="Group")
    child = OrganisationFactory(name="Child", parent=group)
    grandchild = OrganisationFactory(name="Grandchild", parent=child)
    for keep in [child, grandchild]:
        with pytest.raises(ValidationError, match="is a subsidiary of Group"):
            organisation_merge(keep=keep, remove=group, merged_by=None)
    assert Organisation.objects.count() == 3


def test_a_subsidiary_may_be_merged_into_its_parent():
    """Removing a child into its parent hands the child's own subsidiaries to the parent."""
    group = OrganisationFactory(name="Group")
    child = OrganisationFactory(name="Child", parent=group)
    grandchild = OrganisationFactory(name="Grandchild", parent=child)
    organisation_merge(keep=group, remove=child, merged_by=None)
    grandchild.refresh_from_db()
    assert grandchild.parent == group


def test_a_merge_of_an_organisation_already_gone_is_refused():
    """Two people merging the same duplicate: the second is told, nothing breaks."""
    keep = OrganisationFactory()
    remove = OrganisationFactory()
    stale = Organisation.objects.get(pk=remove.pk)
    organisation_merge(keep=keep, remove=remove, merged_by=None)
    with pytest.raises(ValidationError, match="no longer exists"):
        organisation_merge(keep=keep, remove=stale, merged_by=None)
    assert OrganisationMerge.objects.count() == 1


def test_earlier_merges_follow_so_old_addresses_still_lead_somewhere(as_user, reviewer_user):
    """A merged into B, then B into C: A's old address leads to C."""
    a = OrganisationFactory(slug="a")
    b = OrganisationFactory(slug="b")
    c = OrganisationFactory(slug="c")
    organisation_merge(keep=b, remove=a, merged_by=None)
    organisation_merge(keep=c, remove=b, merged_by=None)
    assert c.merges.count() == 2
    client = as_user(reviewer_user)
    for old in ["a", "b"]:
        response = client.get(reverse("stakeholders:organisation-detail", args=[old]))
        assert response.status_code in (301, 302)
        assert response["Location"] == c.get_absolute_url()


def test_the_merge_moves_every_visible_relation_and_leaves_history_alone():
    """The relations are found generically; the history tables (hidden) are not among them."""
    keys = {link.key for link in organisation_links()}
    assert keys == {
        "aliases",
        "contacts",
        "invitations",
        "issued_consultations",
        "merges",
        "responses",
        "subsidiaries",
    }
    assert not any(link.model.__name__.startswith("Historical") for link in organisation_links())


def test_the_plan_counts_what_will_move_and_what_will_be_dropped():
    keep = OrganisationFactory(name="Keep")
    remove = OrganisationFactory(name="Remove", website="https://r.example")
    consultation = ConsultationFactory()
    InvitationFactory(consultation=consultation, organisation=keep)
    InvitationFactory(consultation=consultation, organisation=remove)
    InvitationFactory(organisation=remove)
    ResponseFactory.create_batch(3, organisation=remove)

    plan = organisation_merge_plan(keep=keep, remove=remove)

    assert sorted(plan.moves) == [("invitations", 1, 1), ("responses", 3, 0)]
    assert plan.new_aliases == ["Remove"]
    assert Organisation.objects.filter(pk=remove.pk).exists()  # a plan changes nothing
    assert Invitation.objects.filter(organisation=remove).count() == 2


def test_the_plan_names_a_relation_to_another_app_by_its_link():
    remove = OrganisationFactory()
    ConsultationFactory(issuer=remove)
    plan = organisation_merge_plan(keep=OrganisationFactory(), remove=remove)
    assert plan.moves == [("consultations (issuing body)", 1, 0)]


# --- The pages ---


def test_policy_staff_merge_a_duplicate_through_the_pages(as_user, policy_user):
    """Search, choose, see what moves, confirm: the duplicate is gone and its name is an alias."""
    keep = OrganisationFactory(name="Meta Platforms", slug="meta")
    OrganisationAliasFactory(organisation=keep, name="Meta")
    remove = OrganisationFactory(name="Facebook", slug="facebook")
    ResponseFactory.create_batch(2, organisation=remove)
    ContactFactory(organisation=remove)
    client = as_user(policy_user)

    choose = client.get(merge_url(remove), {"q": "meta"})
    assert choose.status_code == 200
    assert list(choose.context["candidates"]) == [keep]
    assert b"?keep=meta" in choose.content

    confirm = client.get(merge_url(remove), {"keep": "meta"})
    assert confirm.status_code == 200
    content = confirm.content.decode()
    assert "Merge Facebook into Meta Platforms?" in content
    assert '<td>Responses</td><td class="text-end">2</td>' in content
    assert '<td>Contacts</td><td class="text-end">1</td>' in content
    assert Organisation.objects.filter(pk=remove.pk).exists()  # looking changes nothing

    response = client.post(merge_url(remove), {"keep": "meta"}, follow=True)
    assert response.redirect_chain == [(keep.get_absolute_url(), 302)]
    assert not Organisation.objects.filter(pk=remove.pk).exists()
    content = response.content.decode()
    assert "Facebook was merged into Meta Platforms" in content
    assert "Merged from" in content
    assert "Moved: contacts (1), responses (2)" in content
    assert aliases_of(keep) == ["Facebook", "Meta"]


def test_the_old_address_of_a_merged_organisation_redirects(as_user, reviewer_user):
    keep = OrganisationFactory(slug="meta")
    remove = OrganisationFactory(slug="facebook")
    organisation_merge(keep=keep, remove=remove, merged_by=None)
    response = as_user(reviewer_user).get("/organisations/facebook/")
    assert response.status_code in (301, 302)
    assert response["Location"] == "/organisations/meta/"


def test_merge_search_is_live_with_htmx_and_never_offers_the_duplicate_itself(as_user, policy_user):
    remove = OrganisationFactory(name="Acme Ltd")
    other = OrganisationFactory(name="Acme Limited")
    response = as_user(policy_user).get(merge_url(remove), {"q": "acme"}, headers={"HX-Request": "true"})
    assert response.templates[0].name == "stakeholders/_merge_candidates.html"
    assert list(response.context["candidates"]) == [other]
    assert b"<html" not in response.content


def test_merge_candidates_are_found_by_alias(as_user, policy_user):
    remove = OrganisationFactory(name="FB")
    keep = OrganisationFactory(name="Meta Platforms")
    OrganisationAliasFactory(organisation=keep, name="Facebook")
    response = as_user(policy_user).get(merge_url(remove), {"q": "faceb"})
    assert list(response.context["candidates"]) == [keep]


def test_merging_into_itself_through_the_page_is_refused_with_a_message(as_user, policy_user):
    organisation = OrganisationFactory(slug="acme")
    response = as_user(policy_user).post(merge_url(organisation), {"keep": "acme"})
    assert response.status_code == 200
    assert "An organisation cannot be merged into itself." in response.content.decode()
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_merging_into_a_subsidiary_through_the_page_is_refused_with_a_message(as_user, admin_user):
    group = OrganisationFactory(name="Group")
    child = OrganisationFactory(name="Child", parent=group)
    for request in ["get", "post"]:
        response = getattr(as_user(admin_user), request)(merge_url(group), {"keep": child.slug})
        assert response.status_code == 200
        assert "Child is a subsidiary of Group" in response.content.decode()
    assert Organisation.objects.count() == 2


def test_an_unknown_organisation_to_keep_is_refused_with_a_message(as_user, policy_user):
    remove = OrganisationFactory()
    response = as_user(policy_user).get(merge_url(remove), {"keep": "nobody"})
    assert response.status_code == 200
    assert "Choose an organisation from the list." in response.content.decode()


def test_a_merge_that_lost_a_race_says_so(as_user, policy_user, monkeypatch):
    """When the service refuses at the last moment (someone else merged first), the user is told."""
    keep = OrganisationFactory()
    remove = OrganisationFactory()

    def refuse(**kwargs):
        raise ValidationError("One of the two organisations no longer exists (perhaps it was merged meanwhile).")

    monkeypatch.setattr("stakeholders.views.organisation_merge", refuse)
    response = as_user(policy_user).post(merge_url(remove), {"keep": keep.slug}, follow=True)
    assert response.redirect_chain == [(reverse("stakeholders:organisation-list"), 302)]
    assert "no longer exists" in response.content.decode()


@pytest.mark.parametrize("user_fixture", ["policy_user", "admin_user"])
def test_policy_staff_and_admins_reach_the_merge_pages(request, as_user, user_fixture):
    keep = OrganisationFactory()
    remove = OrganisationFactory()
    client = as_user(request.getfixturevalue(user_fixture))
    assert client.get(merge_url(remove)).status_code == 200
    assert client.get(merge_url(remove), {"keep": keep.slug}).status_code == 200
    assert client.post(merge_url(remove), {"keep": keep.slug}).status_code == 302
    assert not Organisation.objects.filter(pk=remove.pk).exists()


@pytest.mark.parametrize("user_fixture", ["reviewer_user", "outsider"])
def test_reviewers_and_outsiders_cannot_merge(request, as_user, user_fixture):
    """403 on the choose and confirm pages and on the POST; both organisations remain."""
    keep = OrganisationFactory()
    remove = OrganisationFactory()
    client = as_user(request.getfixturevalue(user_fixture))
    assert client.get(merge_url(remove)).status_code == 403
    assert client.get(merge_url(remove), {"keep": keep.slug}).status_code == 403
    assert client.post(merge_url(remove), {"keep": keep.slug}).status_code == 403
    assert Organisation.objects.count() == 2


def test_anonymous_visitor_is_sent_to_login_from_the_merge_page(client):
    keep = OrganisationFactory()
    remove = OrganisationFactory()
    response = client.get(merge_url(remove))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client.post(merge_url(remove), {"keep": keep.slug}).status_code == 302
    assert Organisation.objects.count() == 2


def test_merge_records_are_listed_in_the_admin(as_user, admin_user):
    """The merge log is visible to admins, and cannot be written by hand."""
    admin_user.is_superuser = True
    admin_user.save()
    keep = OrganisationFactory()
    organisation_merge(keep=keep, remove=OrganisationFactory(name="Old Dup"), merged_by=admin_user)
    client = as_user(admin_user)
    response = client.get(reverse("admin:stakeholders_organisationmerge_changelist"))
    assert response.status_code == 200
    assert b"Old Dup" in response.content
    assert client.get(reverse("admin:stakeholders_organisationmerge_add")).status_code == 403
