"""Thin views: parse, call a service, serialize."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.cache import cache_control
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auth.accounts import keys, services
from auth.accounts.serializers import LoginInput, RegisterInput, TokenPairOutput, UserOutput


class RegisterApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="register",
        request=RegisterInput,
        responses={
            201: UserOutput,
            400: OpenApiResponse(description="A field is invalid"),
            409: OpenApiResponse(description="Username or email taken"),
        },
    )
    def post(self, request: Request) -> Response:
        data = RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.register_user(**data.validated_data)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="login",
        request=LoginInput,
        responses={200: TokenPairOutput, 401: OpenApiResponse(description="Wrong credentials")},
    )
    def post(self, request: Request) -> Response:
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.login(**data.validated_data)
        return Response(
            TokenPairOutput(
                {
                    "access": pair.access,
                    "refresh": pair.refresh,
                    "expires_in": pair.access_expires_in,
                }
            ).data
        )


@cache_control(public=True, max_age=300)
def jwks_view(request: Request) -> JsonResponse:
    return JsonResponse(keys.jwks())
