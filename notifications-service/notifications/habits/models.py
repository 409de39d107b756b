"""What notifications knows of habits-service's habits: which are gone."""

from __future__ import annotations

from django.db import models


class DeletedHabit(models.Model):
    """A habit its owner deleted: its notifications went, and a late event about it (another
    topic than `habits.habit`, so in no fixed order with the deletion) tells nothing."""

    habit_id = models.UUIDField(primary_key=True)
    deleted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"habit {self.habit_id} deleted"
