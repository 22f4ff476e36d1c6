"""One error shape for every API error, partner and shopper endpoints alike:
``{"error": {"code", "message", "field"}}``.

Validation errors carry every problem in ``errors`` as well (the first one is repeated
at the top so a client that reads one message shows the right one). Django
ValidationErrors raised by services (keyed by field, e.g. ``variants[0].price``) keep
their field names and codes. A refusal of another status names its field too where it
has one (``Refused``: buy-now's 409 out of stock names ``items[0].quantity``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("django.request")

# Codes for exceptions whose DRF code is too generic to act on.
STATUS_CODES = {
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_409_CONFLICT: "conflict",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "rate_limited",
}


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with another one."
    default_code = "conflict"


class Refused(exceptions.APIException):
    """A request the shop refuses with ``status_code``: a service's refusal (out of stock,
    a declined card, a vote on one's own review) in the API's shape, naming the input
    ``field`` at fault when there is one; ``extra`` goes into the error beside them
    (buy-now's 409 ``total_changed`` carries the new ``quote``)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code)
        self.status_code = status_code
        self.field = field
        self.extra = extra or {}


def refusal(
    message: str, *, status_code: int, code: str, field: str | None = None
) -> exceptions.APIException:
    """A service's refusal as the API's error: a 400 is a validation error (listed in
    ``errors`` as every 400 is), any other status a ``Refused``."""
    if status_code == status.HTTP_400_BAD_REQUEST:
        detail = exceptions.ErrorDetail(message, code=code)
        return exceptions.ValidationError({field or NON_FIELD_ERRORS: [detail]})
    return Refused(message, status_code=status_code, code=code, field=field)


class RateLimited(exceptions.Throttled):
    """429 with ``Retry-After``; ``message`` names the wait as ``{seconds}``."""

    def __init__(self, wait: int, *, message: str) -> None:
        super().__init__(detail=message.format(seconds=wait))
        self.wait = wait


def error_body(*, code: str, message: str, field: str | None = None, **extra: Any) -> dict:
    return {"error": {"code": code, "message": message, "field": field, **extra}}


def _flatten(detail: Any, prefix: str = "") -> list[dict]:
    """[{field, code, message}] from DRF's nested error details."""
    if isinstance(detail, dict):
        items = []
        for name, value in detail.items():
            if isinstance(name, int):  # a list's errors by position
                items += _flatten(value, f"{prefix}[{name}]")
                continue
            name = "" if name in (NON_FIELD_ERRORS, "non_field_errors") else str(name)
            field = f"{prefix}.{name}" if prefix and name else (prefix or name)
            items += _flatten(value, field)
        return items
    if isinstance(detail, list):
        if all(isinstance(item, dict | list) for item in detail) and detail:
            items = []
            for index, value in enumerate(detail):
                items += _flatten(value, f"{prefix}[{index}]")
            return items
        return [item for value in detail for item in _flatten(value, prefix)]
    return [
        {
            "field": prefix or None,
            "code": getattr(detail, "code", None) or "invalid",
            "message": str(detail),
        }
    ]


def django_validation_error_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        detail: Any = {
            field: [
                exceptions.ErrorDetail(message, code=error.code or "invalid")
                for error in errors
                for message in error.messages
            ]
            for field, errors in exc.error_dict.items()
        }
    else:
        detail = [
            exceptions.ErrorDetail(message, code=error.code or "invalid")
            for error in exc.error_list
            for message in error.messages
        ]
    return exceptions.ValidationError(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler (status, headers such as Retry-After, rollback), then our shape.

    An unexpected exception is logged and signalled as Django does for a 500 (error
    reporting, the test client), then answered in the same shape, unless DEBUG shows
    Django's page with the traceback.
    """
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_error_to_drf(exc)
    if isinstance(exc, RequestDataTooBig):  # read whole to check an Idempotency-Key
        exc = RequestTooLarge(
            f"A request body is at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes "
            "(DATA_UPLOAD_MAX_MEMORY_SIZE); send smaller pictures or fewer at a time."
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        if settings.DEBUG:
            return None
        request = context["request"]
        logger.error("Internal Server Error: %s", request.path, exc_info=exc)
        got_request_exception.send(sender=None, request=request._request)
        set_rollback()
        return Response(
            error_body(
                code="server_error",
                message="Something went wrong on our side; retry later (with the same "
                "Idempotency-Key for a POST).",
            ),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail) or [
            {"field": None, "code": "invalid", "message": "Invalid input."}
        ]
        first = errors[0]
        response.data = error_body(
            code=first["code"], message=first["message"], field=first["field"], errors=errors
        )
        return response
    code = STATUS_CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str) and codes not in (
            "error",
            "not_found",
            "permission_denied",
            "authentication_failed",
            "throttled",
        ):
            code = codes
        message = str(exc.detail) if not isinstance(exc.detail, dict | list) else str(exc)
    else:
        message = str(response.data.get("detail", "")) if isinstance(response.data, dict) else ""
    if response.status_code == status.HTTP_404_NOT_FOUND and (
        isinstance(exc, Http404) or message in ("", "Not found.")
    ):
        message = "No such object in this shop."
    response.data = error_body(
        code=code, message=message, field=getattr(exc, "field", None), **getattr(exc, "extra", {})
    )
    return response
