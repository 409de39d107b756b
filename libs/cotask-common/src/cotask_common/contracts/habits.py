"""habits-service's events: habits, check-ins, streaks, reminders, media references.

Producer: habits-service (`habits/<app>/services.py`, always inside the change's transaction).
Ids are UUID strings; `day` is a calendar date in the owner's time zone. A streak counts the
habit's scheduled periods in a row that succeeded: days for day-based schedules (every day,
chosen weekdays, every N days, N times a day), weeks for "N times per week" (`streak_unit`).
Names are the values at the time of the change. Only the owner ever reads a habit, so every
notification goes to `owner_id`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, NotRequired
from uuid import UUID

from pydantic import Field
from typing_extensions import TypedDict

from cotask_common.contracts import references
from cotask_common.contracts.references import (
    ACCESS_GRANTED_CONSUMERS,
    ACCESS_KEY,
    ACCESS_REVOKED_CONSUMERS,
    ATTACHED_CONSUMERS,
    DETACHED_CONSUMERS,
    REFERENCE_KEY,
)
from cotask_common.contracts.registry import declare

ScheduleKind = Literal["daily", "weekdays", "times_per_week", "every_n_days", "times_per_day"]
StreakUnit = Literal["day", "week"]
MAX_PAUSES = 100
"""pauses a habit may hold (habits-service refuses more)"""
STREAK_MILESTONES = (7, 30, 100, 365)
"""streak lengths (in `streak_unit`s) that publish `habits.streak.milestone`, once per streak"""

HABIT_KEY = "the habit's id"
OWNER_KEY = "the owner's id"
# tasks-service's agenda keeps a projection of habits, check-ins and the cards' load.
AGENDA = "the agenda's projection (tasks/agenda); the owner's agenda changes live"


class HabitRef(TypedDict):
    habit_id: UUID
    owner_id: UUID
    habit_name: Annotated[str, Field(max_length=100)]


class Schedule(TypedDict):
    kind: ScheduleKind
    weekdays: list[Annotated[int, Field(ge=0, le=6)]]
    """Monday = 0; only for `weekdays`, else empty"""
    times: Annotated[int, Field(ge=1, le=7 * 24)]
    """per week (`times_per_week`, 1 to 7), per day (`times_per_day`), else 1"""
    interval_days: Annotated[int, Field(ge=1, le=365)]
    """for `every_n_days` (counted from `start_date`), else 1"""


class PauseRange(TypedDict):
    """A vacation: no day from `start_date` to `end_date` (both included) is scheduled."""

    start_date: date
    end_date: date


class HabitData(HabitRef):
    schedule: Schedule
    start_date: date
    time_zone: str
    """the owner's IANA zone the habit's days are counted in"""
    archived: bool
    pauses: NotRequired[Annotated[list[PauseRange], Field(max_length=MAX_PAUSES)]]
    """the current and future pauses (ending today or later in `time_zone`), by start;
    absent from events published before pauses travelled"""


# ---------------------------------------------------------------------------------------------
# Habits — topic `habits.habit`


@declare("habits.habit.saved", key=HABIT_KEY, consumers={"tasks": AGENDA})
class HabitSaved(HabitData):
    """A habit was created, or its name, schedule, start, time zone, archive state or pauses
    changed (a pause added or removed): the whole current state, a consumer keeps the
    latest."""


@declare(
    "habits.habit.deleted",
    key=HABIT_KEY,
    consumers={
        "notifications": "takes the habit's notifications back; nothing more about it",
        "tasks": AGENDA,
    },
)
class HabitDeleted(HabitRef):
    """The owner deleted the habit, or the owner's account went (with its check-ins)."""


# ---------------------------------------------------------------------------------------------
# Check-ins and streaks — topic `habits.checkin`, `habits.streak`, `habits.freeze`


class StreakFigures(TypedDict):
    current_streak: Annotated[int, Field(ge=0)]
    best_streak: Annotated[int, Field(ge=0)]
    streak_unit: StreakUnit


@declare("habits.checkin.recorded", key=HABIT_KEY, consumers={"tasks": AGENDA})
class CheckinRecorded(HabitRef, StreakFigures):
    """A check-in for `day` was recorded or changed (the same day twice updates it)."""

    day: date
    value: float
    """1 for a yes/no habit, the measured amount for a measurable one"""
    done: bool
    """the day's check-ins meet the habit's target"""


