"""Every URL the project defines, tried by every kind of user, against tests/permission_matrix.py.

A URL without an entry fails `test_every_url_has_an_entry` with the exact line to add; an entry
whose codes differ from what the page answers fails `test_urls_answer_as_the_matrix_says` for its area.

The world is made once for the module, and every URL is tried once by each kind of user with each method
(fixture `observations`, each request in a savepoint rolled back after it); the tests read what it saw.
"""

import re
import uuid
from http.cookies import SimpleCookie

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import permission_matrix as pm
from tests.factories import (
    AttachmentFactory,
    CommentFactory,
    ConsultationFactory,
    ContactFactory,
    DraftFactory,
    InvitationFactory,
    NotificationFactory,
    OrganisationAliasFactory,
    OrganisationFactory,
    PositionFactory,
    QuestionFactory,
    ResponseFactory,
    TagFactory,
    TopicFactory,
    UserFactory,
)

METHODS = ("GET", "POST")


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route
            else:
                yield route, route


FORMAT_SUFFIX = ".<format>"


def project_urls() -> dict[str, str]:
    """Matrix key (the namespaced URL name, or the route of an unnamed pattern) -> its route.

    DRF's format-suffix route (`organisations.json`) shares its name with the plain one: it is keyed
    by the name and FORMAT_SUFFIX, so that both are tried.
    """
    urls = {}
    for key, route in _walk(get_resolver().url_patterns):
        if key in urls and "(?P<format>" in route:
            key += FORMAT_SUFFIX
        assert key not in urls, f"two URL patterns are keyed {key!r}: {urls[key]!r} and {route!r}"
        urls[key] = route
    return urls


