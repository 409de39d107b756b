"""Rate limits for any service's views: counted in the shared cache (Redis in production, so
every web process sees the same counts), refused with 429, `Retry-After` and the kit's error
shape (`code` `throttled`, `retry_after`), with a message that names the limit.

A rate is "<count>/<period>", period s, m, h or d with an optional multiplier ("10/15m"); an
empty rate switches the limit off. Subclass `RateThrottle` with a `scope`, what is counted
and by what (`message_template`, a translatable text with `%(limit)s`), and the rate's setting
name (`rate_setting`); add `NamedLimitThrottling` to the view.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
from typing import Any

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from cotask_common import outages

logger = logging.getLogger("cotask.outages")

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@functools.lru_cache(maxsize=256)
def _rate_parts(rate: str) -> tuple[int, int, str]:
    """ "10/15m" → (10, 15, "m"): read once per rate, not per request."""
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"a throttle rate looks like '10/m' or '10/15m', not {rate!r}")
    return int(match[1]), int(match[2] or 1), match[3]


def parse_rate(rate: str) -> tuple[int, int, str]:
    """ "10/15m" → (10, 900, "10 per 15 minutes"), the text in the active language."""
    count, multiplier, unit = _rate_parts(rate)
    return count, multiplier * _UNIT_SECONDS[unit], describe_rate(count, multiplier, unit)


def describe_rate(count: int, multiplier: int, unit: str) -> str:
    """`count` per `multiplier` `unit`s, in words of the active language (its plural rules)."""
    if multiplier == 1:
        per_one = {
            "s": gettext("%(count)d per second"),
            "m": gettext("%(count)d per minute"),
            "h": gettext("%(count)d per hour"),
            "d": gettext("%(count)d per day"),
        }
        return per_one[unit] % {"count": count}
    per_many = {
        "s": ngettext("%(count)d per %(n)d second", "%(count)d per %(n)d seconds", multiplier),
        "m": ngettext("%(count)d per %(n)d minute", "%(count)d per %(n)d minutes", multiplier),
        "h": ngettext("%(count)d per %(n)d hour", "%(count)d per %(n)d hours", multiplier),
        "d": ngettext("%(count)d per %(n)d day", "%(count)d per %(n)d days", multiplier),
    }
    return per_many[unit] % {"count": count, "n": multiplier}


class CountsInProcessWhileRedisIsAway:
    """Mix into a DRF `SimpleRateThrottle`: while the shared cache (Redis) cannot be reached,
    count in this process instead of failing the request (Redis is a cache, not a gate)."""

    cache: Any

    def allow_request(self, request: Request, view: Any) -> bool:
        if _shared_counts_down():
            self.cache = _process_counts
            return super().allow_request(request, view)  # type: ignore[misc]
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except Exception as exc:
            if outages.unavailable_dependency(exc) is None:
                raise
            _mark_shared_counts_down(exc)
            self.cache = _process_counts
            return super().allow_request(request, view)  # type: ignore[misc]


class RateThrottle(CountsInProcessWhileRedisIsAway, SimpleRateThrottle):
    """One limit, its rate read from the setting `rate_setting` at each request."""

    scope: str
    rate_setting: str
    # What is counted and by what, with the limit: `%(limit)s`.
    message_template: str | Promise = _("Too many requests: at most %(limit)s.")

    def __init__(self) -> None:  # the rate is read per request, not once (settings may change)
        pass

    def get_rate(self) -> str | None:
        return getattr(settings, self.rate_setting, "") or None

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        if rate is None:
            return None, None
        count, multiplier, unit = self.rate_parts = _rate_parts(rate)
        return count, multiplier * _UNIT_SECONDS[unit]

    def allow_request(self, request: Request, view: Any) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def identity(self, request: Request) -> str | None:
        return self.get_ident(request)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        ident = self.identity(request)
        if not ident:
            return None
        digest = hashlib.sha256(ident.encode()).hexdigest()[:32]  # no addresses in cache keys
        return f"cotask:throttle:{self.scope}:{digest}"

    def message(self) -> str:
        # In words only for a refusal: translating the rate on every request cost ~0.1 ms.
        return str(self.message_template) % {"limit": describe_rate(*self.rate_parts)}


# Counts of this process alone, used while the shared cache cannot be reached: each web
# process then allows the limit itself (a few times the limit in all), instead of failing.
_process_counts = LocMemCache("cotask-throttle-fallback", {"TIMEOUT": None, "MAX_ENTRIES": 10_000})
# How long to count locally before trying the shared cache again: a request does not wait
# for a refused connection each time.
SHARED_COUNTS_RETRY_SECONDS = 5.0
_shared_down_until = 0.0


def _shared_counts_down() -> bool:
    return time.monotonic() < _shared_down_until


def _mark_shared_counts_down(exc: BaseException) -> None:
    global _shared_down_until
    _shared_down_until = time.monotonic() + SHARED_COUNTS_RETRY_SECONDS
    logger.warning(
        "redis unavailable: %s; rate limits counted per process for %.0f s",
        type(exc).__name__,
        SHARED_COUNTS_RETRY_SECONDS,
    )


class AnonymousRateThrottle(RateThrottle):
    """Counts only requests without a signed-in user, per client address."""

    def identity(self, request: Request) -> str | None:
        if getattr(request.user, "is_authenticated", False):
            return None
        return self.get_ident(request)


class NamedLimitThrottling:
    """View mixin: the first throttle that refuses decides, and its message names its limit."""

    def check_throttles(self, request: Request) -> None:
        for throttle in self.get_throttles():  # type: ignore[attr-defined]
            if not throttle.allow_request(request, self):
                wait = throttle.wait()
                raise Throttled(wait=wait, detail=throttle.message(), code="throttled")
