"""Writes of card import: accept a file as a queued job, run it (in Celery), and write what it
holds in one transaction.

A job moves queued → running → done | failed; each step commits on its own and publishes
`habits.card_import.progressed` with it, so the job's percent and the event agree. The cards
themselves are written in one transaction at the end: a file that fails anywhere (a bad CSV
line, a damaged collection, a crash) leaves no note, card, deck or review behind. Percent
therefore moves by phase: 5 (claimed), 60 (file read, checked and converted), 100 (written).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cotask_common.errors import NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.users.models import UserRef
from habits.card_transfer import plan as planning
from habits.card_transfer.models import ImportFile, ImportJob, ImportKind, ImportStatus
from habits.card_transfer.problems import ImportProblem
from habits.cards.models import Card, CardProfile, CardState, Deck, Note, Review
from habits.cards.services import forecast_soon
from habits.tracking import evaluation

logger = logging.getLogger("cotask.habits.cards")

BATCH = 1000
DEFAULT_DAY_START_HOUR = 4


class DeckNotFound(NotFound):
    code = "deck_not_found"

    def __init__(self) -> None:
        super().__init__(_("No deck with this id."), code="deck_not_found")


class ImportNotFound(NotFound):
    code = "import_not_found"

    def __init__(self) -> None:
        super().__init__(_("No import with this id."), code="import_not_found")


def max_upload_bytes() -> int:
    return int(settings.HABITS_CARDS_IMPORT_MAX_BYTES)


def max_notes() -> int:
    return int(settings.HABITS_CARDS_IMPORT_MAX_NOTES)


def owned_deck(*, user: Any, deck_id: Any, lock: bool = False) -> Deck:
    """The person's deck, or 404 (also for a malformed id or someone else's deck)."""
    try:
        key = UUID(str(deck_id))
    except ValueError:
        raise DeckNotFound() from None
    rows = Deck.objects.filter(id=key, owner_id=user.id)
    deck = (rows.select_for_update() if lock else rows).first()
    if deck is None:
        raise DeckNotFound()
    return deck


def read_upload(upload: Any) -> bytes:
    """The uploaded file's bytes, refused (400 naming `file`) past the size limit without
    reading more than the limit."""
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise _too_big(upload.size, limit)
    data = b"".join(upload.chunks())
    if len(data) > limit:
        raise _too_big(len(data), limit)
    if not data:
        raise ServiceError.for_field("file", _("The file is empty."), code="empty_file")
    return data


def _too_big(size: int, limit: int) -> ServiceError:
    return ServiceError.for_field(
        "file",
        _("The file is %(size)s bytes; at most %(limit)s bytes may be imported.")
        % {"size": size, "limit": limit},
        code="too_big",
    )


# ---------------------------------------------------------------------------------------------
# Jobs


def import_create(
    *, user: Any, kind: str, data: bytes, filename: str = "", deck_id: Any = None
) -> ImportJob:
    """A queued import of `data` into the person's deck `deck_id` (required for CSV; for an
    .apkg, Anki's decks are made under it, or as top-level decks without it). The worker is
    asked to run it once the job is committed."""
    if kind == ImportKind.CSV and deck_id in (None, ""):
        raise ServiceError.for_field(
            "deck", _("Choose the deck the cards go into."), code="deck_needed"
        )
    with transaction.atomic():
        deck = owned_deck(user=user, deck_id=deck_id) if deck_id not in (None, "") else None
        job = ImportJob.objects.create(
            owner_id=user.id, deck=deck, kind=kind, filename=filename[:255], size=len(data)
        )
        ImportFile.objects.create(job=job, data=data)
        _publish(job)
        transaction.on_commit(lambda: _enqueue(job.id))
    return job


def _enqueue(job_id: UUID) -> None:
    from habits.card_transfer.tasks import run_import

    try:
        run_import.delay(str(job_id))
    except Exception:
        # The broker is down: the job stays queued; `requeue_imports` (beat) queues it again.
        logger.exception("could not queue a card import", extra={"job_id": str(job_id)})


def requeue_stale(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Queue again the jobs still queued after `older_than` (a lost message)."""
    cutoff = timezone.now() - older_than
    ids = list(
        ImportJob.objects.filter(status=ImportStatus.QUEUED, created_at__lt=cutoff).values_list(
            "id", flat=True
        )[:100]
    )
    for job_id in ids:
        _enqueue(job_id)
    return len(ids)


