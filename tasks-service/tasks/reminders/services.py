"""Writes of reminders: a person's defaults, a task's override, a snooze. Each reschedules the
rows it affects in its own transaction (tasks/reminders/scheduling.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from cotask_common.errors import NotFound, ServiceError
from cotask_common.localtime import zone_named
from cotask_common.users.models import UserRef
from tasks.planning.selectors import task_for
from tasks.reminders import scheduling
from tasks.reminders.models import Kind, Reminder, ReminderSettings, TaskReminderOverride
from tasks.reminders.selectors import all_day_time_for, default_offsets_for
from tasks.rooms.access import membership_in
from tasks.rooms.models import Membership, RoomRole

MAX_SNOOZE_MINUTES = 1440


class ReminderNotFound(NotFound):
    """Someone else's reminder and a missing one look the same."""

    code = "reminder_not_found"

    def __init__(self) -> None:
        super().__init__(_("No reminder with this id."), code="reminder_not_found")


@transaction.atomic
def update_settings(
    *, user: UserRef, offsets_minutes: list[int] | None = None, all_day_time: time | None = None
) -> ReminderSettings:
    """Change the person's defaults (None: as it was); their reminders follow. Offsets are
    checked by the API's serializer (0..43200, at most 5, distinct)."""
    found = ReminderSettings.objects.select_for_update().filter(user_id=user.id).first()
    if found is None:
        found = ReminderSettings(
            user_id=user.id,
            offsets_minutes=default_offsets_for(user_id=user.id),
            all_day_time=all_day_time_for(user_id=user.id),
        )
    if offsets_minutes is not None:
        found.offsets_minutes = sorted(set(offsets_minutes), reverse=True)
    if all_day_time is not None:
        found.all_day_time = all_day_time.replace(second=0, microsecond=0, tzinfo=None)
    found.save()
    scheduling.reschedule_person(user_id=user.id)
    return found


def set_task_offsets(*, user: UserRef, task_id: Any, offsets_minutes: list[int] | None) -> Any:
    """The task's own offsets for everyone it reminds (None: each person's defaults). A member
    of the task's room (viewers may only read); anyone else gets the task's 404."""
    task, _membership = task_for(user=user, task_id=task_id, at_least=RoomRole.MEMBER)
    with transaction.atomic():
        # The room's lock, as every write of its tasks takes it: no deadline edit interleaves.
        membership_in(user=user, room_id=task.room_id, at_least=RoomRole.MEMBER, lock=True)
        if offsets_minutes is None:
            TaskReminderOverride.objects.filter(task_id=task.id).delete()
        else:
            TaskReminderOverride.objects.update_or_create(
                task_id=task.id,
                defaults={
                    "offsets_minutes": sorted(set(offsets_minutes), reverse=True),
                    "updated_by_id": user.id,
                },
            )
        scheduling.reschedule_tasks(task_ids=[task.id])
    return task


@transaction.atomic
def snooze(*, user: UserRef, reminder_id: Any, minutes: int) -> Reminder:
    """The reminder comes again `minutes` from now (sent or not yet). Only the person it is for
    (anyone else: 404, as for a missing one); not past the deadline."""
    try:
        rid = reminder_id if isinstance(reminder_id, UUID) else UUID(str(reminder_id))
    except ValueError:
        raise ReminderNotFound() from None
    member = Membership.objects.filter(room_id=OuterRef("task__room_id"), user_id=user.id)
    reminder = (
        Reminder.objects.select_for_update(of=("self",))
        .select_related("task", "task__room", "user")
        .filter(id=rid, user_id=user.id, kind=Kind.REMINDER)
        .filter(Exists(member))
        .first()
    )
    if reminder is None:
        raise ReminderNotFound()
    now = timezone.now()
    at = now + timedelta(minutes=minutes)
    task = reminder.task
    if task.due_date is None and task.due_at is None:
        raise ReminderNotFound()  # the row is going with its deadline
    deadline: datetime = scheduling.overdue_at_for(
        due_date=task.due_date, due_at=task.due_at, zone=zone_named(reminder.user.time_zone)
    )
    if at >= deadline:
        raise ServiceError.for_field(
            "minutes",
            _("A reminder cannot be snoozed past the task's deadline."),
            code="past_deadline",
        )
    reminder.remind_at, reminder.sent_at, reminder.snoozed_at = at, None, now
    reminder.save(update_fields=["remind_at", "sent_at", "snoozed_at"])
    return reminder
