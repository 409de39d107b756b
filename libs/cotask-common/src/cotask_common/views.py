"""Views every service exposes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

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