def _publish(job: ImportJob) -> None:
    publish_event(
        type="habits.card_import.progressed",
        key=job.id,
        actor=job.owner_id,
        data={
            "job_id": job.id,
            "owner_id": job.owner_id,
            "kind": job.kind,
            "status": job.status,
            "percent": job.percent,
            "counts": {k: int(v) for k, v in (job.counts.get("counts") or {}).items()},
            "error_code": job.error_code,
        },
    )


def _step(job: ImportJob, **changes: Any) -> None:
    """Record a step of the job (its own small transaction) and announce it."""
    with transaction.atomic():
        for name, value in changes.items():
            setattr(job, name, value)
        job.save(update_fields=list(changes))
        _publish(job)


def import_run(*, job_id: Any) -> ImportJob | None:
    """Run a queued job (the Celery task). A job already claimed, finished or gone is left
    alone, so a redelivered message does nothing."""
    claimed = ImportJob.objects.filter(id=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), percent=5
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("owner", "deck").get(id=job_id)
    with transaction.atomic():
        _publish(job)
    try:
        data = bytes(ImportFile.objects.values_list("data", flat=True).get(job_id=job.id))
        if job.kind == ImportKind.CSV:
            plan = planning.plan_csv(data, max_notes=max_notes())
        else:
            plan = planning.plan_apkg(data, max_notes=max_notes())
        _step(job, percent=60)
        with transaction.atomic():
            if job.deck_id is not None:
                # The target deck may have gone meanwhile (or changed hands: it cannot).
                target = Deck.objects.select_for_update().filter(id=job.deck_id).first()
                if target is None:
                    raise ImportProblem("target_deck_gone")
            else:
                target = None
            counts = write_plan(plan, owner=job.owner, target=target)
            job.status, job.percent = ImportStatus.DONE, 100
            job.counts = {"counts": counts, "converted_models": plan.converted_models}
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "percent", "counts", "finished_at"])
            ImportFile.objects.filter(job_id=job.id).delete()
            _publish(job)
            forecast_soon(user_id=job.owner_id)
    except ImportProblem as problem:
        _fail(job, code=problem.code, line=problem.line, params=problem.params)
    except Exception:
        logger.exception("card import failed", extra={"job_id": str(job.id)})
        _fail(job, code="internal", line=None, params={})
    return job


def _fail(job: ImportJob, *, code: str, line: int | None, params: dict[str, Any]) -> None:
    with transaction.atomic():
        job.status, job.error_code, job.error_line = ImportStatus.FAILED, code, line
        job.error_params = {k: v for k, v in params.items() if isinstance(v, str | int | float)}
        job.finished_at = timezone.now()
        job.save(
            update_fields=["status", "error_code", "error_line", "error_params", "finished_at"]
        )
        ImportFile.objects.filter(job_id=job.id).delete()
        _publish(job)


# ---------------------------------------------------------------------------------------------
# Writing a plan


def _study_day(instant: datetime, *, zone: Any, hour: int) -> Any:
    return (instant.astimezone(zone) - timedelta(hours=hour)).date()


