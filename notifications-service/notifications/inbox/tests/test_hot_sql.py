"""Every hand-written statement of `inbox/hot_sql.py` gives what its ORM twin gives, on the same
data: the same result and the same rows afterwards (PostgreSQL in CI; `DATABASE_URL=` runs it
on SQLite, where the recipient's lock has no `FOR UPDATE OF`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cotask_common.testing.parity import same
from notifications.inbox import hot_sql
from notifications.inbox.models import CHANNELS, Delivery, Notification, Preference, Recipient

pytestmark = pytest.mark.django_db

LIKE = "social.like.created"


def fields(instance: Any, *extra: str) -> tuple[Any, ...]:
    names = [f.attname for f in type(instance)._meta.concrete_fields]
    return tuple(getattr(instance, name) for name in [*names, *extra])


def notifications() -> list[tuple[Any, ...]]:
    return [fields(n) for n in Notification.objects.order_by("id")]


@pytest.fixture
def people() -> tuple[Recipient, Recipient, Recipient]:
    reader = Recipient.objects.create(id=uuid.uuid4(), username="rea", language="ru")
    plain = Recipient.objects.create(id=uuid.uuid4(), username="pla")
    actor = Recipient.objects.create(
        id=uuid.uuid4(), username="ann", display_name="Ann", is_deleted=True
    )
    Preference.objects.create(recipient=reader, type=LIKE, in_app=True, realtime=False, email=True)
    Preference.objects.create(recipient=reader, type="other", in_app=False, realtime=False)
    return reader, plain, actor


def test_lock_recipient(people: tuple[Recipient, Recipient, Recipient]) -> None:
    reader, plain, actor = people
    extras = [f"pref_{c}" for c in CHANNELS] + [
        "actor_display_name",
        "actor_username",
        "actor_deleted",
    ]
    cases = [
        (LIKE, actor.id, reader.id),  # a preference and a known actor
        (LIKE, None, reader.id),  # no actor
        (LIKE, uuid.uuid4(), plain.id),  # no preference, an unknown actor
        (LIKE, actor.id, uuid.uuid4()),  # nobody
    ]

    def run(lock: Callable[..., list[Recipient]]) -> Callable[[], list[Any]]:
        # Booleans the SQL reads beside the model's columns come as the driver gives them
        # (0/1 on SQLite): the service reads them with bool() and `is None`, so compare so.
        def normal(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(v if v is None or isinstance(v, str) else bool(v) for v in row[-6:])

        return lambda: [
            [(*fields(r), *normal(fields(r, *extras))) for r in lock(*case)] for case in cases
        ]

    statement = hot_sql.statements().lock_recipient
    found, _ = same(
        run(lambda *case: statement.fetch(Recipient, *case)),
        run(hot_sql.lock_recipient_orm),
        lambda: None,
    )
    first, no_actor, unknown, nobody = found
    assert first[0][-6:] == (True, False, True, "Ann", "ann", True)
    assert no_actor[0][-3:] == (None, None, None)
    assert unknown[0][-6:] == (None,) * 6
    assert nobody == []


def test_set_sequence_and_link_delivery(people: tuple[Recipient, Recipient, Recipient]) -> None:
    reader, plain, _ = people
    delivery = Delivery.objects.create(event_id=uuid.uuid4(), recipient_id=reader.id)
    other = Delivery.objects.create(event_id=uuid.uuid4(), recipient_id=plain.id)
    target = uuid.uuid4()
    statements = hot_sql.statements()

    def state() -> list[Any]:
        return [
            sorted(Recipient.objects.values_list("id", "last_sequence"), key=str),
            sorted(Delivery.objects.values_list("id", "notification_id"), key=str),
        ]

    counts, after = same(
        lambda: (
            statements.set_sequence.execute(7, reader.id),
            statements.link_delivery.execute(target, delivery.id),
            statements.link_delivery.execute(target, 10**9),
        ),
        lambda: (
            hot_sql.set_sequence_orm(7, reader.id),
            hot_sql.link_delivery_orm(target, delivery.id),
            hot_sql.link_delivery_orm(target, 10**9),
        ),
        state,
    )
    assert counts == (1, 1, 0)
    assert (reader.id, 7) in after[0] and (plain.id, 0) in after[0]
    assert (delivery.id, target) in after[1] and (other.id, None) in after[1]


def test_open_group(people: tuple[Recipient, Recipient, Recipient]) -> None:
    reader, plain, _ = people
    now = timezone.now()

    def make(sequence: int, **values: Any) -> Notification:
        row = Notification.objects.create(
            recipient=values.pop("recipient", reader), sequence=sequence, type=LIKE,
            text="t", group_key=values.pop("group_key", "g"), **values,
        )  # fmt: skip
        updated = values.get("updated_at", now)
        Notification.objects.filter(id=row.id).update(updated_at=updated)  # not auto_now
        return row

    make(1)
    newest = make(2)
    make(3, read_at=now)  # read: not open
    make(4, in_app=False)
    make(5, group_key="h")
    make(6, recipient=plain)
    make(7, updated_at=now - timedelta(days=2))  # outside the window
    statement = hot_sql.statements().open_group
    cases = [
        (reader.id, "g", True, now - timedelta(hours=1)),
        (reader.id, "g", False, now - timedelta(hours=1)),
        (reader.id, "g", True, now - timedelta(days=3)),
        (reader.id, "none", True, now - timedelta(hours=1)),
    ]
    found, _ = same(
        lambda: [[fields(n) for n in statement.fetch(Notification, *c)] for c in cases],
        lambda: [[fields(n) for n in hot_sql.open_group_orm(*c)] for c in cases],
        lambda: None,
    )
    sequences = [[row[2] for row in rows] for rows in found]
    assert found[0][0][0] == newest.id
    assert sequences == [[2], [4], [7], []]


def test_regroup_changes_only_the_regrouped_fields(
    people: tuple[Recipient, Recipient, Recipient],
) -> None:
    reader, _, actor = people
    Notification.objects.create(recipient=reader, sequence=1, type=LIKE, text="old")
    grouped = Notification.objects.create(
        recipient=reader, sequence=2, type=LIKE, actor_id=actor.id, actor_name="Ann",
        target_service="social", target_kind="post", target_id="p1", group_key="g",
        text="Ann liked", language="ru", data={"actor_ids": [str(actor.id)]}, realtime=False,
    )  # fmt: skip
    created, updated = grouped.created_at, grouped.updated_at

    def run(regroup: Callable[[Notification], None]) -> Callable[[], None]:
        def calls() -> None:
            # One more actor joins it: the REGROUPED fields change, the others must not.
            joined = Notification.objects.get(id=grouped.id)
            joined.actor_count, joined.sequence, joined.text = 2, 3, "Bob and 1 other"
            joined.actor_id, joined.actor_name = None, "Bob"
            joined.data = {"actor_ids": ["b", str(actor.id)]}
            joined.email_state, joined.language = "queued", "uk"
            joined.target_id = "changed, but not a regrouped field"
            regroup(joined)

        return calls

    def rows() -> list[tuple[Any, ...]]:
        # updated_at is each write's own time: compared as "moved on" or "as it was".
        return [
            (*fields(n)[:-1], "moved on" if n.updated_at > updated else n.updated_at)
            for n in Notification.objects.order_by("sequence")
        ]

    _, after = same(run(hot_sql.regroup), run(hot_sql.regroup_orm), rows)
    old, joined = after
    assert "old" in old and old[-1] != "moved on"
    assert "Bob and 1 other" in joined and "Bob" in joined and "uk" in joined
    assert "p1" in joined and created in joined and joined[-1] == "moved on"