def _make_world() -> dict:
    """One of everything a URL can name, so that every URL can be built and answered."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from rest_framework.authtoken.models import Token

    from accounts.roles import Role
    from exports.models import ExportJob, ExportStatus
    from notifications.models import EmailMute
    from reminders.models import ReminderLog, ReminderPreference
    from reminders.services import unsubscribe_token
    from responses.models import Campaign, CampaignDetection, EventKind, Response, ResponseEvent, SavedSearch
    from responses.services import EVENT_RESPONSE_SUBMITTED
    from stakeholders.models import OrganisationMerge
    from webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

    # The users of tests/conftest.py, made once for the module.
    policy_user = UserFactory(username="policy", role=Role.POLICY_STAFF)
    reviewer_user = UserFactory(username="reviewer", role=Role.REVIEWER)
    admin_user = UserFactory(username="admin", role=Role.ADMIN, is_staff=True)
    outsider = UserFactory(username="outsider")

    organisation = OrganisationFactory(slug="acme")
    contact = ContactFactory(organisation=organisation)
    OrganisationAliasFactory(organisation=organisation)
    OrganisationMerge.objects.create(
        survivor=organisation, merged_name="Acme Old", merged_slug="acme-old", merged_by=admin_user
    )
    consultation = ConsultationFactory(slug="cop-framework")
    topic = TopicFactory(consultation=consultation)
    QuestionFactory(consultation=consultation)
    TagFactory()
    invitation = InvitationFactory(consultation=consultation, organisation=organisation)
    response = ResponseFactory(consultation=consultation, organisation=organisation)
    PositionFactory(response=response, topic=topic)
    draft = DraftFactory(consultation=consultation, owner=policy_user)
    comment = CommentFactory(response=draft, author=reviewer_user)
    ResponseEvent.objects.create(response=draft, actor=policy_user, kind=EventKind.CREATED, version=1)
    attachment = AttachmentFactory(response=response)
    notification = NotificationFactory(recipient=policy_user)
    EmailMute.objects.create(user=policy_user, kind="comment")
    job = ExportJob.objects.create(consultation=consultation, requested_by=admin_user, status=ExportStatus.DONE)
    job.file.save("pack.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18), save=True)
    # Sign-in security records (unconfirmed device: no one in the matrix owes a second factor).
    AccessAttempt.objects.create(
        username="someone", ip_address="192.0.2.1", failures_since_start=2, get_data="", post_data=""
    )
    AccessLog.objects.create(username="policy", ip_address="192.0.2.1")
    AccessFailureLog.objects.create(username="someone", ip_address="192.0.2.1")
    TOTPDevice.objects.create(user=reviewer_user, name="Phone", confirmed=False)
    preference, _created = ReminderPreference.objects.get_or_create(user=policy_user)
    calendar_token = preference.regenerate_calendar_token()
    reminder = ReminderLog.objects.create(
        consultation=consultation,
        recipient_key=f"user:{policy_user.pk}",
        user=policy_user,
        email=policy_user.email,
        offset=7,
        deadline=consultation.deadline,
        due_at=consultation.deadline,
        scan_id=uuid.uuid4(),
    )
    # Campaigns, searches, the API and webhooks.
    campaign = Campaign.objects.create(consultation=consultation, representative=response)
    Response.objects.filter(pk=response.pk).update(campaign=campaign)
    CampaignDetection.objects.create(consultation=consultation)
    saved_search = SavedSearch.objects.create(owner=policy_user, name="Energy", query="energy")
    Token.objects.create(user=admin_user)
    webhook = Webhook.objects.create(
        name="Intranet CRM",
        url="https://crm.example.org/hook",
        events=[EVENT_RESPONSE_SUBMITTED],
        secret="s3cret-for-the-matrix",
        created_by=admin_user,
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event=EVENT_RESPONSE_SUBMITTED,
        payload={"id": response.pk},
        status=DeliveryStatus.FAILED,
        attempts=5,
    )
    objects = {
        "organisation": organisation,
        "contact": contact,
        "consultation": consultation,
        "invitation": invitation,
        "response": response,
        "draft": draft,
        "comment": comment,
        "attachment": attachment,
        "notification": notification,
        "job": job,
        "user": policy_user,
        "campaign": campaign,
        "saved_search": saved_search,
        "webhook": webhook,
        "delivery": delivery,
        "topic": topic,
        "reminder": reminder,
        "question": consultation.questions.first(),
    }
    values = {
        "calendar_token": calendar_token,
        "unsubscribe_token": unsubscribe_token(contact),
        "import_token": "not-an-upload-of-this-session",
        "fmt": "csv",
        "format": "json",
        "number": 1,
        "app_label": "consultations",
        "url": "no-such-page/",
        "api_path": "no-such-endpoint/",
        "content_type_id": ContentType.objects.get_for_model(consultation).pk,
        "consultation_id": consultation.pk,
    }
    users = {
        pm.ANON: None,
        pm.OUTSIDER: outsider,
        pm.POLICY: policy_user,
        pm.REVIEWER: reviewer_user,
        pm.ADMIN: admin_user,
    }
    return {"users": users, "objects": objects, "values": values}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, made once for the module in a transaction rolled back at its end (its uploads in a
    temporary MEDIA_ROOT, kept for the walk that downloads them)."""
    media_root = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root), transaction.atomic():
        yield _make_world()
        transaction.set_rollback(True)


def _value(world: dict, source):
    """'response.pk' -> that attribute of a world object; 'fmt' -> a world value; anything else as is."""
    if isinstance(source, str) and "." in source:
        name, attribute = source.split(".", 1)
        return getattr(world["objects"][name], attribute)
    if isinstance(source, str) and source in world["values"]:
        return world["values"][source]
    return source


_ADMIN_OBJECT = re.compile(r"^admin:(?P<app_model>\w+?)_(?P<view>change|delete|history|simple_history)$")
_ADMIN_REDIRECT = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/<path:object_id>/$")


