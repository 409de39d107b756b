"""Reads of plans: only their owner ever sees one, and the calls spent on the API today."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cotask_common.errors import NotFound
from tasks.concretizer.models import Plan


class PlanNotFound(NotFound):
    """Another person's plan and a missing one look the same."""

    code = "plan_not_found"

    def __init__(self) -> None:
        super().__init__(str(_("No plan with this id.")), code="plan_not_found")


def _uuid(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError):
        return None


def plan_for(*, owner_id: Any, plan_id: Any, lock: bool = False) -> Plan:
    found = _uuid(plan_id)
    if found is None:
        raise PlanNotFound()
    rows = Plan.objects.filter(id=found, owner_id=owner_id)
    if lock:
        rows = rows.select_for_update()
    plan = rows.first()
    if plan is None:
        raise PlanNotFound()
    return plan


def reusable_plan(*, owner_id: Any, fingerprint: str) -> Plan | None:
    """The owner's plan for the identical request made within the last day, not failed and not
    yet accepted (by the index (owner, fingerprint, created_at))."""
    since = timezone.now() - timedelta(days=1)
    return (
        Plan.objects.filter(owner_id=owner_id, fingerprint=fingerprint, created_at__gte=since)
        .exclude(status="failed")
        .filter(accepted_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


def llm_calls_today(*, user_id: Any = None) -> int:
    """Billed chat-completions answers since midnight UTC: the person's (the quota) or
    everyone's (the budget)."""
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = Plan.objects.filter(created_at__gte=start, llm_calls__gt=0)
    if user_id is not None:
        rows = rows.filter(owner_id=user_id)
    return int(rows.aggregate(total=Sum("llm_calls"))["total"] or 0)
