"""One error format for every service.

    {"code": "invalid", "message": "email: Enter a valid email address.",
     "fields": {"email": [{"code": "invalid", "message": "Enter a valid email address."}]},
     "request_id": "..."}

`code` is stable and machine-readable; `message` is for people; `fields` names each bad field.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from cotask_common import outages


class ServiceError(Exception):
    """A business rule said no. Raised by services and selectors, rendered by the handler."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        fields: dict[str, list[dict[str, str]]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.fields = fields or {}
        self.headers = headers or {}

    @classmethod
    def for_field(cls, field: str, message: str, *, code: str = "invalid") -> ServiceError:
        return cls(
            f"{field}: {message}", code=code, fields={field: [{"code": code, "message": message}]}
        )


class NotFound(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class Forbidden(ServiceError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"


class Conflict(ServiceError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


def error_body(
    *, code: str, message: str, fields: dict[str, Any] | None = None, request: Any = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    request_id = getattr(request, "request_id", None) or getattr(
        getattr(request, "_request", None), "request_id", None
    )
    if request_id:
        body["request_id"] = request_id
    return body


def _flatten_field_errors(detail: Any, prefix: str = "") -> dict[str, list[dict[str, str]]]:
    """DRF's nested `get_full_details()` into `{"a.b": [{"code", "message"}]}`."""
    flat: dict[str, list[dict[str, str]]] = {}
    if isinstance(detail, dict) and "message" in detail and "code" in detail:
        flat.setdefault(prefix or "non_field_errors", []).append(
            {"code": str(detail["code"]), "message": str(detail["message"])}
        )
    elif isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key == "non_field_errors" and not prefix else str(key)
            flat.update(_flatten_field_errors(value, f"{prefix}.{name}" if prefix else name))
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            nested_prefix = (
                prefix if isinstance(item, dict) and "code" in item else f"{prefix}.{index}"
            )
            for key, errors in _flatten_field_errors(item, nested_prefix).items():
                flat.setdefault(key, []).extend(errors)
    return flat


def _summary(fields: dict[str, list[dict[str, str]]]) -> str:
    parts = [f"{name}: {errors[0]['message']}" for name, errors in fields.items() if errors]
    return "; ".join(parts) if parts else str(_("Invalid input."))


def unavailable_body(request: Any) -> dict[str, Any]:
    return error_body(
        code="service_unavailable", message=outages.unavailable_message(), request=request
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    dependency = outages.unavailable_dependency(exc)
    if dependency is not None:
        outages.log_outage(dependency, exc, request)
        set_rollback()
        return Response(
            unavailable_body(request),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(outages.RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, ServiceError):
        return Response(
            error_body(code=exc.code, message=exc.message, fields=exc.fields, request=request),
            status=exc.status_code,
            headers=exc.headers,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_field_errors(exc.get_full_details())
        body = error_body(code="invalid", message=_summary(fields), fields=fields, request=request)
    else:
        details = exc.get_full_details()
        if isinstance(details, dict) and "code" in details:
            code, message = str(details["code"]), str(details["message"])
        else:
            code, message = exc.default_code, str(exc.detail)
        body = error_body(code=code, message=message, request=request)
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(exc.wait)
    response.data = body
    return response


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(
        error_body(code="not_found", message=_("Nothing is here."), request=request), status=404
    )


def server_error_view(request: HttpRequest) -> JsonResponse:
    # Django calls this from inside its handling of the exception: what failed is at hand.
    failure = sys.exc_info()[1]
    dependency = outages.unavailable_dependency(failure)
    if failure is not None and dependency is not None:
        outages.log_outage(dependency, failure, request)
        response = JsonResponse(unavailable_body(request), status=503)
        response["Retry-After"] = str(outages.RETRY_AFTER_SECONDS)
        return response
    return JsonResponse(
        error_body(
            code="server_error", message=_("Something went wrong on our side."), request=request
        ),
        status=500,
    )
