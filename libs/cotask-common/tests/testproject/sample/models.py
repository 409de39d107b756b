"""Models the shared kit's own tests use (e.g. a business change written with its event)."""

from django.db import models

from cotask_common.ids import uuid7


class Note(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class Tally(models.Model):
    """Counters per name and day, for the kit's single-statement upsert."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=50)
    day = models.DateField()
    hits = models.IntegerField(default=0)
    misses = models.IntegerField(default=0)
    seen_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="tally_name_day")]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"
