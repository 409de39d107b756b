"""Argon2id with CoTask's cost, read from settings so it can be tuned per deployment.

Django's default (t=2, 100 MiB, p=8) assumes 8 cores per hash. We run 2-core machines, so we
use t=2, 64 MiB, p=2: about 70 ms per hash there, above OWASP's minimum (19 MiB, t=2).
Old hashes with other parameters still verify and are re-hashed at the next login.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class CoTaskArgon2PasswordHasher(Argon2PasswordHasher):
    # The same "argon2" algorithm name: hashes stay readable by Django's own hasher.
    algorithm = "argon2"

    def params(self):  # type: ignore[no-untyped-def]
        self.time_cost = settings.AUTH_ARGON2_TIME_COST
        self.memory_cost = settings.AUTH_ARGON2_MEMORY_COST_KIB
        self.parallelism = settings.AUTH_ARGON2_PARALLELISM
        return super().params()
