"""Rotate the embedded signing key: retire the current one (its public part keeps verifying)
and generate a new one. Restart the web processes afterwards so they sign with the new key.

With keys from configuration (JWT_PRIVATE_KEY / _FILE) rotation is the operator's: put the
new private key in place and the old public key in JWT_PREVIOUS_PUBLIC_KEYS(_DIR).
"""

from __future__ import annotations

import time
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from auth.accounts import keys


class Command(BaseCommand):
    help = "Retire the embedded JWT signing key and generate a new one."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Also delete retired keys older than the refresh-token lifetime.",
        )

    def handle(self, *args: Any, prune: bool = False, **options: Any) -> None:
        if not keys.uses_embedded_key():
            raise CommandError(
                "The signing key comes from JWT_PRIVATE_KEY(_FILE); rotate it there and list "
                "the old public key in JWT_PREVIOUS_PUBLIC_KEYS or JWT_PREVIOUS_PUBLIC_KEYS_DIR."
            )
        keys.reset_key_cache()
        old = keys.current_signing_key()
        previous_dir = keys.embedded_previous_dir()
        previous_dir.mkdir(parents=True, exist_ok=True)
        public_pem = old.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (previous_dir / f"{old.kid}.pem").write_bytes(public_pem)
        path = keys.embedded_key_path()
        path.unlink()
        keys.write_new_embedded_key(path)
        keys.reset_key_cache()
        self.stdout.write(f"retired {old.kid}; now signing with {keys.current_signing_key().kid}")
        if prune:
            horizon = time.time() - settings.JWT_REFRESH_LIFETIME_SECONDS
            for retired in previous_dir.glob("*.pem"):
                if retired.stat().st_mtime < horizon:
                    retired.unlink()
                    self.stdout.write(f"pruned {retired.stem}")
