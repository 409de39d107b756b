"""Every hand-written statement of `social.chat.hot_sql` gives what its ORM twin gives, on the
same data: the same result and the same rows afterwards (PostgreSQL; SQLite runs the twins
alone)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from cotask_common.testing.parity import same, statements_on_postgresql
from social.chat import hot_sql, selectors
from social.chat.models import ChatSettings, Conversation, Membership, Message, Reaction
from social.pages.models import Follow, Page, PageBlock

pytestmark = pytest.mark.django_db
_statements = statements_on_postgresql(hot_sql)


def _twin(call: Callable[[], Any]) -> Callable[[], Any]:
    """`call` with the statements switched off (the ORM twins run)."""

    def run() -> Any:
        hot_sql.ENABLED = False
        try:
            return call()
        finally:
            hot_sql.ENABLED = True

    return run


def _direct(a: Any, b: Any) -> Conversation:
    first, second = sorted([str(a.id), str(b.id)])
    conversation = Conversation.objects.create(kind="direct", pair_key=f"{first}:{second}")
    for user in (a, b):
        Membership.objects.create(conversation=conversation, user_id=user.id)
    return conversation


def _group(*users: Any, left: Any = None) -> Conversation:
    conversation = Conversation.objects.create(kind="group", name="G")
    for user in users:
        Membership.objects.create(conversation=conversation, user_id=user.id)
    if left is not None:
        Membership.objects.create(
            conversation=conversation, user_id=left.id, left_at=timezone.now()
        )
    return conversation


def _page(user: Any) -> Page:
    return Page.objects.create(
        owner_id=user.id, kind="personal", handle=user.username[:40],
        handle_key=user.username[:40].lower(), name="P",
    )  # fmt: skip


def _fields(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields}


def test_conversation_and_membership(make_user: Callable[..., Any]) -> None:
    ada, bob, cy, gone = make_user(), make_user(), make_user(), make_user()
    group = _group(ada, bob, left=gone)
    for conversation_id, user in [
        (group.id, ada),  # a member
        (group.id, gone),  # left: no membership
        (group.id, cy),  # a stranger
        (uuid.uuid4(), ada),  # no such conversation
    ]:

        def sql(c: Any = conversation_id, u: Any = user) -> Any:
            found = hot_sql.conversation_and_membership(conversation_id=c, user_id=u.id)
            return tuple(_fields(row) for row in found)

        def orm(c: Any = conversation_id, u: Any = user) -> Any:
            found = hot_sql.conversation_and_membership_orm(conversation_id=c, user_id=u.id)
            return tuple(_fields(row) for row in found)

        same(sql, orm, lambda: None)
    conversation, membership = hot_sql.conversation_and_membership(
        conversation_id=group.id, user_id=ada.id
    )
    assert conversation is not None and membership is not None
    assert membership.user_id == ada.id and not membership._state.adding


def test_history_page(make_user: Callable[..., Any]) -> None:
    ada, bob, erased = make_user(), make_user(display_name="Bob B"), make_user()
    group = _group(ada, bob, erased)
    other = _group(ada, bob)
    messages: list[Message] = []
    for n in range(9):
        author = (ada, bob, erased)[n % 3]
        messages.append(
            Message.objects.create(
                conversation=group,
                author_id=author.id,
                text=f"m{n}",
                attachment_ids=[str(uuid.uuid4())] if n == 4 else [],
                mention_ids=[str(bob.id)] if n == 5 else [],
                reply_to=messages[0] if n == 6 else None,
                edited_at=timezone.now() if n == 7 else None,
            )
        )
    Message.objects.filter(author_id=erased.id).update(author=None, author_deleted=True, text="")
    Message.objects.filter(id=messages[8].id).update(deleted_at=timezone.now(), text="")
    for user, emoji in [(ada, "👍"), (bob, "👍"), (erased, "🎉")]:
        Reaction.objects.create(message=messages[4], user_id=user.id, emoji=emoji)
    Reaction.objects.create(message=messages[5], user_id=bob.id, emoji="a")
    Message.objects.create(conversation=other, author_id=ada.id, text="elsewhere")
    middle = messages[4].id
    cases: list[dict[str, Any]] = [
        {},
        {"size": 3},
        {"size": 3, "before": middle},
        {"size": 20, "before": messages[1].id},
        {"size": 3, "after": messages[2].id},
        {"size": 3, "after": messages[8].id},
        {"size": 4, "around": middle},
        {"size": 20, "around": messages[0].id},
        {"size": 1, "around": messages[8].id},
    ]
    for case in cases:
        for viewer in (ada, bob):

            def page(c: dict[str, Any] = case, v: Any = viewer) -> Any:
                return selectors.history_page(
                    conversation=group, viewer_id=v.id, **{"size": 20, **c}
                )

            same(page, _twin(page), lambda: None)
    found = selectors.history_page(conversation=group, viewer_id=ada.id, size=20)["results"]
    assert [m["text"] for m in found][:3] == ["m0", "m1", ""]
    assert found[4]["reactions"] == [
        {"emoji": "🎉", "count": 1, "mine": False},
        {"emoji": "👍", "count": 2, "mine": True},
    ]
    assert found[2]["author"] is None and found[2]["author_deleted"]
    stranger = Message.objects.create(conversation=other, author_id=ada.id, text="x")
    with pytest.raises(Exception) as by_sql:
        selectors.history_page(conversation=group, viewer_id=ada.id, size=5, around=stranger.id)
    with pytest.raises(Exception) as by_orm:
        _twin(
            lambda: selectors.history_page(
                conversation=group, viewer_id=ada.id, size=5, around=stranger.id
            )
        )()
    assert by_sql.value.__dict__ == by_orm.value.__dict__


def test_send_context(make_user: Callable[..., Any]) -> None:
    sender = make_user(display_name="Sender")
    people = {name: make_user() for name in ("open", "nobody", "follows", "following")}
    people["blocked_by"], people["blocking"] = make_user(), make_user()
    people["banned"] = make_user(is_banned=True)
    people["deleted"] = make_user(is_deleted=True)
    people["deactivated"] = make_user(is_deactivated=True)
    own = _page(sender)
    ChatSettings.objects.create(user_id=people["nobody"].id, who_may_message="nobody")
    for name in ("follows", "following"):
        ChatSettings.objects.create(user_id=people[name].id, who_may_message="following")
    Follow.objects.create(page=own, user_id=people["follows"].id, status="approved")
    PageBlock.objects.create(page=_page(people["blocked_by"]), user_id=sender.id)
    PageBlock.objects.create(page=own, user_id=people["blocking"].id)
    conversations = [_direct(sender, person) for person in people.values()]
    muted = _group(sender, people["open"], people["banned"], left=people["nobody"])
    Membership.objects.filter(conversation=muted, user_id=people["open"].id).update(muted=True)
    conversations += [muted, _group(people["open"])]  # and one the sender is not in
    banned_sender = make_user(is_banned=True)
    cases = [(c, sender.id) for c in conversations]
    cases += [(conversations[0], banned_sender.id), (conversations[0], uuid.uuid4())]
    refusals = []
    for conversation, sender_id in cases:

        def read(c: Conversation = conversation, s: Any = sender_id) -> Any:
            context = selectors.send_context(conversation=c, sender_id=s)
            return context._replace(members=sorted(context.members))

        refusals.append(same(read, _twin(read), lambda: None)[0].refusal)
    assert refusals[:10] == [
        None,
        "nobody",
        None,
        "not_following",
        "blocked",
        "blocked",
        "unknown",
        "unknown",
        "unknown",
        None,
    ]


def test_write_message(make_user: Callable[..., Any]) -> None:
    ada, bob, cy, gone = make_user(), make_user(), make_user(), make_user()
    group = _group(ada, bob, cy, left=gone)
    Membership.objects.filter(conversation=group, user_id=bob.id).update(unread_count=4)
    first = Message.objects.create(conversation=group, author_id=bob.id, text="before")
    mine = Membership.objects.get(conversation=group, user_id=ada.id)

    def state() -> Any:
        return (
            sorted(
                Message.objects.values_list(
                    "id", "conversation_id", "author_id", "text", "reply_to_id",
                    "attachment_ids", "mention_ids", "edited_at", "deleted_at",
                )
            ),
            list(Conversation.objects.values_list("id", "activity_id", "last_message_id")),
            sorted(Membership.objects.values_list("user_id", "unread_count", "last_read_id")),
        )  # fmt: skip

    message_id = uuid.uuid4()

    def write() -> None:
        message = Message(
            id=message_id,
            conversation=group,
            author_id=ada.id,
            text="hello",
            reply_to=first,
            attachment_ids=[str(message_id)],
            mention_ids=[str(bob.id)],
            created_at=timezone.now(),
        )
        write = hot_sql.write_message if hot_sql.enabled() else hot_sql.write_message_orm
        write(message=message, membership_id=mine.id)
        assert not message._state.adding

    same(write, _twin(write), state)
