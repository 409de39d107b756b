"""Import jobs: a file someone uploaded to become cards, and how far its import got.

The uploaded bytes wait in `ImportFile` (a row of its own, so reading a job never loads them)
until the worker has imported them; the row goes when the job ends, whatever the outcome."""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef
from habits.cards.models import Deck


class ImportKind(models.TextChoices):
    CSV = "csv", "CSV"
    APKG = "apkg", "Anki package"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class ImportJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="card_imports")
    # The deck the cards go into (CSV), or under which Anki's decks are made (.apkg; None: as
    # top-level decks). SET_NULL: deleting the deck keeps the record of the import.
    deck = models.ForeignKey(
        Deck, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports"
    )
    kind = models.CharField(max_length=8, choices=ImportKind.choices)
    filename = models.CharField(max_length=255, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    percent = models.PositiveSmallIntegerField(default=0)
    # What was imported: decks, notes, cards, reviews, and what was converted or skipped.
    counts = models.JSONField(default=dict, blank=True)
    # A failed job's problem: a stable code, the CSV line if any, the message's parameters
    # (rendered in the reader's language when read, see problems.py).
    error_code = models.CharField(max_length=32, blank=True, default="")
    error_line = models.PositiveIntegerField(null=True, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "id"])]

    def __str__(self) -> str:
        return f"{self.kind} import {self.id} ({self.status})"


class ImportFile(models.Model):
    job = models.OneToOneField(
        ImportJob, on_delete=models.CASCADE, primary_key=True, related_name="file"
    )
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"file of {self.job_id}"
