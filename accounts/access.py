"""The one way views check roles: a decorator that lets only the named roles in."""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.roles import Role


def role_required(*roles: Role) -> Callable:
    """Allow signed-in users holding one of `roles`; others get a 403 page.

    Anonymous users never reach this: LoginRequiredMiddleware sends them to the login page.
    """
    allowed = roles or tuple(Role)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated or not request.user.has_role(*allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
