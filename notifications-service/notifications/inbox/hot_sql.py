"""The statements `services.notify` runs for every event, written once.

The ORM compiles a queryset into SQL on every call, and for `notify` that compiling was most of
a notification's CPU at 100 events/s (bench/notifications_e2e_latency.py; statement by
statement, bench/hot_sql.py). Each statement has its ORM twin below (`*_orm`), which says what it
means; inbox/tests/test_hot_sql.py runs both on the same data and requires the same result.
Only the models' own quoted table and column names are interpolated; every value is a parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import connections
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from cotask_common.statements import Columns, Statement
from notifications.inbox.models import CHANNELS, Delivery, Notification, Preference, Recipient

# The fields `services.notify` changes when one more actor joins a grouped notification.
REGROUPED = (
    "actor_id",
    "actor_name",
    "actor_count",
    "sequence",
    "text",
    "language",
    "data",
    "email_state",
    "updated_at",
)


@dataclass(frozen=True)
class HotStatements:
    lock_recipient: Statement
    set_sequence: Statement
    open_group: Statement
    regroup: Statement
    link_delivery: Statement


@functools.cache
def statements() -> HotStatements:
    using = Recipient.objects.db
    r, a = Columns(Recipient, "r", using=using), Columns(Recipient, "a", using=using)
    p = Columns(Preference, "p", using=using)
    n, d = Columns(Notification, using=using), Columns(Delivery, using=using)
    channels = ", ".join(f"{p(channel)} AS pref_{channel}" for channel in CHANNELS)
    # FOR UPDATE OF locks the recipient's row only, not the preference and actor it joins to
    # (SQLite has no row locks and one writer at a time anyway).
    lock = " FOR UPDATE OF r" if connections[using].features.has_select_for_update_of else ""
    return HotStatements(
        lock_recipient=Statement(
            f"SELECT {r.all()}, {channels}, {a('display_name')} AS actor_display_name,"
            f" {a('username')} AS actor_username, {a('is_deleted')} AS actor_deleted"
            f" FROM {r.table} r"
            f" LEFT JOIN {p.table} p ON {p('recipient')} = {r('id')} AND {p('type')} = %s"
            f" LEFT JOIN {a.table} a ON {a('id')} = %s WHERE {r('id')} = %s{lock}",
            [p.field("type"), a.field("id"), r.field("id")],
            using=using,
        ),
        set_sequence=Statement(
            f"UPDATE {r.table} SET {r.name('last_sequence')} = %s WHERE {r.name('id')} = %s",
            [r.field("last_sequence"), r.field("id")],
            using=using,
        ),
        # The newest unread notification of the group within the window: a burst of likes
        # on one post becomes "A and 12 others".
        open_group=Statement(
            f"SELECT {n.all()} FROM {n.table} WHERE {n('recipient')} = %s AND {n('group_key')} = %s"
            f" AND {n('read_at')} IS NULL AND {n('in_app')} = %s AND {n('updated_at')} >= %s"
            f" ORDER BY {n('sequence')} DESC LIMIT 1",
            [n.field("recipient"), n.field("group_key"), n.field("in_app"), n.field("updated_at")],
            using=using,
        ),
        # What a burst changes on the grouped notification (see `regroup`).
        regroup=Statement(
            f"UPDATE {n.table} SET {', '.join(f'{n.name(f)} = %s' for f in REGROUPED)}"
            f" WHERE {n.name('id')} = %s",
            [*(n.field(f) for f in REGROUPED), n.field("id")],
            using=using,
        ),
        link_delivery=Statement(
            f"UPDATE {d.table} SET {d.name('notification_id')} = %s WHERE {d.name('id')} = %s",
            [d.field("notification_id"), d.field("id")],
            using=using,
        ),
    )


def regroup(notification: Notification) -> None:
    """`notification.save(update_fields=REGROUPED)` for `notify`, without compiling a query:
    one more actor joined a grouped notification. `updated_at` is set here, as auto_now would.
    (A new notification is the ORM's `save(force_insert=True)`: written by hand it saved too
    little to keep, see docs/decisions.md.)"""
    notification.updated_at = timezone.now()
    values = (getattr(notification, name) for name in REGROUPED)
    statements().regroup.execute(*values, notification.id)


# ---------------------------------------------------------------------------------------------
# The ORM twins: the same reads and writes, compiled by the ORM on every call.


def lock_recipient_orm(type: str, actor_id: UUID | None, recipient_id: UUID) -> list[Recipient]:
    """`statements().lock_recipient.fetch(Recipient, type, actor_id, recipient_id)`."""
    preference = Preference.objects.filter(recipient=OuterRef("id"), type=type)
    # No actor: nobody's name (the statement's join on `= NULL` matches no row either).
    actor = Recipient.objects.filter(id=actor_id) if actor_id else Recipient.objects.none()
    rows = (
        Recipient.objects.select_for_update(of=("self",))
        .filter(id=recipient_id)
        .annotate(
            **{f"pref_{c}": Subquery(preference.values(c)[:1]) for c in CHANNELS},
            actor_display_name=Subquery(actor.values("display_name")[:1]),
            actor_username=Subquery(actor.values("username")[:1]),
            actor_deleted=Subquery(actor.values("is_deleted")[:1]),
        )
    )
    return list(rows)


def set_sequence_orm(last_sequence: int, recipient_id: UUID) -> int:
    """`statements().set_sequence.execute(last_sequence, recipient_id)`."""
    return Recipient.objects.filter(id=recipient_id).update(last_sequence=last_sequence)


def open_group_orm(
    recipient_id: UUID, group_key: str, in_app: bool, since: datetime
) -> list[Notification]:
    """`statements().open_group.fetch(Notification, recipient_id, group_key, in_app, since)`."""
    rows = Notification.objects.filter(
        recipient_id=recipient_id,
        group_key=group_key,
        read_at__isnull=True,
        in_app=in_app,
        updated_at__gte=since,
    )
    return list(rows.order_by("-sequence")[:1])


def regroup_orm(notification: Notification) -> None:
    """`regroup(notification)`."""
    notification.save(update_fields=REGROUPED)


def link_delivery_orm(notification_id: UUID, delivery_id: Any) -> int:
    """`statements().link_delivery.execute(notification_id, delivery_id)`."""
    return Delivery.objects.filter(id=delivery_id).update(notification_id=notification_id)
