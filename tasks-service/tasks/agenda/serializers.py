"""Input and output shapes of the agenda API."""

from __future__ import annotations

from rest_framework import serializers


class PlanInput(serializers.Serializer):
    day = serializers.DateField(
        allow_null=True, help_text="The day I plan to do the task (YYYY-MM-DD); null: unplanned."
    )


class AgendaRoom(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.CharField()


class AgendaTask(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    planned_for = serializers.DateField(allow_null=True, help_text="My planned day (no deadline).")
    estimate_minutes = serializers.IntegerField(allow_null=True)
    minutes = serializers.IntegerField(help_text="The estimate, else AGENDA_TASK_MINUTES.")
    overdue = serializers.BooleanField()
    movable = serializers.BooleanField(help_text="No deadline: the planner may suggest a day.")
    room = AgendaRoom()


class AgendaHabit(serializers.Serializer):
    habit_id = serializers.UUIDField()
    name = serializers.CharField()
    schedule = serializers.CharField()
    times = serializers.IntegerField()
    done = serializers.BooleanField()


class AgendaCards(serializers.Serializer):
    due = serializers.IntegerField(allow_null=True, help_text="null: no forecast for the day.")
    minutes = serializers.IntegerField()


class AgendaMinutes(serializers.Serializer):
    tasks = serializers.IntegerField()
    habits = serializers.IntegerField()
    cards = serializers.IntegerField()
    total = serializers.IntegerField()


class AgendaDay(serializers.Serializer):
    day = serializers.DateField()
    overdue = AgendaTask(many=True, help_text="Past their deadline (only on today).")
    tasks = AgendaTask(many=True, help_text="By deadline, then priority.")
    habits = AgendaHabit(many=True)
    cards = AgendaCards()
    minutes = AgendaMinutes()


class AgendaOutput(serializers.Serializer):
    time_zone = serializers.CharField()
    today = serializers.DateField()
    day_minutes = serializers.IntegerField(help_text="What a day holds before the planner acts.")
    days = AgendaDay(many=True)


class SuggestionTask(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()


class SuggestionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    task = SuggestionTask()
    from_day = serializers.DateField()
    to_day = serializers.DateField()
    minutes = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