def write_plan(plan: planning.Plan, *, owner: UserRef, target: Deck | None) -> dict[str, int]:
    """Create the plan's decks (reusing a same-named sub-deck that exists), notes, cards and
    reviews, in bulk, inside the caller's transaction. Notes whose Anki id was imported into
    this collection before are skipped (a second import of the same file adds nothing)."""
    now = timezone.now()
    zone = evaluation.zone_for(owner=owner)
    hour = CardProfile.objects.filter(owner=owner).values_list("day_start_hour", flat=True).first()
    hour = DEFAULT_DAY_START_HOUR if hour is None else hour
    decks = _decks(plan.decks, owner=owner, target=target)
    counts = dict(plan.counts)

    guids = {note.guid for note in plan.notes if note.guid}
    seen: set[str] = set()
    if guids:
        for chunk in _chunks(sorted(guids), BATCH):
            seen.update(
                Note.objects.filter(owner=owner, guid__in=chunk).values_list("guid", flat=True)
            )
    fresh = [note for note in plan.notes if not (note.guid and note.guid in seen)]
    if len(fresh) != len(plan.notes):
        counts["duplicates_skipped"] = len(plan.notes) - len(fresh)

    notes: list[Note] = []
    cards: list[Card] = []
    reviews: list[Review] = []
    for planned in fresh:
        deck = decks[planned.deck]
        note = Note(
            owner=owner,
            deck=deck,
            kind=planned.kind,
            front=planned.front,
            back=planned.back,
            text=planned.text,
            extra=planned.extra,
            tags=planned.tags,
            guid=planned.guid,
        )
        notes.append(note)
        for planned_card in planned.cards:
            card = Card(owner=owner, deck=deck, note=note, ordinal=planned_card.ordinal, due=now)
            s = planned_card.scheduling
            if s is not None:
                card.state = planning.STATES[s.state]
                card.step = 0 if s.state in ("learning", "relearning") else None
                card.stability, card.difficulty = s.stability, s.difficulty
                card.due = s.due or now
                card.last_review = s.last_review
                card.reps, card.lapses = s.reps, s.lapses
                card.suspended = s.suspended
                if s.buried:
                    # Anki's burying lasts until its next day: until our owner's next day starts.
                    start = _study_day(now, zone=zone, hour=hour) + timedelta(days=1)
                    card.buried_until = datetime.combine(
                        start, datetime.min.time(), tzinfo=zone
                    ).astimezone(UTC) + timedelta(hours=hour)
                if card.state != CardState.NEW:
                    card.due_day = _study_day(card.due, zone=zone, hour=hour)
            cards.append(card)
            for r in planned_card.reviews:
                reviews.append(
                    Review(
                        owner=owner,
                        card=card,
                        deck=deck,
                        rating=r.rating,
                        state=r.state,
                        elapsed_days=r.elapsed_days,
                        scheduled_days=r.scheduled_days,
                        duration_ms=r.duration_ms,
                        reviewed_at=r.reviewed_at,
                        day=_study_day(r.reviewed_at, zone=zone, hour=hour),
                    )
                )
    Note.objects.bulk_create(notes, batch_size=BATCH)
    Card.objects.bulk_create(cards, batch_size=BATCH)
    Review.objects.bulk_create(reviews, batch_size=BATCH)
    counts["notes"], counts["cards"], counts["reviews"] = len(notes), len(cards), len(reviews)
    return {k: int(v) for k, v in counts.items()}


def _decks(
    paths: list[tuple[str, ...]], *, owner: UserRef, target: Deck | None
) -> dict[tuple[str, ...], Deck]:
    """Each path's deck under `target` (or at the top), made where missing, parents first."""
    out: dict[tuple[str, ...], Deck] = {}
    if target is not None:
        out[()] = target
    existing: dict[tuple[Any, str], Deck] = {}
    for deck in Deck.objects.filter(owner=owner):
        existing.setdefault((deck.parent_id, deck.name), deck)
    for path in paths:
        parent = out.get(path[:-1]) if len(path) > 1 else target
        name = path[-1][:200]
        parent_id = parent.id if parent is not None else None
        found = existing.get((parent_id, name))
        if found is None:
            found = Deck.objects.create(
                owner=owner, parent=parent, name=name, search_text=name.lower()
            )
            existing[(parent_id, name)] = found
        out[path] = found
    return out


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def user_deleted(*, user_id: UUID) -> int:
    """A deleted account's import jobs go, with any file not imported yet. Idempotent."""
    with transaction.atomic():
        ImportFile.objects.filter(job__owner_id=user_id).delete()
        deleted, _rows = ImportJob.objects.filter(owner_id=user_id).delete()
    return deleted
