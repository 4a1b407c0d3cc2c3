"""Organisation pages: the searchable list, the detail page with its timeline, create and edit."""

import contextlib
import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from responses.models import ResponseStatus, Stance
from stakeholders.models import Organisation, OrganisationKind
from tests.factories import (
    ConsultationFactory,
    ContactFactory,
    OrganisationAliasFactory,
    OrganisationFactory,
    PositionFactory,
    ResponseFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("stakeholders:organisation-list")
CREATE_URL = reverse("stakeholders:organisation-create")
READERS = ["policy_user", "reviewer_user", "admin_user"]
EDITORS = ["policy_user", "admin_user"]


def detail_url(organisation: Organisation) -> str:
    return reverse("stakeholders:organisation-detail", args=[organisation.slug])


def edit_url(organisation: Organisation) -> str:
    return reverse("stakeholders:organisation-edit", args=[organisation.slug])


def names_in(response) -> list[str]:
    return [organisation.name for organisation in response.context["organisations"]]


def form_data(**overrides) -> dict:
    data = {
        "name": "Acme",
        "slug": "",
        "kind": OrganisationKind.COMPANY,
        "country": "FR",
        "website": "https://acme.example",
        "transparency_register_id": "",
        "parent": "",
        "aliases": "",
        "notes": "",
    }
    data.update(overrides)
    return data


# --- Who may see what ---


@pytest.mark.parametrize("user_fixture", READERS)
def test_every_role_sees_the_list_and_the_detail_page(request, as_user, user_fixture):
    """Policy staff, reviewers and admins all read organisations."""
    organisation = OrganisationFactory(name="Acme")
    client = as_user(request.getfixturevalue(user_fixture))
    assert client.get(LIST_URL).status_code == 200
    response = client.get(detail_url(organisation))
    assert response.status_code == 200
    assert b"Acme" in response.content


@pytest.mark.parametrize("user_fixture", EDITORS)
def test_policy_staff_and_admins_reach_create_and_edit(request, as_user, user_fixture):
    """Editors open both forms."""
    organisation = OrganisationFactory()
    client = as_user(request.getfixturevalue(user_fixture))
    assert client.get(CREATE_URL).status_code == 200
    assert client.get(edit_url(organisation)).status_code == 200


def test_reviewer_is_refused_create_and_edit(as_user, reviewer_user):
    """A reviewer reads only: the forms answer 403 to GET and POST and nothing changes."""
    organisation = OrganisationFactory(name="Acme")
    client = as_user(reviewer_user)
    assert client.get(CREATE_URL).status_code == 403
    assert client.post(CREATE_URL, form_data(name="Intruder")).status_code == 403
    assert client.get(edit_url(organisation)).status_code == 403
    assert client.post(edit_url(organisation), form_data(name="Renamed")).status_code == 403
    assert not Organisation.objects.filter(name__in=["Intruder", "Renamed"]).exists()


def test_reviewer_sees_no_edit_buttons(as_user, reviewer_user):
    """The list and the detail page hide what a reviewer may not do."""
    organisation = OrganisationFactory()
    ContactFactory(organisation=organisation)
    client = as_user(reviewer_user)
    assert CREATE_URL.encode() not in client.get(LIST_URL).content
    content = client.get(detail_url(organisation)).content
    assert edit_url(organisation).encode() not in content
    assert reverse("stakeholders:organisation-merge", args=[organisation.slug]).encode() not in content
    assert reverse("stakeholders:contact-create", args=[organisation.slug]).encode() not in content
    assert b"/contacts/" not in content


def test_policy_staff_see_the_edit_buttons(as_user, policy_user):
    organisation = OrganisationFactory()
    content = as_user(policy_user).get(detail_url(organisation)).content
    assert edit_url(organisation).encode() in content
    assert reverse("stakeholders:organisation-merge", args=[organisation.slug]).encode() in content
    assert reverse("stakeholders:contact-create", args=[organisation.slug]).encode() in content


def test_outsider_is_refused_every_organisation_page(as_user, outsider):
    """Signed in without a role: 403 everywhere."""
    organisation = OrganisationFactory()
    client = as_user(outsider)
    for url in [LIST_URL, detail_url(organisation), CREATE_URL, edit_url(organisation)]:
        assert client.get(url).status_code == 403, url
    assert client.post(CREATE_URL, form_data()).status_code == 403


def test_anonymous_visitor_is_sent_to_login_from_every_organisation_page(client):
    organisation = OrganisationFactory()
    for url in [LIST_URL, detail_url(organisation), CREATE_URL, edit_url(organisation)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))