def _admin_instance(app_model: str):
    for model in apps.get_models():
        if f"{model._meta.app_label}_{model._meta.model_name}" == app_model:
            instance = model._default_manager.order_by("pk").first()
            assert instance is not None, f"the world fixture makes no {model.__name__} for admin:{app_model}_*"
            return instance
    raise LookupError(app_model)


def build_url(key: str, route: str, world: dict) -> str:
    """The address of the pattern `key`, its arguments taken from the world fixture."""
    arguments = {**pm.DEFAULT_ARGS, **pm.ARGS.get(key.removesuffix(FORMAT_SUFFIX), {})}
    if match := _ADMIN_REDIRECT.match(key):
        instance = _admin_instance(f"{match['app']}_{match['model']}")
        return f"/admin/{match['app']}/{match['model']}/{instance.pk}/"
    if key == "admin/(?P<url>.*)$":
        return "/admin/" + world["values"]["url"]
    if key in ("admin:password_change", "admin:password_change_done"):
        return reverse(key)
    if key == "admin:auth_user_password_change":
        return reverse(key, kwargs={"id": world["objects"]["user"].pk})
    if match := _ADMIN_OBJECT.match(key):
        instance = _admin_instance(match["app_model"])
        if match["view"] == "simple_history":
            record = instance.history.order_by("history_id").first()
            return reverse(key, args=[instance.pk, record.history_id])
        return reverse(key, kwargs={"object_id": instance.pk})
    if key == "admin:view_on_site":
        return reverse(
            key,
            kwargs={"content_type_id": _value(world, "content_type_id"), "object_id": _value(world, "consultation_id")},
        )
    if key == "api/^(?P<path>.*)$":
        return "/api/" + world["values"]["api_path"]
    names = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
    kwargs = {name: _value(world, arguments[name]) for pair in names for name in pair if name}
    return reverse(key.removesuffix(FORMAT_SUFFIX), kwargs=kwargs)


class Visitor:
    """One kind of user: a client signed in once, its cookies put back after every request."""

    def __init__(self, user) -> None:
        self.client = Client()
        if user is not None:
            self.client.force_login(user)
        self.cookies = {name: morsel.value for name, morsel in self.client.cookies.items()}

    def answer(self, url: str, method: str) -> int:
        """The status code of `method` on `url`; whatever the request changed is rolled back (a sign-out
        included: the session row comes back with the rollback, its cookie is put back here)."""
        with transaction.atomic():
            response = self.client.get(url) if method == "GET" else self.client.post(url, {})
            transaction.set_rollback(True)
        self.client.cookies = SimpleCookie(self.cookies)
        return response.status_code


def observe(visitors: dict, url: str) -> dict[str, dict[str, int]]:
    return {method: {role: visitors[role].answer(url, method) for role in pm.ROLES} for method in METHODS}


@pytest.fixture(scope="module")
def observations(world, django_db_blocker):
    """Every URL the project defines, built and tried once by each kind of user with each method:
    key -> (its address, the codes it answered), or (None, why it cannot be built)."""
    results = {}
    with django_db_blocker.unblock():
        visitors = {role: Visitor(user) for role, user in world["users"].items()}
        for key, route in project_urls().items():
            try:
                url = build_url(key, route, world)
            except Exception as exc:
                results[key] = (None, f"route {route!r}: cannot build it ({exc!r})")
                continue
            cache.clear()  # as for a test of its own: no throttle count or cached aggregate carried over
            results[key] = (url, observe(visitors, url))
    return results


def missing_entries(observations: dict) -> list[str]:
    """The matrix lines to add, one per URL without an entry, with the codes each user gets today."""
    lines = []
    for key, (url, got) in observations.items():
        if key in pm.MATRIX:
            continue
        if url is None:
            lines.append(f'    "{key}": ...,  # {got}: add a line to ARGS, or make the object in the world fixture')
            continue
        lines.append(f'    "{key}": {pm.entry_source(got)},')
    return lines


