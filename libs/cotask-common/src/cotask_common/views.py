"""Views every service exposes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.pagination import CursorPagination
from cotask_common.roles import Role
from cotask_common.security.requests import SignedInRequest


class WhoAmIApi(APIView):
    """The caller as this service sees them: proof that the service verifies tokens itself."""

    @extend_schema(
        operation_id="whoami",
        responses=inline_serializer(
            "WhoAmI",
            fields={
                "id": serializers.UUIDField(),
                "username": serializers.CharField(),
                "role": serializers.ChoiceField(choices=Role.choices()),
                "email_verified": serializers.BooleanField(),
                "service": serializers.CharField(),
                "known_locally": serializers.BooleanField(
                    help_text="Whether this service's user projection has the caller yet "
                    "(it learns of new accounts from auth-service's events)."
                ),
                "secure": serializers.BooleanField(
                    help_text="Whether the request reached the service over HTTPS (behind a "
                    "TLS-terminating proxy: its X-Forwarded-Proto, kept by the gateway)."
                ),
            },
        ),
    )
    def get(self, request: SignedInRequest) -> Response:
        from django.conf import settings

        from cotask_common.users.selectors import is_known_locally

        user = request.user
        return Response(
            {
                "id": str(user.id),
                "username": user.username,
                "role": user.role,
                "email_verified": user.email_verified,
                "service": settings.COTASK_SERVICE,
                "known_locally": is_known_locally(user_id=user.id),
                "secure": request.is_secure(),
            }
        )


def valid(
    serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any
) -> dict[str, Any]:
    """`data` checked by `serializer_class` (400 naming each bad field), as a plain dict."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class QueryBooleanField(serializers.BooleanField):
    """A true/false query parameter: absent stays absent (DRF reads a missing boolean of a
    QueryDict as an unticked checkbox, False), and "null" or any other word is a 400."""

    default_empty_html = serializers.empty


def valid_query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The query string checked by `serializer_class` like a body: a wrong type or an unknown
    value is a 400 naming the parameter, never a silent default. Give the same class to
    `extend_schema(parameters=[serializer_class])` and the document lists the parameters."""
    return valid(serializer_class, request.query_params)


def paginated(
    view: APIView,
    request: Request,
    queryset: QuerySet[Any],
    serializer_class: type[serializers.Serializer],
    *,
    ordering: str | tuple[str, ...] = "-id",
    context: dict[str, Any] | None = None,
) -> Response:
    """One cursor page of `queryset` in `ordering` (unique, so no row is shown twice),
    serialized by `serializer_class`: the answer of every list endpoint."""
    paginator = CursorPagination()
    paginator.ordering = ordering
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, context={"request": request, **(context or {})}).data
    return paginator.get_paginated_response(data)
