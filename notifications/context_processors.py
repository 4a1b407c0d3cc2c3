from django.http import HttpRequest

from notifications.models import Notification


def unread_notifications(request: HttpRequest) -> dict:
    """The unread count of the bell in the navigation bar, on every page of a signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notification_count": Notification.objects.for_user(user).unread().count()}
