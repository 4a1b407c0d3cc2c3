from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from notifications import services
from notifications.forms import EmailSettingsForm, NotificationFilterForm
from notifications.models import EmailMute, Notification

PAGE_SIZE = 25


def _get_notification(request: HttpRequest, pk: int) -> Notification:
    """A notification of the signed-in user; anyone else's is a 404."""
    return get_object_or_404(Notification.objects.for_user(request.user), pk=pk)


def _safe_local(request: HttpRequest, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@require_GET
@role_required()
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, unread ones marked."""
    filter_form = NotificationFilterForm(request.GET or None)
    notifications = Notification.objects.for_user(request.user)
    if filter_form.is_valid() and filter_form.cleaned_data["show"] == "unread":
        notifications = notifications.unread()
    page_obj = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {"page_obj": page_obj, "filter_form": filter_form})


@require_POST
@role_required()
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a notification read and go where it points."""
    notification = _get_notification(request, pk)
    services.notification_mark_read(user=request.user, notification_id=notification.pk)
    if _safe_local(request, notification.url):
        return HttpResponseRedirect(notification.url)
    return redirect("notifications:notification-list")


@require_POST
@role_required()
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read, staying on the list."""
    notification = services.notification_mark_read(user=request.user, notification_id=_get_notification(request, pk).pk)
    if request.htmx:
        return render(request, "notifications/_notification.html", {"notification": notification})
    return redirect("notifications:notification-list")


@require_POST
@role_required()
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("%(count)d notification(s) marked as read.") % {"count": count})
    return redirect("notifications:notification-list")


@require_http_methods(["GET", "POST"])
@role_required()
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Choose, kind by kind, which notifications also come by e-mail."""
    muted = set(EmailMute.objects.filter(user=request.user).values_list("kind", flat=True))
    form = EmailSettingsForm(request.POST or None, muted=muted)
    if request.method == "POST" and form.is_valid():
        services.email_mutes_set(user=request.user, muted_kinds=form.muted_kinds())
        messages.success(request, _("Your e-mail settings are saved."))
        return redirect("notifications:notification-settings")
    return render(request, "notifications/notification_settings.html", {"form": form})
