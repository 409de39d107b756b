"""Fetching feeds is limited per client address (`TASKS_CALENDAR_FEED_RATE`): calendar apps
poll every few minutes at most, so a client asking far more often is a bug or a scan (the
256-bit secrets cannot be guessed either way, but each fetch reads the database)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cotask_common.throttling import RateThrottle


class FeedFetchThrottle(RateThrottle):
    scope = "tasks_calendar_feed"
    rate_setting = "TASKS_CALENDAR_FEED_RATE"
    message_template = _("Too many calendar feed requests from this address: at most %(limit)s.")
