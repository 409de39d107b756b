"""social-service chat: a history page, the conversation list and sending, measured in-process on
a table of realistic size (what can be counted on a shared machine: queries per operation, CPU
and wall milliseconds per operation, the query plan).

    eval "$(scripts/infra env)"        # any DATABASE_URL of a PostgreSQL
    .venv/bin/python bench/social_chat.py                        # 1,000,000 messages
    .venv/bin/python bench/social_chat.py --messages 100000 --reuse

Everything lives in its own database (`--database`, default `cotask_bench_chat`, created when
missing). It makes `--conversations` direct conversations of one reader with as many others and
spreads `--messages` messages over them (COPY, once: `--reuse` keeps what an earlier run of the
same size made), runs ANALYZE, then, for the reader, as the views run them without the HTTP and
token layers (they add the same constant to every request):

1. the newest history page, a page deep in history (`before=`) and an `around=` page of one
   conversation: queries, p50/p99 wall and CPU ms, and EXPLAIN ANALYZE of the page's query;
2. the first page of the conversation list (unread counts, last messages, the other person),
   the unread total, a full-text search;
3. sending a message (validation, the row, the outbox event), committed;
4. the newest history page, sending and the cheapest chat request (the unread total) through
   the views: the whole request in Django's test client (middleware, token verification, DRF,
   the JSON answer), CPU ms per request against issue 19's targets for social's web process
   (at most 4 ms per sent message, 3 ms per history page).

The end-to-end figures (a message to the recipient's frame at 100 messages/s, a 500-member
group, history pages at 4 clients through nginx) are bench/chat_delivery.py's (`make
bench-chat-delivery`), which runs the real stack and reuses `generate` here.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from types import SimpleNamespace
from typing import Any

from http_bench import ROOT, setup_in_process, tokens_for

SERVICE = ROOT / "social-service"


def setup(args: argparse.Namespace) -> None:
    setup_in_process(
        database=args.database,
        service_dir=SERVICE,
        var_name="bench-chat",
        extra={"SOCIAL_CHAT_MESSAGE_RATE": ""},
    )


def generate(args: argparse.Namespace) -> uuid.UUID:
    """The reader's id; their conversations and the messages, made once per size."""
    from django.db import connection
    from social.chat.models import Conversation, Membership, Message

    from cotask_common.ids import uuid7_at
    from cotask_common.users.models import UserRef

    reader = UserRef.objects.filter(username="reader").first()
    if args.reuse and reader is not None and Message.objects.count() >= args.messages:
        return reader.id
    Message.objects.all().delete()
    Membership.objects.all().delete()
    Conversation.objects.all().delete()
    UserRef.objects.all().delete()
    reader = UserRef.objects.create(id=uuid.uuid4(), username="reader")
    others = UserRef.objects.bulk_create(
        [UserRef(id=uuid.uuid4(), username=f"other{n}") for n in range(args.conversations)]
    )
    conversations = []
    for other in others:
        first, second = sorted([str(reader.id), str(other.id)])
        conversations.append(
            Conversation(kind="direct", pair_key=f"{first}:{second}", created_by_id=reader.id)
        )
    Conversation.objects.bulk_create(conversations)
    Membership.objects.bulk_create(
        [Membership(conversation=c, user_id=reader.id) for c in conversations]
        + [
            Membership(conversation=c, user_id=o.id)
            for c, o in zip(conversations, others, strict=True)
        ]
    )
    start_ms = int(time.time() * 1000) - args.messages * 10
    text = "a message of ordinary length, about as long as people write them in a chat"
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY social_chat_message (id, conversation_id, author_id, author_deleted, text,"
            " attachment_ids, mention_ids, created_at) FROM STDIN"
        ) as copy:
            for n in range(args.messages):
                index = n % len(conversations)
                author = reader.id if n % 2 else others[index].id
                copy.write_row(
                    (
                        uuid7_at(start_ms + n * 10),
                        conversations[index].id,
                        author,
                        False,
                        f"{text} {n}",
                        "[]",
                        "[]",
                        "2026-12-01T00:00:00Z",
                    )
                )
        cursor.execute(
            "UPDATE social_chat_conversation c SET last_message_id = m.id, activity_id = m.id"
            " FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id"
            " FROM social_chat_message ORDER BY conversation_id, id DESC) m"
            " WHERE m.conversation_id = c.id"
        )
        cursor.execute("ANALYZE social_chat_message")
        cursor.execute("ANALYZE social_chat_membership")
        cursor.execute("ANALYZE social_chat_conversation")
    return reader.id


