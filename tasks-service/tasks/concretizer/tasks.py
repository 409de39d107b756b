"""The concretize job (queued by services.request_plan and friends after their commit)."""

from __future__ import annotations

from celery import shared_task

from tasks.concretizer import services


@shared_task(name="tasks.concretize_plan", ignore_result=True)
def concretize_plan(plan_id: str) -> None:
    services.run_plan(plan_id=plan_id)