def test_unknown_organisation_is_a_404(as_user, policy_user):
    client = as_user(policy_user)
    assert client.get(reverse("stakeholders:organisation-detail", args=["nobody"])).status_code == 404
    assert client.get(reverse("stakeholders:organisation-edit", args=["nobody"])).status_code == 404


# --- The list ---


def test_search_finds_an_organisation_by_name_or_by_alias(as_user, reviewer_user):
    """Typing part of an alias finds the organisation, once, even when two aliases match."""
    meta = OrganisationFactory(name="Meta Platforms")
    OrganisationAliasFactory(organisation=meta, name="Facebook")
    OrganisationAliasFactory(organisation=meta, name="Facebook Inc.")
    OrganisationFactory(name="Google")
    client = as_user(reviewer_user)
    assert names_in(client.get(LIST_URL, {"q": "faceb"})) == ["Meta Platforms"]
    assert names_in(client.get(LIST_URL, {"q": "PLATF"})) == ["Meta Platforms"]
    assert names_in(client.get(LIST_URL, {"q": "goo"})) == ["Google"]
    assert names_in(client.get(LIST_URL, {"q": "nothing like it"})) == []


def test_list_filters_by_kind_and_country(as_user, reviewer_user):
    OrganisationFactory(name="French NGO", kind=OrganisationKind.NGO, country="FR")
    OrganisationFactory(name="French firm", kind=OrganisationKind.COMPANY, country="FR")
    OrganisationFactory(name="British NGO", kind=OrganisationKind.NGO, country="GB")
    client = as_user(reviewer_user)
    assert names_in(client.get(LIST_URL, {"kind": "ngo"})) == ["British NGO", "French NGO"]
    assert names_in(client.get(LIST_URL, {"country": "FR"})) == ["French firm", "French NGO"]
    assert names_in(client.get(LIST_URL, {"kind": "ngo", "country": "FR"})) == ["French NGO"]


def test_country_filter_offers_only_countries_in_use(as_user, reviewer_user):
    OrganisationFactory(country="FR")
    OrganisationFactory(country="")
    content = as_user(reviewer_user).get(LIST_URL).content.decode()
    assert '<option value="FR">France</option>' in content
    assert '<option value="DE">' not in content


def test_list_sorts_by_name_kind_country_and_number_of_responses(as_user, reviewer_user):
    """Each column sorts both ways; responses are counted per organisation."""
    busy = OrganisationFactory(name="Busy", kind=OrganisationKind.NGO, country="DE")
    quiet = OrganisationFactory(name="Quiet", kind=OrganisationKind.ACADEMIA, country="US")
    middling = OrganisationFactory(name="Middling", kind=OrganisationKind.COMPANY, country="AT")
    consultation = ConsultationFactory(issuer=quiet)  # no organisation beyond these three
    ResponseFactory.create_batch(3, organisation=busy, consultation=consultation)
    ResponseFactory(organisation=middling, consultation=consultation)
    client = as_user(reviewer_user)
    assert names_in(client.get(LIST_URL)) == ["Busy", "Middling", "Quiet"]
    assert names_in(client.get(LIST_URL, {"sort": "-name"})) == ["Quiet", "Middling", "Busy"]
    assert names_in(client.get(LIST_URL, {"sort": "kind"})) == ["Quiet", "Middling", "Busy"]
    assert names_in(client.get(LIST_URL, {"sort": "country"})) == ["Middling", "Busy", "Quiet"]
    response = client.get(LIST_URL, {"sort": "-responses"})
    assert names_in(response) == ["Busy", "Middling", "Quiet"]
    assert [o.response_count for o in response.context["organisations"]] == [3, 1, 0]
    assert names_in(client.get(LIST_URL, {"sort": "responses"})) == [quiet.name, "Middling", "Busy"]


