"""The hand-written SQL of chat: the reads and writes every chat request or every sent message
runs, each beside its ORM twin.

Here because bench/social_chat.py (its "through the views" part: the whole request through
Django's test client) showed that compiling the ORM's querysets cost the web process more CPU
than PostgreSQL spent on them: a sent message cost 10.5 ms of CPU and a history page 6 ms,
against 1.3 ms for a one-query chat request (the figures are in docs/decisions.md):

- `conversation_and_membership`: the conversation and the caller's active membership, in one
  statement (every chat URL of a conversation starts with it);
- `history_rows`: a history page's messages with their authors and reactions in one statement,
  as plain tuples (`message_output` makes the answer's dicts, what `message_dict` makes of the
  ORM's rows);
- `send_context` and `write_message`: a send's reads (the sender's account, the active
  members, the recipient's acceptance in a direct conversation) in one statement, and its
  writes (the message, the conversation's activity, everyone's read state) in another.

PostgreSQL only (`enabled()`); SQLite, the embedded default, runs the twins, which are what the
services and selectors ran before. `social/chat/tests/test_hot_sql.py` runs both on the same
data and requires the same result and the same rows after. Only the models' own quoted table and
column names are interpolated; every value is a parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.db import connection
from django.db.models import Case, F, Q, Value, When

from cotask_common.statements import Columns, Statement
from cotask_common.users.models import UserRef
from social.chat.models import ChatSettings, Conversation, Membership, Message, Reaction
from social.chat.serializers import iso_datetime
from social.pages.models import Follow, Page, PageBlock

# Switched off by the parity tests to run the ORM twins on PostgreSQL.
ENABLED = True


def enabled() -> bool:
    return ENABLED and connection.vendor == "postgresql"


def _attnames(model: type[Any]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


# ---------------------------------------------------------------------------------------------
# The conversation and the caller's membership (every chat URL of a conversation)


@functools.cache
def _conversation_statement() -> Statement:
    c, m = Columns(Conversation, "c"), Columns(Membership, "m")
    membership = ", ".join(
        f"{m(field.name)} AS m_{field.attname}" for field in Membership._meta.concrete_fields
    )
    return Statement(
        f"SELECT {c.all()}, {membership} FROM {c.table} c"
        f" LEFT JOIN {m.table} m ON {m('conversation')} = {c('id')}"
        f" AND {m('user')} = %s AND {m('left_at')} IS NULL"
        f" WHERE {c('id')} = %s",
        [m.field("user"), c.field("id")],
    )


def conversation_and_membership(
    *, conversation_id: Any, user_id: uuid.UUID
) -> tuple[Conversation | None, Membership | None]:
    """The conversation (None: no such id) and `user_id`'s active membership of it (None: not
    an active member). One query."""
    statement = _conversation_statement()
    try:
        params = statement.params(user_id, conversation_id)
    except Exception:  # not a UUID: no such conversation, as the ORM's lookup says
        return None, None
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, None
    split = len(Conversation._meta.concrete_fields)
    conversation = Conversation.from_db("default", _attnames(Conversation), row[:split])
    if row[split] is None:
        return conversation, None
    return conversation, Membership.from_db("default", _attnames(Membership), row[split:])


def conversation_and_membership_orm(
    *, conversation_id: Any, user_id: uuid.UUID
) -> tuple[Conversation | None, Membership | None]:
    conversation = Conversation.objects.filter(id=conversation_id).first()
    if conversation is None:
        return None, None
    membership = Membership.objects.filter(
        conversation=conversation, user_id=user_id, left_at__isnull=True
    ).first()
    return conversation, membership


# ---------------------------------------------------------------------------------------------
# History pages

# (id, conversation_id, author_id, author_deleted, text, reply_to_id, attachment_ids,
#  mention_ids, created_at, edited_at, deleted_at, author username, author display name,
#  reaction emojis, whether each is the viewer's)
MessageRow = tuple[Any, ...]

_HISTORY_ORDERS = {
    # cursor comparison -> order of the scan
    "": "DESC",
    "<": "DESC",
    ">": "ASC",
    ">=": "ASC",
}


@functools.cache
def _history_statement(comparison: str) -> Statement:
    msg, user, reaction = Columns(Message, "msg"), Columns(UserRef, "u"), Columns(Reaction, "r")
    fields = [*("id", "conversation", "author", "author_deleted", "text", "reply_to")]
    fields += ("attachment_ids", "mention_ids", "created_at", "edited_at", "deleted_at")
    cursor = f" AND {msg('id')} {comparison} %s" if comparison else ""
    params = [reaction.field("user"), msg.field("conversation")]
    if comparison:
        params.append(msg.field("id"))
    # Both arrays are fed the same rows in the same order by one aggregation.
    return Statement(
        f"SELECT {', '.join(msg(f) for f in fields)}, {user('username')},"
        f" {user('display_name')}, rx.emojis, rx.mine"
        f" FROM {msg.table} msg LEFT JOIN {user.table} u ON {user('id')} = {msg('author')}"
        f" LEFT JOIN LATERAL (SELECT array_agg({reaction('emoji')}) AS emojis,"
        f" array_agg({reaction('user')} = %s) AS mine FROM {reaction.table} r"
        f" WHERE {reaction('message')} = {msg('id')}) rx ON true"
        f" WHERE {msg('conversation')} = %s{cursor}"
        f" ORDER BY {msg('id')} {_HISTORY_ORDERS[comparison]} LIMIT %s",
        [*params, None],
    )


def _history_rows(
    *, conversation_id: uuid.UUID, viewer_id: Any, comparison: str, cursor: Any, limit: int
) -> list[MessageRow]:
    statement = _history_statement(comparison)
    values = [viewer_id, conversation_id, *([cursor] if comparison else []), limit]
    with connection.cursor() as db:
        db.execute(statement.sql, statement.params(*values))
        return db.fetchall()


def _message_exists(*, conversation_id: uuid.UUID, message_id: uuid.UUID) -> bool:
    statement = _exists_statement()
    with connection.cursor() as db:
        db.execute(statement.sql, statement.params(conversation_id, message_id))
        return db.fetchone() is not None


@functools.cache
def _exists_statement() -> Statement:
    msg = Columns(Message)
    return Statement(
        f"SELECT 1 FROM {msg.table} WHERE {msg('conversation')} = %s AND {msg('id')} = %s",
        [msg.field("conversation"), msg.field("id")],
    )


def history_page(
    *,
    conversation_id: uuid.UUID,
    viewer_id: Any,
    size: int,
    before: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    around: uuid.UUID | None = None,
) -> dict[str, Any] | None:
    """`selectors.history`'s page, its messages as the answer shows them (`message_output`);
    None when `around` is not a message of this conversation. One query (two for `around`,
    three with its check)."""
    rows = functools.partial(_history_rows, conversation_id=conversation_id, viewer_id=viewer_id)
    if around is not None:
        if not _message_exists(conversation_id=conversation_id, message_id=around):
            return None
        half = max(size // 2, 1)
        older = rows(comparison="<", cursor=around, limit=half + 1)
        newer = rows(comparison=">=", cursor=around, limit=size - half + 1)
        has_older, has_newer = len(older) > half, len(newer) > size - half
        page = [*reversed(older[:half]), *newer[: size - half]]
    elif after is not None:
        found = rows(comparison=">", cursor=after, limit=size + 1)
        has_newer, page = len(found) > size, found[:size]
        has_older = True
    else:
        found = rows(comparison="<" if before else "", cursor=before, limit=size + 1)
        has_older, page = len(found) > size, list(reversed(found[:size]))
        has_newer = before is not None
    return {
        "results": [message_output(row) for row in page],
        "older": str(page[0][0]) if page and has_older else None,
        "newer": str(page[-1][0]) if page and has_newer else None,
    }


def _json(value: Any) -> list[Any]:
    """A JSON list column as the ORM reads it (the field's own decoding)."""
    field: Any = Message._meta.get_field("attachment_ids")
    return list(field.from_db_value(value, None, connection))


def message_output(row: MessageRow) -> dict[str, Any]:
    """A row of `history_rows` as `serializers.message_dict` shows a message."""
    (id_, conversation_id, author_id, author_deleted, text, reply_to_id, attachments) = row[:7]
    (mentions, created_at, edited_at, deleted_at, username, display_name) = row[7:13]
    emojis, mine = row[13] or [], row[14] or []
    counts: dict[str, list[int]] = {}
    for emoji, own in zip(emojis, mine, strict=True):
        entry = counts.setdefault(emoji, [0, 0])
        entry[0] += 1
        if own:
            entry[1] = 1
    return {
        "id": str(id_),
        "conversation_id": str(conversation_id),
        "author": (
            {"id": str(author_id), "username": username, "display_name": display_name}
            if author_id is not None
            else None
        ),
        "author_deleted": bool(author_deleted or author_id is None),
        "text": text,
        "reply_to_id": str(reply_to_id) if reply_to_id else None,
        "attachment_ids": _json(attachments),
        "mention_ids": _json(mentions),
        "reactions": [
            {"emoji": emoji, "count": count, "mine": bool(own)}
            for emoji, (count, own) in sorted(counts.items())
        ],
        "edited": edited_at is not None,
        "edited_at": iso_datetime(edited_at),
        "deleted": deleted_at is not None,
        "created_at": iso_datetime(created_at),
    }


# ---------------------------------------------------------------------------------------------
# Sending: the reads (one statement) and the writes (one statement)


# The sender's (username, display_name, is_banned, is_deleted), None: no account; the active
# members' (user_id, muted), in no particular order; for the member whose acceptance is asked
# (the other person of a direct conversation) the columns `selectors.message_refusal` reads
# (None: no account).
SendRows = tuple[
    tuple[str, str, bool, bool] | None, list[tuple[uuid.UUID, bool]], list[dict[str, Any] | None]
]


@functools.cache
def _send_context_statement() -> Statement:
    sender, member, other = Columns(UserRef, "s"), Columns(Membership, "m"), Columns(UserRef, "u")
    block, blocked_page = Columns(PageBlock, "b"), Columns(Page, "bp")
    follow, followed_page = Columns(Follow, "f"), Columns(Page, "fp")
    chosen = Columns(ChatSettings, "cs")
    user_field = member.field("user")
    # `checked`: the member whose acceptance is asked (the other person of a direct
    # conversation); the three reads of `selectors.message_refusal` only for that row.
    return Statement(
        f"SELECT {sender('username')}, {sender('display_name')}, {sender('is_banned')},"
        f" {sender('is_deleted')}, {member('user')}, {member('muted')}, checked,"
        f" {other('id')}, {other('is_deleted')}, {other('is_banned')},"
        f" {other('is_deactivated')},"
        f" CASE WHEN checked THEN EXISTS (SELECT 1 FROM {block.table} b"
        f" JOIN {blocked_page.table} bp ON {blocked_page('id')} = {block('page')}"
        f" WHERE ({blocked_page('owner')} = {member('user')} AND {block('user')} = %s)"
        f" OR ({blocked_page('owner')} = %s AND {block('user')} = {member('user')})) END,"
        f" CASE WHEN checked THEN EXISTS (SELECT 1 FROM {follow.table} f"
        f" JOIN {followed_page.table} fp ON {followed_page('id')} = {follow('page')}"
        f" WHERE {follow('user')} = {member('user')} AND {follow('status')} = %s"
        f" AND {followed_page('owner')} = %s AND {followed_page('kind')} = %s) END,"
        f" CASE WHEN checked THEN (SELECT {chosen('who_may_message')} FROM {chosen.table} cs"
        f" WHERE {chosen('user')} = {member('user')} LIMIT 1) END"
        f" FROM (SELECT 1) one"
        f" LEFT JOIN {sender.table} s ON {sender('id')} = %s"
        f" LEFT JOIN {member.table} m ON {member('conversation')} = %s"
        f" AND {member('left_at')} IS NULL"
        f" CROSS JOIN LATERAL (SELECT (%s AND {member('user')} <> %s) AS checked) c"
        f" LEFT JOIN {other.table} u ON checked AND {other('id')} = {member('user')}",
        [
            user_field,
            user_field,
            follow.field("status"),
            user_field,
            followed_page.field("kind"),
            user_field,
            member.field("conversation"),
            None,
            user_field,
        ],
    )


def send_context(*, conversation: Conversation, sender_id: uuid.UUID) -> SendRows:
    """What a send reads before it writes, in one statement (see `SendRows`)."""
    statement = _send_context_statement()
    direct = conversation.kind == Conversation.Kind.DIRECT
    values: list[Any] = [sender_id, sender_id, Follow.Status.APPROVED, sender_id]
    values += (Page.Kind.PERSONAL, sender_id, conversation.id, direct, sender_id)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(*values))
        rows = cursor.fetchall()
    first = rows[0]
    author = (first[0], first[1], first[2], first[3]) if first[0] is not None else None
    members: list[tuple[uuid.UUID, bool]] = []
    asked: list[dict[str, Any] | None] = []
    for row in rows:
        if row[4] is None:  # no active member at all
            continue
        members.append((row[4], row[5]))
        if row[6]:
            asked.append(
                dict(zip(REFUSAL_KEYS, row[8:14], strict=True)) if row[7] is not None else None
            )
    return author, members, asked