def measure(label: str, call: object, runs: int) -> float:
    """Prints the figures of `call`; returns its CPU ms p50."""
    from django.db import connection

    queries: list[str] = []

    def count(execute: Any, sql: str, *rest: Any) -> Any:
        queries.append(sql)
        return execute(sql, *rest)

    # A wrapper, not `CaptureQueriesContext`: a request through the test client empties the
    # connection's query log when it starts.
    with connection.execute_wrapper(count):
        call()  # type: ignore[operator]
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        call()  # type: ignore[operator]
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    walls.sort()
    p99 = walls[min(len(walls) - 1, int(len(walls) * 0.99))]
    print(
        f"{label:<34} queries {len(queries):>2}   wall p50 {statistics.median(walls):6.2f} ms"
        f"  p99 {p99:6.2f} ms   CPU p50 {statistics.median(cpus):6.2f} ms"
    )
    return statistics.median(cpus)


def run(args: argparse.Namespace, reader_id: uuid.UUID) -> None:
    from social.chat import selectors, services
    from social.chat.models import Message
    from social.chat.serializers import conversation_dict, message_dict

    viewer = SimpleNamespace(id=reader_id, role="user", is_authenticated=True)
    membership = selectors.my_conversations(user_id=reader_id).order_by("-activity").first()
    conversation, mine = selectors.conversation_for(
        conversation_id=membership.conversation_id, viewer=viewer
    )
    ids = list(
        Message.objects.filter(conversation=conversation)
        .order_by("id")
        .values_list("id", flat=True)
    )
    deep, middle = ids[len(ids) // 10], ids[len(ids) // 2]
    print(
        f"{Message.objects.count():,} messages in {args.conversations} conversations;"
        f" the measured one has {len(ids):,}\n"
    )

    def page(**cursor: object) -> object:
        def call() -> None:
            selectors.history_page(
                conversation=conversation,
                viewer_id=reader_id,
                size=20,
                **cursor,  # type: ignore[arg-type]
            )

        return call

    measure("history: newest page", page(), args.runs)
    measure("history: before= (deep)", page(before=deep), args.runs)
    measure("history: around=", page(around=middle), args.runs)

    def listing() -> None:
        rows = selectors.my_conversations(user_id=reader_id).order_by("-activity")[:20]
        [conversation_dict(row) for row in rows]

    measure("conversation list: first page", listing, args.runs)
    measure("unread total", lambda: selectors.total_unread(user_id=reader_id), args.runs)

    def search() -> None:
        rows = selectors.search_messages(
            user_id=reader_id, query="ordinary 4242", vendor="postgresql"
        ).order_by("-id")[:21]
        [message_dict(m, viewer_id=reader_id) for m in rows]

    measure("search (a rare word)", search, args.runs)

    def send() -> None:
        services.send_message(
            conversation=conversation, membership=mine, viewer=viewer, text="bench message"
        )

    measure("send a message (committed)", send, min(args.runs, 200))

    through_views(conversation_id=conversation.id, reader_id=reader_id, runs=args.runs)

    query = selectors.messages_of(conversation=conversation).filter(id__lt=deep).order_by("-id")
    print("\n=== the history page's query (before=, deep) ===")
    print(query[:21].explain(analyze=True))


def through_views(*, conversation_id: uuid.UUID, reader_id: uuid.UUID, runs: int) -> None:
    """The same through the views: the whole request in Django's test client (middleware, the
    token's verification, DRF, the JSON answer), what social's web process spends per request
    but for the HTTP server. The unread total (one small query) is the floor of a chat
    request. Targets (issue 19): at most 4 ms of CPU per sent message, 3 ms per history page."""

    from rest_framework.test import APIClient

    from cotask_common.security.keys import StaticJWKSProvider, set_key_provider
    from cotask_common.security.signing import generate_private_key, key_id, public_jwk

    key = generate_private_key()
    kid = key_id(key.public_key())
    set_key_provider(StaticJWKSProvider({"keys": [public_jwk(key.public_key(), kid)]}))
    (token,) = tokens_for([str(reader_id)], key, kid)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/social/chat/conversations/{conversation_id}/messages/"

    def request(method: str, path: str, **data: Any) -> Any:
        def call() -> None:
            answer = getattr(client, method)(path, data or None, format="json")
            assert answer.status_code in (200, 201), answer.content

        return call

    print("\n=== through the views (Django's test client, a verified token) ===")
    request("get", "/api/social/chat/unread/")()  # the account's first request reads more
    measure("request floor: unread total", request("get", "/api/social/chat/unread/"), runs)
    page = measure("history page (newest)", request("get", url), runs)
    sent = measure("send a message", request("post", url, text="bench message"), min(runs, 200))
    for what, cpu, target in (("history page", page, 3.0), ("sent message", sent, 4.0)):
        verdict = "met" if cpu <= target else "NOT met"
        print(f"CPU per {what}: {cpu:.2f} ms (target <= {target:.0f} ms: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--database", default="cotask_bench_chat")
    parser.add_argument("--reuse", action="store_true", help="keep data of the same size")
    args = parser.parse_args()
    setup(args)
    reader_id = generate(args)
    run(args, reader_id)


if __name__ == "__main__":
    main()
