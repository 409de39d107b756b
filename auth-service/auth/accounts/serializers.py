from __future__ import annotations

from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers


class RegisterInput(serializers.Serializer):
    username = serializers.CharField(
        min_length=3, max_length=150, validators=[UnicodeUsernameValidator()]
    )
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, min_length=1, max_length=128, trim_whitespace=False
    )
    display_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class UserOutput(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    role = serializers.CharField()
    email_verified = serializers.BooleanField()


class LoginInput(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text="Username or email.")
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField(default="Bearer")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
