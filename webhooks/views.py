"""Admins register webhooks, see each delivery and its outcome, and send a failed one again."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from accounts.roles import Role
from webhooks import services
from webhooks.forms import WebhookForm
from webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

PAGE_SIZE = 25
# The secret of a webhook just made or given a new secret, shown on the next page once and then forgotten.
FRESH_SECRET_SESSION_KEY = "webhooks:fresh-secret"  # noqa: S105 - a session key, not a secret


def _get_webhook(pk: int) -> Webhook:
    return get_object_or_404(Webhook, pk=pk)


def _get_delivery(pk: int) -> WebhookDelivery:
    return get_object_or_404(WebhookDelivery.objects.select_related("webhook"), pk=pk)


@require_GET
@role_required(Role.ADMIN)
def webhook_list(request: HttpRequest) -> HttpResponse:
    """Every webhook with its events and how its deliveries went."""
    webhooks = Webhook.objects.annotate(
        delivered_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        waiting_count=Count(
            "deliveries",
            filter=Q(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRYING]),
        ),
    )
    return render(request, "webhooks/webhook_list.html", {"webhooks": webhooks})


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        webhook = services.webhook_create(
            name=form.cleaned_data["name"],
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            active=form.cleaned_data["active"],
            created_by=request.user,
        )
        request.session[FRESH_SECRET_SESSION_KEY] = {"webhook": webhook.pk, "secret": webhook.secret}
        messages.success(request, _("The webhook is registered. Copy its secret now: it is shown only once."))
        return redirect(webhook)
    return render(request, "webhooks/webhook_form.html", {"form": form})


@require_GET
@role_required(Role.ADMIN)
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The webhook, its secret (once, just after it was made) and its deliveries, newest first."""
    webhook = _get_webhook(pk)
    fresh = request.session.pop(FRESH_SECRET_SESSION_KEY, None)
    secret = fresh["secret"] if fresh and fresh.get("webhook") == webhook.pk else ""
    deliveries = webhook.deliveries.all()
    status = request.GET.get("status", "")
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    page_obj = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "webhook": webhook,
        "secret": secret,
        "page_obj": page_obj,
        "deliveries": page_obj.object_list,
        "statuses": DeliveryStatus.choices,
        "current_status": status,
    }
    return render(request, "webhooks/webhook_detail.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = _get_webhook(pk)
    form = WebhookForm(request.POST or None, instance=webhook)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The webhook is saved."))
        return redirect(webhook)
    return render(request, "webhooks/webhook_form.html", {"form": form, "webhook": webhook})


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = _get_webhook(pk)
    if request.method == "POST":
        webhook.delete()
        messages.success(request, _("The webhook “%(name)s” and its deliveries are deleted.") % {"name": webhook})
        return redirect("webhooks:webhook-list")
    return render(request, "webhooks/webhook_confirm_delete.html", {"webhook": webhook})


@require_POST
@role_required(Role.ADMIN)
def webhook_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    """A new secret; deliveries from now on are signed with it, the old one no longer verifies."""
    webhook = _get_webhook(pk)
    secret = services.webhook_rotate_secret(webhook=webhook)
    request.session[FRESH_SECRET_SESSION_KEY] = {"webhook": webhook.pk, "secret": secret}
    messages.success(request, _("The webhook has a new secret. Copy it now: it is shown only once."))
    return redirect(webhook)


@require_POST
@role_required(Role.ADMIN)
def webhook_ping(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a signed test delivery, to check the receiver and its secret."""
    webhook = _get_webhook(pk)
    delivery = services.webhook_ping(webhook=webhook, by=request.user)
    messages.success(request, _("A test delivery is on its way; its outcome shows below."))
    return redirect("webhooks:delivery-detail", pk=delivery.pk)


@require_GET
@role_required(Role.ADMIN)
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """What was sent (the payload) and what the receiver answered."""
    return render(request, "webhooks/delivery_detail.html", {"delivery": _get_delivery(pk)})


@require_POST
@role_required(Role.ADMIN)
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = _get_delivery(pk)
    if services.delivery_retry(delivery=delivery):
        messages.success(request, _("The delivery is queued again."))
    else:
        messages.warning(request, _("This delivery has not failed: there is nothing to send again."))
    return redirect("webhooks:delivery-detail", pk=delivery.pk)
