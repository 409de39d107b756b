"""Prepare the storage: S3 bucket and its public-read policy for public/*, or local folders.
`migrate` runs the same (and only logs a failure); this command fails loudly."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from media.files.storage import get_storage


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        storage = get_storage()
        done = storage.setup()
        storage.check()
        for line in done or ["nothing to do"]:
            self.stdout.write(f"{storage.backend}: {line}")