# The account's refusal fields, as both this statement and the ORM twin read them.
REFUSAL_KEYS = (
    "is_deleted",
    "is_banned",
    "is_deactivated",
    "refusal_blocked",
    "refusal_follows",
    "refusal_setting",
)


@functools.cache
def _write_statement() -> Statement:
    msg, conv, member = Columns(Message), Columns(Conversation), Columns(Membership)
    fields = [*("id", "conversation", "author", "author_deleted", "text", "reply_to")]
    fields += ("attachment_ids", "mention_ids", "created_at", "edited_at", "deleted_at")
    columns = ", ".join(msg.name(f) for f in fields)
    holders = ", ".join(["%s"] * len(fields))
    mine = f"{member.name('id')} = %s"
    return Statement(
        f"WITH written AS (INSERT INTO {msg.table} ({columns}) VALUES ({holders})),"
        f" activity AS (UPDATE {conv.table} SET {conv.name('activity_id')} = %s,"
        f" {conv.name('last_message')} = %s WHERE {conv.name('id')} = %s)"
        f" UPDATE {member.table} SET {member.name('unread_count')} ="
        f" CASE WHEN {mine} THEN 0 ELSE {member.name('unread_count')} + 1 END,"
        f" {member.name('last_read_id')} ="
        f" CASE WHEN {mine} THEN %s ELSE {member.name('last_read_id')} END"
        f" WHERE ({member.name('conversation')} = %s AND {member.name('left_at')} IS NULL)"
        f" OR {mine}",
        [
            *(msg.field(f) for f in fields),
            conv.field("activity_id"),
            msg.field("id"),
            conv.field("id"),
            member.field("id"),
            member.field("id"),
            member.field("last_read_id"),
            member.field("conversation"),
            member.field("id"),
        ],
    )


