"""Wrong join codes are counted per person: after `TASKS_JOIN_CODE_GUESS_RATE` wrong ones,
joining is refused (429 `throttled`, Retry-After) until the oldest falls out of the window.
Right codes are not counted, so joining several rooms in a row is never refused."""

from __future__ import annotations

from typing import Any

from django.utils.translation import ngettext
from rest_framework.request import Request

from cotask_common.throttling import RateThrottle


class WrongJoinCodeThrottle(RateThrottle):
    scope = "tasks_join_code"
    rate_setting = "TASKS_JOIN_CODE_GUESS_RATE"
    what = "wrong join codes"

    def identity(self, request: Request) -> str | None:
        user_id = getattr(request.user, "id", None)
        return f"user:{user_id}" if user_id else None

    def allow_request(self, request: Request, view: Any) -> bool:
        """Refuse once the window holds the limit; count nothing here (see `record_wrong`)."""
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None or self.num_requests is None or self.duration is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) < self.num_requests

    def record_wrong(self) -> None:
        """The code was wrong: one more in the window."""
        if getattr(self, "key", None) is None:
            return
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)

    def message(self) -> str:
        minutes = max(1, (self.duration or 60) // 60)
        return ngettext(
            "Too many wrong join codes: at most %(count)d in %(minutes)d minute.",
            "Too many wrong join codes: at most %(count)d in %(minutes)d minutes.",
            minutes,
        ) % {"count": self.num_requests, "minutes": minutes}
