"""Publish the media access of every existing follower once (follows made before social
published `social.media.access_granted`). Repeating it is harmless: media applies a grant only
when it is newer than what it has, and a later revocation stays newer."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from social.pages.services import publish_follower_access


class Command(BaseCommand):
    help = "Publish social.media.access_granted for the approved followers of every unblocked page."

    def handle(self, *args: Any, **options: Any) -> None:
        pages, users = publish_follower_access()
        self.stdout.write(f"granted {users} followers of {pages} pages")