def write_message(*, message: Message, membership_id: int) -> None:
    """Insert `message` (built, not saved: its id and `created_at` set), make it the
    conversation's last activity, read for `membership_id` (its sender) and one more unread
    message for every other active member. One statement."""
    statement = _write_statement()
    values = [getattr(message, f) for f in _WRITE_ATTRIBUTES]
    values += [message.id, message.id, message.conversation_id]
    values += [membership_id, membership_id, message.id, message.conversation_id, membership_id]
    statement.execute(*values)
    message._state.adding, message._state.db = False, "default"


_WRITE_ATTRIBUTES = (
    *("id", "conversation_id", "author_id", "author_deleted", "text", "reply_to_id"),
    *("attachment_ids", "mention_ids", "created_at", "edited_at", "deleted_at"),
)


def write_message_orm(*, message: Message, membership_id: int) -> None:
    message.save(force_insert=True)
    Conversation.objects.filter(id=message.conversation_id).update(
        activity_id=message.id, last_message=message
    )
    # One's own message is read (and so is everything before it); the others have one more.
    mine = Q(id=membership_id)
    Membership.objects.filter(
        Q(conversation_id=message.conversation_id, left_at__isnull=True) | mine
    ).update(
        unread_count=Case(When(mine, then=Value(0)), default=F("unread_count") + 1),
        last_read_id=Case(When(mine, then=Value(message.id)), default=F("last_read_id")),
    )
