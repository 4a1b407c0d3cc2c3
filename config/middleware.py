"""Refuse an address whose query string holds a NUL character, with a page that says so.

No form field can take NUL (Django's text fields refuse it, and PostgreSQL cannot store it), but a
search box, a filter or an autocomplete reads the query string directly and would hand NUL to the
database, which then fails. No browser sends NUL from a text box: an address holding one was made
by hand, so refusing the whole request is clearer than quietly searching for something else.
"""

from django.shortcuts import render
from django.utils.translation import gettext as _


class RefuseNullCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            return render(
                request,
                "400.html",
                {"message": _("The address holds a null character, which no search or filter can use.")},
                status=400,
            )
        return self.get_response(request)
