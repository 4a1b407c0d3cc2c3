"""Contacts at an organisation: add, edit, delete, one e-mail per organisation, opting out."""

import pytest
from django.urls import reverse

from stakeholders.forms import ContactForm
from stakeholders.models import Contact
from tests.factories import ContactFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def create_url(organisation) -> str:
    return reverse("stakeholders:contact-create", args=[organisation.slug])


def edit_url(contact: Contact) -> str:
    return reverse("stakeholders:contact-edit", args=[contact.pk])


def delete_url(contact: Contact) -> str:
    return reverse("stakeholders:contact-delete", args=[contact.pk])


def contact_data(**overrides) -> dict:
    data = {"name": "Ada Lovelace", "email": "ada@acme.example", "role": "Head of policy"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("user_fixture", ["policy_user", "admin_user"])
def test_policy_staff_and_admins_add_edit_and_delete_contacts(request, as_user, user_fixture):
    """The whole life of a contact, through the pages, for each editing role."""
    organisation = OrganisationFactory()
    client = as_user(request.getfixturevalue(user_fixture))
    assert client.get(create_url(organisation)).status_code == 200

    response = client.post(create_url(organisation), contact_data(opted_out="on"))
    assert response.status_code == 302
    assert response["Location"] == organisation.get_absolute_url()
    contact = Contact.objects.get(organisation=organisation)
    assert (contact.name, contact.email, contact.role, contact.opted_out) == (
        "Ada Lovelace",
        "ada@acme.example",
        "Head of policy",
        True,
    )

    assert client.get(edit_url(contact)).status_code == 200
    response = client.post(edit_url(contact), contact_data(name="Ada King", email=""))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.email, contact.opted_out) == ("Ada King", "", False)

    confirm = client.get(delete_url(contact))
    assert confirm.status_code == 200
    assert b"Delete this contact?" in confirm.content
    assert Contact.objects.filter(pk=contact.pk).exists()  # GET only asks
    response = client.post(delete_url(contact))
    assert response.status_code == 302
    assert response["Location"] == organisation.get_absolute_url()
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_reviewer_cannot_add_edit_or_delete_contacts(as_user, reviewer_user):
    """Read only: 403 on every contact form and on the POSTs, and nothing changes."""
    contact = ContactFactory(name="Unchanged")
    client = as_user(reviewer_user)
    for url in [create_url(contact.organisation), edit_url(contact), delete_url(contact)]:
        assert client.get(url).status_code == 403, url
        assert client.post(url, contact_data(name="Changed")).status_code == 403, url
    contact.refresh_from_db()
    assert contact.name == "Unchanged"
    assert Contact.objects.count() == 1


def test_outsider_is_refused_the_contact_pages(as_user, outsider):
    contact = ContactFactory()
    client = as_user(outsider)
    for url in [create_url(contact.organisation), edit_url(contact), delete_url(contact)]:
        assert client.get(url).status_code == 403, url
    assert client.post(delete_url(contact)).status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_anonymous_visitor_is_sent_to_login_from_the_contact_pages(client):
    contact = ContactFactory()
    for url in [create_url(contact.organisation), edit_url(contact), delete_url(contact)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))
    client.post(delete_url(contact))
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_unknown_contact_or_organisation_is_a_404(as_user, policy_user):
    client = as_user(policy_user)
    assert client.get(reverse("stakeholders:contact-edit", args=[999999])).status_code == 404
    assert client.post(reverse("stakeholders:contact-delete", args=[999999])).status_code == 404
    assert client.get(reverse("stakeholders:contact-create", args=["nobody"])).status_code == 404


def test_a_second_contact_with_the_same_email_is_refused_on_the_field(as_user, policy_user):
    """The same e-mail at the same organisation, in any case, is a field error, not a 500."""
    existing = ContactFactory(email="desk@acme.example")
    response = as_user(policy_user).post(
        create_url(existing.organisation), contact_data(name="Typed name", email="Desk@Acme.example")
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["This organisation already has a contact with that e-mail."]}
    assert 'value="Typed name"' in response.content.decode()
    assert Contact.objects.count() == 1


def test_editing_a_contact_into_a_colleagues_email_is_refused(as_user, policy_user):
    organisation = OrganisationFactory()
    ContactFactory(organisation=organisation, email="one@acme.example")
    other = ContactFactory(organisation=organisation, email="two@acme.example")
    response = as_user(policy_user).post(edit_url(other), contact_data(email="one@acme.example"))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    other.refresh_from_db()
    assert other.email == "two@acme.example"


def test_a_contact_keeps_its_own_email_when_edited(as_user, policy_user):
    contact = ContactFactory(email="desk@acme.example")
    response = as_user(policy_user).post(edit_url(contact), contact_data(email="desk@acme.example", name="New"))
    assert response.status_code == 302


def test_the_same_email_at_another_organisation_is_fine(as_user, policy_user):
    ContactFactory(email="desk@shared.example")
    organisation = OrganisationFactory()
    response = as_user(policy_user).post(create_url(organisation), contact_data(email="desk@shared.example"))
    assert response.status_code == 302


def test_several_contacts_without_email_are_fine(as_user, policy_user):
    organisation = OrganisationFactory()
    client = as_user(policy_user)
    for name in ["Reception", "Switchboard"]:
        assert client.post(create_url(organisation), contact_data(name=name, email="")).status_code == 302
    assert organisation.contacts.count() == 2


def test_a_duplicate_email_that_slips_past_the_form_check_is_still_a_field_error(as_user, policy_user, monkeypatch):
    """Two people saving at once: the database constraint catches it, and the page says why."""
    existing = ContactFactory(email="desk@acme.example")
    monkeypatch.setattr(ContactForm, "clean_email", lambda form: form.cleaned_data["email"])
    response = as_user(policy_user).post(create_url(existing.organisation), contact_data(email="desk@acme.example"))
    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["This organisation already has a contact with that e-mail."]}
    assert Contact.objects.count() == 1


def test_an_invalid_email_is_refused_on_the_field(as_user, policy_user):
    organisation = OrganisationFactory()
    response = as_user(policy_user).post(create_url(organisation), contact_data(email="not-an-address"))
    assert list(response.context["form"].errors) == ["email"]


def test_the_detail_page_marks_opted_out_contacts(as_user, reviewer_user):
    organisation = OrganisationFactory()
    ContactFactory(organisation=organisation, name="Quiet Person", opted_out=True)
    content = as_user(reviewer_user).get(organisation.get_absolute_url()).content.decode()
    assert "Quiet Person" in content
    assert "Opted out of e-mail" in content


def test_contact_names_are_escaped_on_the_confirm_page(as_user, policy_user):
    contact = ContactFactory(name="<i>Ital</i>")
    content = as_user(policy_user).get(delete_url(contact)).content
    assert b"<i>Ital</i>" not in content
    assert b"&lt;i&gt;Ital&lt;/i&gt;" in content
