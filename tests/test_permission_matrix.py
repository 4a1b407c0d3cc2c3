"""Every URL the project defines, tried by every kind of user, against tests/permission_matrix.py.

A URL without an entry fails `test_every_url_has_an_entry` with the exact line to add; an entry
whose codes differ from what the page answers fails `test_urls_answer_as_the_matrix_says` for its area.
"""

import re
import uuid

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
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


def project_urls() -> dict[str, str]:
    """Matrix key (the namespaced URL name, or the route of an unnamed pattern) -> its route."""
    return dict(_walk(get_resolver().url_patterns))


@pytest.fixture
def world(settings, tmp_path, policy_user, reviewer_user, admin_user, outsider):
    """One of everything a URL can name, so that every URL can be built and answered."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from exports.models import ExportJob, ExportStatus
    from notifications.models import EmailMute
    from reminders.models import ReminderLog, ReminderPreference
    from reminders.services import unsubscribe_token
    from stakeholders.models import OrganisationMerge

    settings.MEDIA_ROOT = tmp_path / "media"
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
    ReminderLog.objects.create(
        consultation=consultation,
        recipient_key=f"user:{policy_user.pk}",
        user=policy_user,
        email=policy_user.email,
        offset=7,
        deadline=consultation.deadline,
        due_at=consultation.deadline,
        scan_id=uuid.uuid4(),
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
    }
    values = {
        "calendar_token": calendar_token,
        "unsubscribe_token": unsubscribe_token(contact),
        "import_token": "not-an-upload-of-this-session",
        "fmt": "csv",
        "number": 1,
        "app_label": "consultations",
        "url": "no-such-page/",
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
    arguments = {**pm.DEFAULT_ARGS, **pm.ARGS.get(key, {})}
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
    names = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
    kwargs = {name: _value(world, arguments[name]) for pair in names for name in pair if name}
    return reverse(key, kwargs=kwargs)


def answer(world: dict, url: str, method: str, role: str) -> int:
    """The status code `role` gets for `method` on `url`; whatever the request changed is rolled back."""
    with transaction.atomic():
        client = Client()
        user = world["users"][role]
        if user is not None:
            client.force_login(user)
        response = client.get(url) if method == "GET" else client.post(url, {})
        transaction.set_rollback(True)
    return response.status_code


def observed(world: dict, url: str) -> dict[str, dict[str, int]]:
    return {method: {role: answer(world, url, method, role) for role in pm.ROLES} for method in METHODS}


def missing_entries(world: dict) -> list[str]:
    """The matrix lines to add, one per URL without an entry, with the codes each user gets today."""
    lines = []
    for key, route in project_urls().items():
        if key in pm.MATRIX:
            continue
        try:
            url = build_url(key, route, world)
        except Exception as exc:
            lines.append(
                f'    "{key}": ...,  # route {route!r}: cannot build it ({exc!r}): add a line to ARGS, or make the object in the world fixture'
            )
            continue
        lines.append(f'    "{key}": {pm.entry_source(observed(world, url))},')
    return lines


@pytest.mark.django_db
def test_every_url_has_an_entry(world):
    """A URL added without a line in tests/permission_matrix.py fails here, naming the line to add."""
    lines = missing_entries(world)
    assert not lines, (
        f"{len(lines)} URL(s) have no entry in tests/permission_matrix.py MATRIX. Add these lines, after checking "
        "that each code is what anonymous visitors, signed-in users without a role, policy staff, reviewers and "
        "admins SHOULD get (they are what the page answers today), and add a line to ARGS where a URL argument is "
        "not the default (see DEFAULT_ARGS):\n" + "\n".join(lines)
    )


@pytest.mark.django_db
def test_a_url_without_an_entry_is_named_with_the_line_to_add(world, monkeypatch):
    """Take the home page and the calendar feed out of the matrix: both are reported, ready to paste back."""
    matrix = {key: entry for key, entry in pm.MATRIX.items() if key not in {"home", "reminders:calendar-feed"}}
    monkeypatch.setattr(pm, "MATRIX", matrix)
    assert missing_entries(world) == [
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
@pytest.mark.django_db
def test_urls_answer_as_the_matrix_says(world, area):
    """Each kind of user gets, for each method on each URL of this area, the status the matrix declares."""
    routes = project_urls()
    wrong = []
    for key in sorted(key for key in pm.MATRIX if _area(key) == area and key in routes):
        url = build_url(key, routes[key], world)
        expected = {method: pm.MATRIX[key][method] for method in METHODS}
        got = observed(world, url)
        if got != expected:
            wrong.append(
                f'{key} ({url}):\n  declared: "{key}": {pm.entry_source(expected)},'
                f'\n  answered: "{key}": {pm.entry_source(got)},'
            )
    assert not wrong, "URLs answering differently from tests/permission_matrix.py:\n" + "\n".join(wrong)


def test_anonymous_visitors_reach_only_the_public_pages():
    """Anonymous GETs answer 200 only where the matrix marks the page public."""
    public = {key for key, entry in pm.MATRIX.items() if entry["GET"][pm.ANON] == 200}
    assert public <= pm.PUBLIC, f"pages open to anonymous visitors but not listed in PUBLIC: {public - pm.PUBLIC}"
