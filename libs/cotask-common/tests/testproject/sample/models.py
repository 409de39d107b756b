"""Models the shared kit's own tests use (e.g. a business change written with its event)."""

from django.db import models

from cotask_common.ids import uuid7


class Note(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title