@pytest.mark.django_db  # the database the module-wide world lives in
def test_every_url_has_an_entry(observations):
    """A URL added without a line in tests/permission_matrix.py fails here, naming the line to add."""
    lines = missing_entries(observations)
    assert not lines, (
        f"{len(lines)} URL(s) have no entry in tests/permission_matrix.py MATRIX. Add these lines, after checking "
        "that each code is what anonymous visitors, signed-in users without a role, policy staff, reviewers and "
        "admins SHOULD get (they are what the page answers today), and add a line to ARGS where a URL argument is "
        "not the default (see DEFAULT_ARGS):\n" + "\n".join(lines)
    )


@pytest.mark.django_db  # the database the module-wide world lives in
def test_a_url_without_an_entry_is_named_with_the_line_to_add(observations, monkeypatch):
    """Take the home page and the calendar feed out of the matrix: both are reported, ready to paste back."""
    matrix = {key: entry for key, entry in pm.MATRIX.items() if key not in {"home", "reminders:calendar-feed"}}
    monkeypatch.setattr(pm, "MATRIX", matrix)
    assert missing_entries(observations) == [
        '    "home": {"GET": TEAM, "POST": WRONG_METHOD},',
        '    "reminders:calendar-feed": {"GET": codes(anon=200, outsider=200, policy=200, reviewer=200, admin=200), '
        '"POST": codes(anon=405, outsider=405, policy=405, reviewer=405, admin=405)},',
    ]


def test_every_entry_names_a_url():
    """No entry outlives its URL."""
    stale = sorted(set(pm.MATRIX) - set(project_urls()))
    assert not stale, f"tests/permission_matrix.py has entries for URLs that no longer exist: {stale}"


def _area(key: str) -> str:
    """The part of the product a URL belongs to: its first namespace, or its first path segment."""
    return key.split("/", 1)[0] if "/" in key else key.split(":", 1)[0]


AREAS = sorted({_area(key) for key in pm.MATRIX})


@pytest.mark.parametrize("area", AREAS)
@pytest.mark.django_db  # the database the module-wide world lives in
def test_urls_answer_as_the_matrix_says(observations, area):
    """Each kind of user gets, for each method on each URL of this area, the status the matrix declares."""
    wrong = []
    for key in sorted(key for key in pm.MATRIX if _area(key) == area and key in observations and key not in pm.BUGS):
        url, got = observations[key]
        expected = {method: pm.MATRIX[key][method] for method in METHODS}
        if url is None:
            wrong.append(f"{key}: {got}: add a line to ARGS, or make the object in the world fixture")
        elif got != expected:
            wrong.append(
                f'{key} ({url}):\n  declared: "{key}": {pm.entry_source(expected)},'
                f'\n  answered: "{key}": {pm.entry_source(got)},'
            )
    assert not wrong, "URLs answering differently from tests/permission_matrix.py:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    "key", [pytest.param(key, marks=pytest.mark.xfail(strict=True, reason=why)) for key, why in pm.BUGS.items()]
)
@pytest.mark.django_db  # the database the module-wide world lives in
def test_known_bugs_still_answer_wrongly(observations, key):
    """A URL listed in BUGS answers as MATRIX declares once the product is fixed: this then passes, which a
    strict xfail reports as a failure, and its line in BUGS must go."""
    url, got = observations[key]
    assert url is not None, got
    assert got == {method: pm.MATRIX[key][method] for method in METHODS}


def test_known_bugs_have_entries():
    """Each known bug names an entry of the matrix, holding the codes the product should answer."""
    assert set(pm.BUGS) <= set(pm.MATRIX)


def test_anonymous_visitors_reach_only_the_public_pages():
    """Anonymous GETs answer 200 only where the matrix marks the page public."""
    public = {key for key, entry in pm.MATRIX.items() if entry["GET"][pm.ANON] == 200}
    assert public <= pm.PUBLIC, f"pages open to anonymous visitors but not listed in PUBLIC: {public - pm.PUBLIC}"
