"""Small helpers the thin views of every app share."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.pagination import CursorPagination
from cotask_common.security.tokens import TokenUser


def viewer(request: Request) -> TokenUser | None:
    user = request.user
    return user if isinstance(user, TokenUser) else None


def valid(
    serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any
) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def paginated(
    view: APIView,
    request: Request,
    queryset: QuerySet[Any],
    serializer_class: type[serializers.Serializer],
    *,
    ordering: str | tuple[str, ...] = "-id",
    context: dict[str, Any] | None = None,
) -> Response:
    paginator = CursorPagination()
    paginator.ordering = ordering
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, context={"request": request, **(context or {})}).data
    return paginator.get_paginated_response(data)


class UserBrief(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    display_name = serializers.CharField()
