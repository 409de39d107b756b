"""Django admin of habits: habits (pauses and reminders inline), check-ins, pauses and
reminders load for a superuser and can be searched; the figures and history are read-only and
nothing is added or deleted there (those writes re-evaluate streaks and publish events)."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.contrib import admin
from django.urls import reverse

from habits.tracking.models import Checkin, Habit, Pause, Reminder
from habits.tracking.tests.conftest import Cast, today

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Habit, Checkin, Pause, Reminder], ids=lambda m: m.__name__)
def test_changelists_and_change_pages_load(
    admin_client: Any, cast: Cast, make_habit: Any, model: Any
) -> None:
    habit = make_habit()
    cast.owner.put(f"/api/habits/habits/{habit['id']}/checkins/", {}, format="json")
    Pause.objects.create(habit_id=habit["id"], start_date=today(), end_date=today())
    Reminder.objects.create(habit_id=habit["id"], local_time=time(7, 30))
    assert model in admin.site._registry
    meta = model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert admin_client.get(changelist, {"q": "Read"}).status_code == 200
    obj = model.objects.first()
    page = admin_client.get(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    )
    assert page.status_code == 200
    assert page.context["has_delete_permission"] is False
    add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
    assert admin_client.get(add).status_code == 403


def test_a_rename_in_admin_is_announced(
    admin_client: Any, make_habit: Any, published_events: Any
) -> None:
    habit = make_habit()
    url = reverse("admin:tracking_habit_change", args=[habit["id"]])
    response = admin_client.post(
        url,
        {
            "name": "Read more",
            "description": "",
            "color": "#4caf50",
            "icon": "",
            **{
                f"{prefix}-{key}": value
                for prefix in ("pauses", "reminders")
                for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))
            },
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert Habit.objects.get().name == "Read more"
    saved = published_events("habits.habit.saved")
    assert [e.data["habit_name"] for e in saved] == ["Read", "Read more"]