def test_unknown_sort_falls_back_to_name(as_user, reviewer_user):
    OrganisationFactory(name="B")
    OrganisationFactory(name="A")
    response = as_user(reviewer_user).get(LIST_URL, {"sort": "password"})
    assert response.status_code == 200
    assert names_in(response) == ["A", "B"]


def test_column_headings_link_to_the_reverse_order_and_keep_the_filters(as_user, reviewer_user):
    OrganisationFactory(kind=OrganisationKind.NGO)
    content = as_user(reviewer_user).get(LIST_URL, {"kind": "ngo", "sort": "name", "page": "1"}).content.decode()
    assert 'href="?kind=ngo&amp;sort=-name"' in content
    assert 'href="?kind=ngo&amp;sort=-responses"' in content
    assert 'aria-sort="ascending"' in content


def test_list_shows_25_per_page(as_user, reviewer_user):
    for number in range(30):
        OrganisationFactory(name=f"Org {number:02d}")
    client = as_user(reviewer_user)
    first = client.get(LIST_URL)
    assert len(first.context["organisations"]) == 25
    assert b"Page 1 of 2" in first.content
    second = client.get(LIST_URL, {"page": 2})
    assert names_in(second) == [f"Org {number:02d}" for number in range(25, 30)]


def test_htmx_search_returns_only_the_table_fragment(as_user, reviewer_user):
    """Live search swaps the table: no page around it, and caches are told the answer varies."""
    OrganisationFactory(name="Acme")
    response = as_user(reviewer_user).get(LIST_URL, {"q": "acm"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.templates[0].name == "stakeholders/_organisation_table.html"
    assert b"<html" not in response.content
    assert b"Acme" in response.content
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(as_user, reviewer_user):
    response = as_user(reviewer_user).get(
        LIST_URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert b"<html" in response.content


def test_search_box_asks_htmx_for_the_table_and_pushes_the_url(as_user, reviewer_user):
    content = as_user(reviewer_user).get(LIST_URL).content.decode()
    assert 'data-hx-target="#organisation-table"' in content
    assert 'data-hx-push-url="true"' in content
    assert 'id="organisation-table"' in content


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL, {"sort": "-responses"})
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_the_rows(as_user, reviewer_user):
    """One row or twenty, with aliases, parents and responses: the same number of queries."""
    client = as_user(reviewer_user)
    parent = OrganisationFactory()
    OrganisationAliasFactory(organisation=parent)
    ResponseFactory(organisation=parent)
    one = _list_queries(client)
    for _ in range(20):
        organisation = OrganisationFactory(parent=parent)
        OrganisationAliasFactory(organisation=organisation)
        ResponseFactory(organisation=organisation)
    assert _list_queries(client) == one


def test_list_escapes_names(as_user, reviewer_user):
    OrganisationFactory(name="<b>Bold</b>")
    content = as_user(reviewer_user).get(LIST_URL).content
    assert b"<b>Bold</b>" not in content
    assert b"&lt;b&gt;Bold&lt;/b&gt;" in content


def test_organisation_pages_carry_no_inline_script(as_user, policy_user):
    """Scripts come from files only (a strict Content-Security-Policy is planned)."""
    organisation = OrganisationFactory()
    client = as_user(policy_user)
    for url in [LIST_URL, detail_url(organisation), CREATE_URL, edit_url(organisation)]:
        content = client.get(url).content
        assert all(b"src=" in tag for tag in re.findall(rb"<script\b[^>]*>", content)), url
        assert not re.search(rb"\son[a-z]+=", content), url


# --- The detail page ---


def test_detail_shows_facts_parent_subsidiaries_aliases_and_contacts(as_user, reviewer_user):
    parent = OrganisationFactory(name="Alphabet")
    google = OrganisationFactory(
        name="Google",
        parent=parent,
        website="https://about.google",
        transparency_register_id="03181945560-59",
        notes="Answers by letter.",
    )
    OrganisationFactory(name="YouTube", parent=google)
    OrganisationAliasFactory(organisation=google, name="Google LLC")
    ContactFactory(organisation=google, name="Policy Desk", email="desk@google.example", role="Policy lead")
    ContactFactory(organisation=google, name="Old Friend", opted_out=True)
    content = as_user(reviewer_user).get(detail_url(google)).content.decode()
    for text in [
        "Alphabet",
        "YouTube",
        "Google LLC",
        "https://about.google",
        "03181945560-59",
        "Answers by letter.",
        "Policy Desk",
        "desk@google.example",
        "Policy lead",
        "United Kingdom",
    ]:
        assert text in content, text
    assert content.count("Opted out of e-mail") == 1


def test_detail_does_not_link_a_website_that_is_not_http(as_user, reviewer_user):
    """A value that slipped in unchecked (an import, the shell) is shown, never made a link."""
    organisation = OrganisationFactory(website="javascript:alert(1)")
    content = as_user(reviewer_user).get(detail_url(organisation)).content.decode()
    assert 'href="javascript:' not in content


def test_timeline_lists_every_response_newest_first_with_its_positions(as_user, reviewer_user):
    """Each response: consultation title and status, channel, date, summary and coded positions."""
    organisation = OrganisationFactory()
    old = ResponseFactory(
        organisation=organisation,
        consultation=ConsultationFactory(title="Older consultation"),
        received_on=datetime.date(2016, 1, 29),
        summary="Backs coordination.",
    )
    topic = TopicFactory(consultation=old.consultation, name="Coordination")
    PositionFactory(response=old, topic=topic, stance=Stance.STRONGLY_OPPOSES)
    ResponseFactory(
        organisation=organisation,
        consultation=ConsultationFactory(title="Newer consultation"),
        status=ResponseStatus.SUBMITTED,
        received_on=None,
        submitted_at=datetime.datetime(2024, 3, 1, 12, tzinfo=datetime.UTC),
    )
    ResponseFactory(consultation=ConsultationFactory(title="Someone else's"))

    response = as_user(reviewer_user).get(detail_url(organisation))
    content = response.content.decode()
    assert content.index("Newer consultation") < content.index("Older consultation")
    assert "Someone else&#x27;s" not in content
    assert "Received 29 Jan 2016" in content
    assert "Submitted 1 Mar 2024" in content
    assert "Backs coordination." in content
    assert "by E-mail" in content
    assert "Consultation Open" in content
    assert '<span class="stance stance-strongly_opposes">Strongly opposes</span>' in content
    assert "Coordination" in content


def test_detail_query_count_does_not_grow_with_the_timeline(as_user, reviewer_user):
    organisation = OrganisationFactory()
    client = as_user(reviewer_user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(detail_url(organisation)).status_code == 200
        return len(captured)

    PositionFactory(response=ResponseFactory(organisation=organisation))
    ContactFactory(organisation=organisation)
    one = queries()
    for _ in range(5):
        response = ResponseFactory(organisation=organisation)
        PositionFactory.create_batch(2, response=response)
        ContactFactory(organisation=organisation)
        OrganisationFactory(parent=organisation)
    assert queries() == one


# --- Create and edit ---


def test_policy_staff_create_an_organisation_with_aliases(as_user, policy_user):
    """The slug comes from the name; aliases are saved one per line, blanks and repeats dropped."""
    parent = OrganisationFactory(name="Acme Group")
    response = as_user(policy_user).post(
        CREATE_URL,
        form_data(name="Acme Europe", parent=parent.pk, aliases="ACME EU\n\n  Acme   Europa \nacme eu\nAcme Europe"),
    )
    organisation = Organisation.objects.get(name="Acme Europe")
    assert response.status_code == 302
    assert response["Location"] == detail_url(organisation)
    assert organisation.slug == "acme-europe"
    assert organisation.parent == parent
    assert sorted(organisation.aliases.values_list("name", flat=True)) == ["ACME EU", "Acme Europa"]


def test_generated_slugs_are_unique(as_user, admin_user):
    """Acme, then acme-2, acme-3: and never the slug of an organisation merged away, nor a page name."""
    from stakeholders.models import OrganisationMerge

    survivor = OrganisationFactory(slug="acme-corp")
    OrganisationMerge.objects.create(survivor=survivor, merged_name="Acme", merged_slug="acme-2")
    client = as_user(admin_user)
    for _ in range(2):
        assert client.post(CREATE_URL, form_data(name="Acme")).status_code == 302
    assert list(Organisation.objects.filter(name="Acme").order_by("pk").values_list("slug", flat=True)) == [
        "acme",
        "acme-3",
    ]
    assert client.post(CREATE_URL, form_data(name="New")).status_code == 302
    assert Organisation.objects.get(name="New").slug == "new-2"


def test_slug_from_a_name_without_latin_letters_is_still_made(as_user, policy_user):
    as_user(policy_user).post(CREATE_URL, form_data(name="中国信通院"))
    assert Organisation.objects.get(name="中国信通院").slug == "organisation"


def test_a_typed_slug_is_kept_and_checked(as_user, policy_user):
    OrganisationFactory(slug="taken")
    client = as_user(policy_user)
    response = client.post(CREATE_URL, form_data(slug="taken"))
    assert response.status_code == 200
    assert "slug" in response.context["form"].errors
    response = client.post(CREATE_URL, form_data(slug="import"))
    assert "is the name of a page" in response.context["form"].errors["slug"][0]
    assert client.post(CREATE_URL, form_data(slug="acme-sa")).status_code == 302
    assert Organisation.objects.filter(slug="acme-sa", name="Acme").exists()


def test_a_slug_merged_away_cannot_be_typed_again(as_user, policy_user):
    from stakeholders.models import OrganisationMerge

    OrganisationMerge.objects.create(
        survivor=OrganisationFactory(name="Meta"), merged_name="Facebook", merged_slug="fb"
    )
    response = as_user(policy_user).post(CREATE_URL, form_data(slug="fb"))
    assert "merged into Meta" in response.context["form"].errors["slug"][0]


def test_bad_input_keeps_what_was_typed_and_names_the_field(as_user, policy_user):
    """A bad website is refused on its field; the other values come back as typed."""
    response = as_user(policy_user).post(
        CREATE_URL, form_data(name="Typed Name", website="not a url", aliases="First alias\nSecond alias")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["website"]
    content = response.content.decode()
    assert 'value="Typed Name"' in content
    assert 'value="not a url"' in content
    assert "First alias\nSecond alias" in content
    assert not Organisation.objects.filter(name="Typed Name").exists()


def test_name_is_required(as_user, policy_user):
    response = as_user(policy_user).post(CREATE_URL, form_data(name=""))
    assert response.status_code == 200
    assert "name" in response.context["form"].errors


def test_an_alias_longer_than_allowed_is_refused_on_the_field(as_user, policy_user):
    response = as_user(policy_user).post(CREATE_URL, form_data(aliases="x" * 300))
    assert "at most 255 characters" in response.context["form"].errors["aliases"][0]


def test_edit_saves_changes_and_replaces_the_aliases(as_user, policy_user):
    """Aliases removed from the box are deleted, new ones added, a retyped one keeps its row."""
    organisation = OrganisationFactory(name="Acme", slug="acme")
    retyped = OrganisationAliasFactory(organisation=organisation, name="Acme Europa")
    OrganisationAliasFactory(organisation=organisation, name="Gone")
    client = as_user(policy_user)
    page = client.get(edit_url(organisation)).content.decode()
    assert "Acme Europa\nGone" in page  # the current aliases, one per line

    response = client.post(
        edit_url(organisation),
        form_data(name="Acme SA", slug="acme", kind="ngo", aliases="ACME EUROPA\nAcme Société\nacme sa"),
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert (organisation.name, organisation.slug, organisation.kind) == ("Acme SA", "acme", "ngo")
    # "acme sa" is the new name itself, so it is not kept as an alias.
    assert sorted(organisation.aliases.values_list("name", flat=True)) == ["ACME EUROPA", "Acme Société"]
    assert organisation.aliases.get(pk=retyped.pk).name == "ACME EUROPA"


def test_edit_with_blank_slug_keeps_a_slug_made_from_the_name(as_user, policy_user):
    organisation = OrganisationFactory(name="Acme", slug="acme")
    as_user(policy_user).post(edit_url(organisation), form_data(name="Acme"))
    organisation.refresh_from_db()
    assert organisation.slug == "acme"


def test_an_organisation_cannot_be_its_own_parent(as_user, policy_user):
    organisation = OrganisationFactory(name="Acme")
    response = as_user(policy_user).post(edit_url(organisation), form_data(name="Acme", parent=organisation.pk))
    assert response.status_code == 200
    assert response.context["form"].errors["parent"] == ["An organisation cannot be its own parent."]


def test_a_descendant_cannot_become_the_parent(as_user, policy_user):
    """Choosing a subsidiary's subsidiary as parent would make a loop: refused on the field."""
    group = OrganisationFactory(name="Group")
    child = OrganisationFactory(name="Child", parent=group)
    grandchild = OrganisationFactory(name="Grandchild", parent=child)
    response = as_user(policy_user).post(edit_url(group), form_data(name="Group", parent=grandchild.pk))
    assert response.status_code == 200
    assert response.context["form"].errors["parent"] == [
        "Grandchild is a subsidiary of this organisation, so it cannot also be its parent."
    ]
    group.refresh_from_db()
    assert group.parent is None


def test_refused_edit_keeps_the_stored_name_in_the_heading(as_user, policy_user):
    organisation = OrganisationFactory(name="Acme")
    response = as_user(policy_user).post(edit_url(organisation), form_data(name="", website="bad"))
    assert "Edit Acme" in response.content.decode()


def test_timeline_dates_are_newest_first_across_received_and_started_responses(as_user, reviewer_user):
    """A draft without dates is placed by the day it was started."""
    organisation = OrganisationFactory()
    ResponseFactory(
        organisation=organisation,
        consultation=ConsultationFactory(title="Long ago"),
        received_on=timezone.localdate() - datetime.timedelta(days=400),
    )
    ResponseFactory(
        organisation=organisation,
        consultation=ConsultationFactory(title="Draft today"),
        status=ResponseStatus.DRAFT,
        received_on=None,
    )
    content = as_user(reviewer_user).get(detail_url(organisation)).content.decode()
    assert content.index("Draft today") < content.index("Long ago")
    assert "Started " in content


def test_page_names_under_organisations_are_never_taken_for_slugs():
    """/organisations/new/ and /organisations/import/... are pages whatever order the routes come in."""
    from django.urls import NoReverseMatch, Resolver404, resolve

    assert resolve("/organisations/new/").url_name == "organisation-create"
    assert resolve("/organisations/newcomers/").url_name == "organisation-detail"
    for path in ["/organisations/import/", "/organisations/contacts/"]:
        # No route at all is as good: the name is not read as a slug.
        with contextlib.suppress(Resolver404):
            assert resolve(path).url_name != "organisation-detail", path
    with pytest.raises(NoReverseMatch):
        reverse("stakeholders:organisation-detail", args=["new"])
