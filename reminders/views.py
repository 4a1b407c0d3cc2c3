"""Reminder pages: the admins' history, the watch button, each user's calendar settings and feed,
and the unsubscribe page of invited contacts.

The feed and the unsubscribe page are opened by calendar programs and mail readers, which have no
session: they are exempt from login and trust only a secret (the feed) or a signature (unsubscribe).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from accounts.roles import Role
from consultations.models import Consultation
from reminders.calendar import calendar_feed as build_calendar_feed
from reminders.filters import ReminderLogFilter
from reminders.forms import ReminderPreferenceForm
from reminders.models import ReminderLog, ReminderPreference, hash_token
from reminders.services import contact_from_unsubscribe_token, contact_unsubscribe

PAGE_SIZE = 50
# The feed secret made by a regeneration, shown once on the next page and then forgotten.
FRESH_TOKEN_SESSION_KEY = "reminders.calendar_token"  # noqa: S105 (a session key, not a secret)


def _wants_fragment(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


@require_GET
@role_required(Role.ADMIN)
def log_list(request: HttpRequest) -> HttpResponse:
    """Every reminder sent, failed or skipped, with the reason; filtered and paginated."""
    logs = ReminderLog.objects.select_related("consultation", "user", "contact__organisation")
    filterset = ReminderLogFilter(request.GET, queryset=logs)
    page_obj = Paginator(filterset.qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filterset": filterset, "page_obj": page_obj, "logs": page_obj.object_list}
    return render(request, "reminders/reminderlog_list.html", context)


@require_POST
@role_required()
def watch(request: HttpRequest, slug: str) -> HttpResponse:
    """Start (watch=1) or stop (watch=0) watching a consultation: its deadline reminders and feed entry."""
    consultation = get_object_or_404(Consultation, slug=slug)
    watching = request.POST.get("watch") == "1"
    if watching:
        consultation.watchers.add(request.user)
    else:
        consultation.watchers.remove(request.user)
    if _wants_fragment(request):
        context = {"consultation": consultation, "watching": watching, "small": request.POST.get("small") == "1"}
        return render(request, "reminders/_watch_button.html", context)
    if watching:
        messages.success(request, _("You watch this consultation: you will be reminded of its deadline."))
    else:
        messages.success(request, _("You no longer watch this consultation."))
    return redirect(consultation)


def _preference(request: HttpRequest) -> ReminderPreference:
    preference, _created = ReminderPreference.objects.get_or_create(user=request.user)
    return preference


@require_http_methods(["GET", "POST"])
@role_required()
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The user's reminder days, their calendar feed address and the consultations they watch."""
    preference = _preference(request)
    form = ReminderPreferenceForm(request.POST if request.method == "POST" else None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your reminder days are saved."))
        return redirect("reminders:calendar-settings")
    fresh_token = request.session.pop(FRESH_TOKEN_SESSION_KEY, None)
    context = {
        "form": form,
        "preference": preference,
        "feed_url": request.build_absolute_uri(reverse("reminders:calendar-feed", args=[fresh_token]))
        if fresh_token
        else "",
        "watched": request.user.watched_consultations.select_related("issuer").order_by("deadline", "pk"),
    }
    return render(request, "reminders/calendar_settings.html", context)


@require_POST
@role_required()
def calendar_regenerate(request: HttpRequest) -> HttpResponse:
    """Make a new secret feed address; the old one stops working at once."""
    preference = _preference(request)
    had_feed = preference.has_calendar_feed
    request.session[FRESH_TOKEN_SESSION_KEY] = preference.regenerate_calendar_token()
    if had_feed:
        messages.success(request, _("Your calendar has a new address; the old one no longer works."))
    else:
        messages.success(request, _("Your calendar feed is ready."))
    return redirect("reminders:calendar-settings")


@login_not_required
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The deadlines of the consultations the feed's owner owns or watches, as text/calendar.

    No login: the address's secret is the credential. An unknown secret, or a user who left the team,
    is a 404, the same as an address that never existed.
    """
    preference = ReminderPreference.objects.select_related("user").filter(calendar_token_hash=hash_token(token)).first()
    if preference is None or not preference.user.is_team_member:
        raise Http404
    response = HttpResponse(build_calendar_feed(user=preference.user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="consultrack-deadlines.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_not_required
# Mail providers send the RFC 8058 one-click POST with no CSRF token; the signed address is the
# authority, and all it can do is stop e-mail to the contact it names.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """An invited contact stops all e-mail: GET asks to confirm (link checkers only look), POST does it."""
    contact = contact_from_unsubscribe_token(token)
    if contact is None:
        raise Http404
    if request.method == "POST":
        contact_unsubscribe(contact=contact)
        return render(request, "reminders/unsubscribe_done.html", {"contact": contact})
    return render(request, "reminders/unsubscribe_confirm.html", {"contact": contact, "token": token})
