import zoneinfo

from django.conf import settings
from django.utils import timezone, translation


class UserTimeZoneMiddleware:
    """Show dates in the signed-in user's own time zone; storage stays in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class UserLanguageMiddleware:
    """Pages in the signed-in user's own language (chosen with the language switcher), on every device.

    Without one, and for visitors, LocaleMiddleware's choice (the language cookie, else the browser's)
    stands. The cookie is brought in line, so that the sign-in page shows the user's language after
    they sign out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language not in dict(settings.LANGUAGES):
            return self.get_response(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # set_language has just set the cookie (and the account) to the new choice: leave it be.
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language and not response.cookies.get(
            settings.LANGUAGE_COOKIE_NAME
        ):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


class SecondFactorMiddleware:
    """Until a signed-in user has given their second factor (or, an admin who must have one, set it up),
    every page sends them to that step; only the step itself and logging out stay open.

    Covers every way in, the Django admin's own login page included."""

    OPEN_DURING = {
        "verify": {"accounts:two-factor-verify", "accounts:logout", "admin:logout", "set_language"},
        "setup": {"accounts:two-factor", "accounts:logout", "admin:logout", "set_language"},
    }
    TARGET = {"verify": "accounts:two-factor-verify", "setup": "accounts:two-factor"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http import HttpResponseRedirect
        from django.urls import Resolver404, resolve

        from accounts import two_factor
        from accounts.views import with_next

        step = two_factor.pending_step(request)
        if step is not None:
            try:
                view_name = resolve(request.path_info).view_name
            except Resolver404:
                view_name = ""
            if view_name not in self.OPEN_DURING[step]:
                next_url = request.get_full_path() if request.method == "GET" else "/"
                return HttpResponseRedirect(with_next(self.TARGET[step], next_url))
        return self.get_response(request)
