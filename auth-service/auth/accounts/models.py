"""Accounts. Public ids are UUIDv7; usernames and emails are unique regardless of case."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

from cotask_common.ids import uuid7


class Role(models.TextChoices):
    USER = "user", "User"
    MODERATOR = "moderator", "Moderator"
    ADMIN = "admin", "Admin"


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    email = models.EmailField("email address")
    display_name = models.CharField(max_length=150, blank=True, default="")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    email_verified = models.BooleanField(default=False)

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
