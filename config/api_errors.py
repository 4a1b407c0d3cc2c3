"""One shape for every API error: {"error": {"code": ..., "message": ..., "fields": {...}}}.

`code` is stable and meant for programs (invalid, not_authenticated, permission_denied, not_found,
throttled, conflict, precondition_failed...), `message` is for people, `fields` maps each invalid
field to its messages (empty unless the request had invalid fields). A conflict adds `current`, the
resource as it is now; a throttled request adds `retry_after`, in seconds.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.api import Conflict

logger = logging.getLogger(__name__)


def exception_handler(exc, context) -> Response:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(get_error_detail(exc))
    elif isinstance(exc, ProtectedError):
        exc = Conflict(_("Other records still refer to this one, so it cannot be deleted."), code="protected")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in the API", exc_info=exc)
        return Response(
            error_body("server_error", _("Something went wrong on our side; it has been logged.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response.data = _shape(exc, response.data)
    return response


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def _shape(exc: exceptions.APIException, data) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        return error_body("invalid", _("The request has invalid fields; see fields."), _plain(fields))
    detail = data.get("detail", "") if isinstance(data, dict) else data
    code = getattr(detail, "code", None) or exc.default_code
    extra = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after"] = int(exc.wait)
    if isinstance(exc, Conflict) and exc.current is not None:
        extra["current"] = exc.current
    return error_body(str(code), str(detail), **extra)


def _plain(fields):
    """ErrorDetail lists as plain strings (nested serializers keep their nesting)."""
    if isinstance(fields, dict):
        return {key: _plain(value) for key, value in fields.items()}
    if isinstance(fields, list):
        return [_plain(value) for value in fields]
    return str(fields)