@declare("habits.checkin.undone", key=HABIT_KEY, consumers={"tasks": AGENDA})
class CheckinUndone(HabitRef, StreakFigures):
    """The owner removed the check-in of `day`."""

    day: date


@declare(
    "habits.streak.milestone",
    key=HABIT_KEY,
    consumers={
        "notifications": "tells the owner (`habit_streak_milestone`)",
        "social": "a `progress` post on the owner's personal page when they opted in "
        "(`streak_milestone`)",
    },
)
class StreakMilestone(HabitRef):
    """The current streak reached one of `STREAK_MILESTONES` (once per streak and length)."""

    length: Literal[7, 30, 100, 365]
    streak_unit: StreakUnit


@declare(
    "habits.streak.broken",
    key=HABIT_KEY,
    consumers={"notifications": "tells the owner (`habit_streak_broken`)"},
)
class StreakBroken(HabitRef):
    """A scheduled period ended unmet with no freeze left, ending a streak of `length`
    (published only for streaks of at least 2)."""

    length: Annotated[int, Field(ge=2, examples=[12])]
    streak_unit: StreakUnit
    day: date
    """the first day of the missed period"""


@declare(
    "habits.freeze.used",
    key=HABIT_KEY,
    consumers={"notifications": "tells the owner (`habit_freeze_used`)"},
)
class FreezeUsed(HabitRef):
    """A held freeze was spent on a missed scheduled period, keeping the streak."""

    day: date
    """the first day of the period it covered"""
    freezes_left: Annotated[int, Field(ge=0, le=2)]
    current_streak: Annotated[int, Field(ge=0)]
    streak_unit: StreakUnit


# ---------------------------------------------------------------------------------------------
# Reminders — topic `habits.reminder`


LocalTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["07:30"])]
MAX_REMINDED_HABITS = 50
"""habits one `habits.reminder.due` (v2) lists at most; more due at the same instant are
published as several events"""


@declare(
    "habits.reminder.due",
    key=HABIT_KEY,
    consumers={"notifications": "tells the owner (`habit_reminder`, in-app, live, email)"},
)
class ReminderDue(HabitRef):
    """Version 1 (no longer published; consumers accept it): one habit's reminder time came
    on a scheduled day not yet checked in (sent once)."""

    day: date
    local_time: LocalTime
    """HH:MM in the owner's time zone"""


class RemindedHabit(TypedDict):
    habit_id: UUID
    habit_name: Annotated[str, Field(max_length=100)]


@declare(
    "habits.reminder.due",
    version=2,
    key=OWNER_KEY,
    consumers={
        "notifications": "tells the owner once for the listed habits (`habit_reminder`, "
        "in-app, live, email)"
    },
)
class ReminderDueV2(TypedDict):
    """Reminder times of the owner's habits came at one instant, on a scheduled day: one event
    per owner, instant and local time lists them (each reminder once, ever; a habit whose day
    is already done is left out). More than `MAX_REMINDED_HABITS` are split over several
    events, and a pass whose batches split an owner's rows may publish two for one instant."""

    owner_id: UUID
    day: date
    """the owner's local day the reminders are for"""
    local_time: LocalTime
    """HH:MM in the owner's time zone, the listed reminders' time (one whose local time a
    clock change skipped fires at the shifted instant, in an event of its own)"""
    habits: Annotated[list[RemindedHabit], Field(min_length=1, max_length=MAX_REMINDED_HABITS)]
    """in the owner's manual order of habits"""


# ---------------------------------------------------------------------------------------------
# Card imports — topic `habits.card_import`

ImportStatus = Literal["queued", "running", "done", "failed"]


@declare(
    "habits.card_import.progressed",
    key="the import job's id",
    consumers={"notifications": "a live `card_import` frame on the owner's sockets (not stored)"},
)
class CardImportProgressed(TypedDict):
    """An import of cards (CSV or Anki .apkg) moved on: started, finished a phase (reading,
    converting), finished or failed. Published after each committed step, so a client told
    of it can read the job (`GET /api/habits/cards/imports/{id}/`) and see the same."""

    job_id: UUID
    owner_id: UUID
    kind: Literal["csv", "apkg"]
    status: ImportStatus
    percent: Annotated[int, Field(ge=0, le=100)]
    counts: dict[str, int]
    """what was imported (`decks`, `notes`, `cards`, `reviews`) and converted or skipped"""
    error_code: str
    """a failed job's problem (stable code), else empty"""


