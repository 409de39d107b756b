from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext

from cotask_common.errors import NotFound
from social.moderation.models import ModerationAction, Report


def report_queue(*, status: str = "open") -> QuerySet[Report]:
    return Report.objects.filter(status=status).select_related("reporter", "resolved_by")


def get_report(*, report_id: uuid.UUID | str) -> Report:
    row = Report.objects.filter(id=report_id).first()
    if row is None:
        raise NotFound(gettext("No report with the id %(id)s.") % {"id": repr(str(report_id))})
    return row


def actions(*, target_id: uuid.UUID | None = None) -> QuerySet[ModerationAction]:
    rows = ModerationAction.objects.all()
    if target_id:
        rows = rows.filter(target_id=target_id)
    return rows
