"""Give an account a role from the command line: how the first admin is made.

    manage.py set_role ada admin

Announced as `auth.user.role_changed` (actor: none), exactly like a change through the API.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from auth.accounts import services
from auth.accounts.models import User
from cotask_common.errors import ServiceError
from cotask_common.roles import Role


class Command(BaseCommand):
    help = "Set the CoTask role (user, moderator, admin) of an account."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=[role.value for role in Role])

    def handle(self, *args: Any, username: str, role: str, **options: Any) -> None:
        user = User.objects.filter(username__iexact=username, deleted_at=None).first()
        if user is None:
            raise CommandError(f"no account named {username!r}")
        try:
            services.change_role(actor=None, user_id=user.id, role=role)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{user.username} is now {role}")