@declare("habits.media.attached", key=REFERENCE_KEY, consumers=ATTACHED_CONSUMERS)
class MediaAttached(references.MediaAttached):
    """Reserved: a habit or a card uses these files."""


@declare("habits.media.detached", key=REFERENCE_KEY, consumers=DETACHED_CONSUMERS)
class MediaDetached(references.MediaDetached):
    """Reserved: a habit or a card no longer uses these files."""


@declare("habits.media.access_granted", key=ACCESS_KEY, consumers=ACCESS_GRANTED_CONSUMERS)
class MediaAccessGranted(references.AccessGranted):
    """Reserved: the readers of a shared deck (`deck:<id>`) may read the audience's private
    files (none is published yet)."""


@declare("habits.media.access_revoked", key=ACCESS_KEY, consumers=ACCESS_REVOKED_CONSUMERS)
class MediaAccessRevoked(references.AccessRevoked):
    """Reserved: the readers of a shared deck (`deck:<id>`) may no longer read the
    audience's private files."""


# ---------------------------------------------------------------------------------------------
# Cards — topic `habits.cards`

DECK_KEY = "the deck's id"


@declare("habits.cards.deck_published", key=DECK_KEY)
class DeckPublished(TypedDict):
    """The owner made a deck public: anyone signed in can now find and copy it."""

    deck_id: UUID
    owner_id: UUID
    name: Annotated[str, Field(max_length=200)]
    tags: list[Annotated[str, Field(max_length=50)]]
    notes: Annotated[int, Field(ge=0)]
    """how many notes the deck had when published"""
    published_at: datetime


@declare(
    "habits.cards.review_summary",
    key=OWNER_KEY,
    consumers={
        "tasks": "the agenda's minutes per card (the recent average answer time)",
        "social": "a `progress` post on the owner's personal page when they opted in: "
        "`cards_daily` for every summary, `cards_weekly` for the week's total on its last day "
        "(Sunday)",
    },
)
class ReviewSummary(TypedDict):
    """A person's study day ended with at least one answer (once per person and day)."""

    owner_id: UUID
    day: date
    """the study day (the owner's zone; the day starts at their chosen hour)"""
    reviews: Annotated[int, Field(ge=0)]
    again: Annotated[int, Field(ge=0)]
    """answers rated again"""
    new_cards: Annotated[int, Field(ge=0)]
    """cards seen for the first time"""
    duration_ms: Annotated[int, Field(ge=0)]
    retention: Annotated[float, Field(ge=0, le=1, examples=[0.9])] | None
    """share of review-state answers not rated again (None: no review-state answer)"""


@declare(
    "habits.cards.due",
    key=OWNER_KEY,
    consumers={"notifications": "tells the owner (`cards_due`, in-app, live, email)"},
)
class CardsDue(TypedDict):
    """The person's daily "cards due" reminder time came and cards are waiting (once a day)."""

    owner_id: UUID
    day: date
    local_time: Annotated[
        str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["19:00"])
    ]
    """HH:MM in the owner's time zone"""
    new: Annotated[int, Field(ge=0)]
    learning: Annotated[int, Field(ge=0)]
    review: Annotated[int, Field(ge=0)]


FORECAST_DAYS = 7
"""days `habits.cards.forecast` covers: the calendar day (owner's zone) it was made on and the
six after"""


class ForecastDay(TypedDict):
    day: date
    cards: Annotated[int, Field(ge=0)]
    """cards due that calendar day: today's queue as the person sees it (within the decks'
    daily limits) plus the review cards whose study day begins later today, then the review
    cards whose study day begins each later day"""


@declare("habits.cards.forecast", key=OWNER_KEY, consumers={"tasks": AGENDA})
class CardsForecast(TypedDict):
    """The person's cards due over the next `FORECAST_DAYS` calendar days of their zone.
    Published through the outbox by the cards pass (`habits.cards.daily`, every minute) at most
    once a minute after the queue changed (answers, undo, a deck or note change, an import), and
    daily at the study day's start and at local midnight. The whole current state: a consumer
    keeps the latest `made_at`."""

    owner_id: UUID
    made_at: datetime
    days: Annotated[list[ForecastDay], Field(min_length=1, max_length=FORECAST_DAYS)]
