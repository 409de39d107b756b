"""Writes of the concretizer: ask for a plan (a Celery job), answer its questions, break a step
down further, run the job, accept the edited steps.

Nothing is created under a task before acceptance; acceptance makes every subtask (with its
dependencies and deadline) through planning's `create_task`, in ONE transaction, so its usual
history rows and `tasks.task.*` events come with them. Only the plan's owner reads or accepts
it (anyone else: the plan's 404). A plan for a task needs a role that may edit the task
(member or more: a viewer gets 403, a stranger the task's 404, as planning answers), asked
again at acceptance.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cotask_common.errors import Conflict, NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.users.models import UserRef
from tasks.concretizer import selectors
from tasks.concretizer.models import Plan, PlanStatus
from tasks.concretizer.planner import (
    LANGUAGES,
    MAX_STEPS,
    PlanRequest,
    PlanResult,
    detect_language,
)
from tasks.planning import services as planning
from tasks.planning.models import Task
from tasks.planning.selectors import task_for
from tasks.rooms.models import RoomRole

logger = logging.getLogger("cotask.tasks.concretizer")

MAX_GOAL_CHARS = 500
MAX_ANSWER_CHARS = 300
MAX_TITLE_CHARS = 255
MAX_DESCRIPTION_CHARS = 2000


# ---------------------------------------------------------------------------------------------
# Helpers


def _fingerprint(**parts: Any) -> str:
    """What makes two requests identical: the same person, task, goal (spacing and case aside),
    context, answers, language and step of the same plan."""
    if isinstance(parts.get("goal"), str):
        parts["goal"] = " ".join(parts["goal"].split()).lower()
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _today_for(owner_id: Any) -> date:
    zone_name = UserRef.objects.filter(id=owner_id).values_list("time_zone", flat=True).first()
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return timezone.now().astimezone(zone).date()


def _task_deadline(task: Task) -> date | None:
    if task.due_date is not None:
        return task.due_date
    if task.due_at is not None:
        return task.due_at.date()
    return None


def _schedule_job(plan: Plan) -> None:
    from tasks.concretizer.tasks import concretize_plan

    plan_id = str(plan.id)
    transaction.on_commit(lambda: concretize_plan.delay(plan_id))


def _context(
    *,
    deadline: date | None,
    minutes_per_day: int | None,
    minutes_per_week: int | None,
    level: str,
) -> dict[str, Any]:
    return {
        "deadline": deadline.isoformat() if deadline else None,
        "minutes_per_day": minutes_per_day,
        "minutes_per_week": minutes_per_week,
        "level": level or "intermediate",
    }


def _editable_task(*, actor: UserRef, task_id: Any) -> Task:
    """A task the actor may edit (member or more), and one that may have subtasks."""
    task, _membership = task_for(user=actor, task_id=task_id, at_least=RoomRole.MEMBER)
    if task.parent_id is not None:
        raise ServiceError.for_field(
            "task_id",
            _("A subtask cannot have subtasks: concretize its parent task."),
            code="subtask_not_allowed",
        )
    return task


# ---------------------------------------------------------------------------------------------
# Asking


def request_plan(
    *,
    actor: UserRef,
    goal: str = "",
    task_id: Any = None,
    deadline: date | None = None,
    minutes_per_day: int | None = None,
    minutes_per_week: int | None = None,
    level: str = "",
    language: str = "",
) -> tuple[Plan, bool]:
    """A queued plan for a free-text goal or a task (its title is the goal when none is given,
    its deadline the plan's), and whether it is new: an identical request made within a day
    gets the stored plan back (not a failed or accepted one)."""
    goal = (goal or "").strip()
    task = _editable_task(actor=actor, task_id=task_id) if task_id not in (None, "") else None
    if task is not None:
        goal = goal or task.title
        deadline = deadline or _task_deadline(task)
    if not goal:
        raise ServiceError.for_field("goal", _("Give a goal or a task."), code="goal_or_task")
    if len(goal) > MAX_GOAL_CHARS:
        raise ServiceError.for_field(
            "goal",
            _("At most %(count)d characters.") % {"count": MAX_GOAL_CHARS},
            code="max_length",
        )
    if language not in LANGUAGES:
        language = detect_language(goal, preferred=translation.get_language() or "en")
    context = _context(
        deadline=deadline,
        minutes_per_day=minutes_per_day,
        minutes_per_week=minutes_per_week,
        level=level,
    )
    fingerprint = _fingerprint(
        owner=actor.id,
        task=task.id if task else None,
        goal=goal,
        context=context,
        language=language,
        answers=[],
    )
    with transaction.atomic():
        found = selectors.reusable_plan(owner_id=actor.id, fingerprint=fingerprint)
        if found is not None:
            return found, False
        plan = Plan.objects.create(
            owner_id=actor.id,
            task=task,
            goal=goal,
            language=language,
            context=context,
            fingerprint=fingerprint,
        )
        _schedule_job(plan)
    return plan, True


def answer_questions(
    *,
    actor: UserRef,
    plan_id: Any,
    answers: list[str],
    deadline: date | None = None,
    minutes_per_day: int | None = None,
    minutes_per_week: int | None = None,
) -> Plan:
    """The answers to a plan's clarifying questions: the plan is made again with them."""
    with transaction.atomic():
        plan = selectors.plan_for(owner_id=actor.id, plan_id=plan_id, lock=True)
        if plan.accepted_at is not None:
            raise _already_accepted()
        if plan.status != PlanStatus.DONE or not plan.questions:
            raise Conflict(_("This plan asks no questions."), code="no_questions", status_code=409)
        context = dict(plan.context)
        if deadline is not None:
            context["deadline"] = deadline.isoformat()
        if minutes_per_day is not None:
            context["minutes_per_day"] = minutes_per_day
        if minutes_per_week is not None:
            context["minutes_per_week"] = minutes_per_week
        plan.answers = [a.strip() for a in answers]
        plan.context = context
        plan.status = PlanStatus.QUEUED
        plan.questions = []
        plan.fingerprint = _fingerprint(
            owner=actor.id,
            task=plan.task_id,
            goal=plan.goal,
            context=context,
            language=plan.language,
            answers=plan.answers,
        )
        plan.save()
        _schedule_job(plan)
    return plan


def request_breakdown(*, actor: UserRef, plan_id: Any, step: int) -> tuple[Plan, bool]:
    """A finer breakdown of step `step` (1-based) of a plan: a new plan for that step, inside
    its estimate and suggested deadline."""
    parent = selectors.plan_for(owner_id=actor.id, plan_id=plan_id)
    if not 1 <= step <= len(parent.steps):
        raise NotFound(_("This plan has no such step."), code="step_not_found")
    found = parent.steps[step - 1]
    context = dict(parent.context)
    context["deadline"] = found.get("due") or context.get("deadline")
    goal = str(found.get("title") or "")[:MAX_GOAL_CHARS]
    fingerprint = _fingerprint(
        owner=actor.id, parent=parent.id, step=step, step_title=goal, context=context
    )
    with transaction.atomic():
        reused = selectors.reusable_plan(owner_id=actor.id, fingerprint=fingerprint)
        if reused is not None:
            return reused, False
        plan = Plan.objects.create(
            owner_id=actor.id,
            task_id=parent.task_id,
            parent=parent,
            parent_step=step,
            goal=goal,
            language=parent.language,
            context=context,
            fingerprint=fingerprint,
        )
        _schedule_job(plan)
    return plan, True


# ---------------------------------------------------------------------------------------------
# The job


def plan_request(plan: Plan) -> PlanRequest:
    context = plan.context or {}
    deadline = context.get("deadline")
    breakdown_of = None
    if plan.parent_id is not None and plan.parent_step:
        parent_steps = Plan.objects.filter(id=plan.parent_id).values_list("steps", flat=True)
        steps = parent_steps.first() or []
        if 1 <= plan.parent_step <= len(steps):
            breakdown_of = steps[plan.parent_step - 1]
        else:
            breakdown_of = {"title": plan.goal}
    return PlanRequest(
        goal=plan.goal,
        language=plan.language,
        today=_today_for(plan.owner_id),
        level=context.get("level") or "intermediate",
        deadline=date.fromisoformat(deadline) if deadline else None,
        minutes_per_day=context.get("minutes_per_day"),
        minutes_per_week=context.get("minutes_per_week"),
        answers=list(plan.answers or []),
        breakdown_of=breakdown_of,
        user_id=plan.owner_id,
    )


def run_plan(*, plan_id: Any) -> Plan | None:
    """The Celery job: claim a queued plan, ask the configured planner (the chat-completions API
    falls back to the rules by itself), store the result and tell the owner
    (`tasks.plan.concretized`, which notifications pushes to their socket). A plan already
    claimed (a redelivered job) is left alone."""
    from tasks.concretizer.llm import planner

    if not Plan.objects.filter(id=plan_id, status=PlanStatus.QUEUED).update(
        status=PlanStatus.RUNNING
    ):
        return None
    plan = Plan.objects.get(id=plan_id)
    started = time.perf_counter()
    try:
        with translation.override(plan.language):
            result: PlanResult | None = planner().plan(plan_request(plan))
        error = ""
    except Exception:  # a bug must not leave the plan running forever: it fails, visibly
        logger.exception("concretizer job failed", extra={"plan": str(plan.id)})
        result, error = None, "planner_error"
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(id=plan_id)
        plan.latency_ms = int((time.perf_counter() - started) * 1000)
        plan.finished_at = timezone.now()
        if result is None:
            plan.status, plan.error = PlanStatus.FAILED, error
        else:
            plan.status = PlanStatus.DONE
            plan.provider = result.provider
            plan.fallback_reason = result.fallback_reason
            plan.steps = result.steps
            plan.questions = result.questions
            plan.llm_calls = min(plan.llm_calls + result.llm_calls, 32_000)
        plan.save()
        publish_event(
            type="tasks.plan.concretized",
            key=plan.id,
            actor=plan.owner_id,
            data={
                "plan_id": plan.id,
                "owner_id": plan.owner_id,
                "task_id": plan.task_id,
                "parent_plan_id": plan.parent_id,
                "status": plan.status,
                "provider": plan.provider or None,
                "step_count": len(plan.steps),
                "question_count": len(plan.questions),
                "goal": plan.goal[:120],
                "recipient_ids": [plan.owner_id],
            },
        )
    return plan


# ---------------------------------------------------------------------------------------------
# Accepting


def _already_accepted() -> Conflict:
    return Conflict(
        _("This plan was already accepted."), code="plan_already_accepted", status_code=409
    )


def _clean_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The edited steps: 1 to 12, each with a title; `depends_on` names earlier steps only
    (1-based), so the dependencies can have no cycle. 400 naming `steps[i].<field>`."""
    if not 1 <= len(steps) <= MAX_STEPS:
        raise ServiceError.for_field(
            "steps",
            _("Give 1 to %(count)d steps.") % {"count": MAX_STEPS},
            code="invalid_count",
        )
    cleaned = []
    for index, step in enumerate(steps, start=1):
        title = str(step.get("title") or "").strip()
        field = f"steps[{index - 1}]"
        if not title:
            raise ServiceError.for_field(
                f"{field}.title", _("A step needs a title."), code="required"
            )
        if len(title) > MAX_TITLE_CHARS:
            raise ServiceError.for_field(
                f"{field}.title",
                _("At most %(count)d characters.") % {"count": MAX_TITLE_CHARS},
                code="max_length",
            )
        depends = step.get("depends_on") or []
        if any(not isinstance(d, int) or not 1 <= d < index for d in depends):
            raise ServiceError.for_field(
                f"{field}.depends_on",
                _("A step may depend on earlier steps only."),
                code="invalid_dependency",
            )
        cleaned.append({**step, "title": title, "depends_on": sorted(set(depends))})
    return cleaned


def _as_due(value: Any) -> date | datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, date | datetime):
        return value
    return date.fromisoformat(str(value))


def due_text(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date | datetime) else (value or None)


def accept_plan(
    *,
    actor: UserRef,
    plan_id: Any,
    steps: list[dict[str, Any]] | None = None,
    room_id: Any = None,
) -> tuple[Plan, Task, list[Task]]:
    """Make the (edited) steps subtasks of the plan's task, with their dependencies and
    deadlines, all in one transaction (any refusal makes none). A free-text goal first becomes
    a task in `room_id` (default: the person's personal space). Twice: 409."""
    from tasks.rooms.services import personal_space_for

    with transaction.atomic():
        plan = selectors.plan_for(owner_id=actor.id, plan_id=plan_id, lock=True)
        if plan.accepted_at is not None:
            raise _already_accepted()
        if plan.status != PlanStatus.DONE or not plan.steps:
            raise Conflict(
                _("This plan has no steps to accept yet."), code="plan_not_ready", status_code=409
            )
        chosen = _clean_steps(steps if steps is not None else plan.steps)
        if plan.task_id is not None:
            task = _editable_task(actor=actor, task_id=plan.task_id)
        else:
            if room_id in (None, ""):
                room_id = personal_space_for(user=actor).id
            deadline = plan.context.get("deadline")
            task = planning.create_task(
                actor=actor,
                room_id=room_id,
                title=plan.goal[:MAX_TITLE_CHARS],
                due=date.fromisoformat(deadline) if deadline else None,
            )
        made: list[Task] = []
        for step in chosen:
            made.append(
                planning.create_task(
                    actor=actor,
                    room_id=task.room_id,
                    title=step["title"],
                    description=str(step.get("description") or "")[:MAX_DESCRIPTION_CHARS],
                    estimate_minutes=step.get("estimate_minutes"),
                    due=_as_due(step.get("due")),
                    parent_id=task.id,
                    blocked_by_ids=[made[d - 1].id for d in step["depends_on"]],
                )
            )
        plan.accepted_at = timezone.now()
        plan.accepted_task = task
        plan.steps = [
            {
                "title": step["title"],
                "description": str(step.get("description") or ""),
                "estimate_minutes": step.get("estimate_minutes"),
                "due": due_text(step.get("due")),
                "depends_on": step["depends_on"],
                "n": index,
                "task_id": str(sub.id),
            }
            for index, (step, sub) in enumerate(zip(chosen, made, strict=True), start=1)
        ]
        plan.save(update_fields=["accepted_at", "accepted_task", "steps"])
        publish_event(
            type="tasks.plan.accepted",
            key=plan.id,
            actor=actor.id,
            data={
                "plan_id": plan.id,
                "owner_id": plan.owner_id,
                "task_id": task.id,
                "room_id": task.room_id,
                "subtask_ids": [sub.id for sub in made],
                "provider": plan.provider,
            },
        )
    return plan, task, made
