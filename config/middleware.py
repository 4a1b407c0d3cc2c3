"""Refuse an address whose query string holds a NUL character, with a message that says so.

No form field can take NUL (Django's text fields refuse it, and PostgreSQL cannot store it), but a
search box, a filter or an autocomplete reads the query string directly and would hand NUL to the
database, which then fails. No browser sends NUL from a text box: an address holding one was made
by hand, so refusing the whole request is clearer than quietly searching for something else.
"""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from config.api_errors import error_body


class RefuseNullCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            message = _("The address holds a null character, which no search or filter can use.")
            if request.path.startswith("/api/"):
                # The API's one error shape, for programs.
                return JsonResponse(error_body("invalid", message), status=400)
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)
