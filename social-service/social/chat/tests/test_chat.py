"""Chat over REST: conversations, membership, messages, read state, permissions and events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cotask_common.events.testing import handle_event, make_event

pytestmark = pytest.mark.django_db

API = "/api/social/chat"


def _direct(client: Any, other: Any) -> Any:
    return client.post(f"{API}/direct/", {"user_id": str(other.user.id)}, format="json")


def _send(client: Any, conversation_id: str, text: str = "hi", **extra: Any) -> Any:
    return client.post(
        f"{API}/conversations/{conversation_id}/messages/", {"text": text, **extra}, format="json"
    )


def _group(client: Any, *members: Any, name: str = "Study") -> dict[str, Any]:
    r = client.post(
        f"{API}/groups/",
        {"name": name, "member_ids": [str(m.user.id) for m in members]},
        format="json",
    )
    assert r.status_code == 201, r.json()
    return r.json()


def _media(owner_id: Any, *, purpose: str = "chat_attachment") -> str:
    file_id = str(uuid.uuid4())
    handle_event(
        make_event(
            type="media.file.ready",
            key=file_id,
            data={"id": file_id, "owner_id": str(owner_id), "purpose": purpose, "status": "ready"},
        )
    )
    return file_id


def test_direct_conversation_is_one_per_pair_and_messages_flow(
    member: Any, published_events: Any
) -> None:
    ada, bob = member("ada"), member("bob")
    first = _direct(ada, bob)
    assert first.status_code == 201, first.json()
    again = _direct(bob, ada)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    conversation = first.json()["id"]
    assert again.json()["peer"]["username"] == "ada"

    sent = _send(ada, conversation, "hello bob")
    assert sent.status_code == 201, sent.json()
    message = sent.json()
    assert message["author"]["username"] == "ada" and not message["edited"]
    [event] = published_events("social.chat.message_created")
    assert event.key == conversation
    assert sorted(event.data["member_ids"]) == sorted([str(ada.user.id), str(bob.user.id)])
    assert event.data["recipient_ids"] == [str(bob.user.id)]
    assert event.data["text"] == "hello bob"

    listed = bob.get(f"{API}/conversations/").json()["results"]
    assert [c["id"] for c in listed] == [conversation]
    assert listed[0]["unread_count"] == 1
    assert listed[0]["last_message"]["text"] == "hello bob"
    assert bob.get(f"{API}/unread/").json() == {"unread_count": 1}
    assert ada.get(f"{API}/unread/").json() == {"unread_count": 0}  # one's own is read

    read = bob.post(
        f"{API}/conversations/{conversation}/read/", {"message_id": message["id"]}, format="json"
    )
    assert read.status_code == 200 and read.json()["unread_count"] == 0
    [receipt] = published_events("social.chat.read")
    # A direct conversation's read receipt reaches both people.
    assert sorted(receipt.data["member_ids"]) == sorted([str(ada.user.id), str(bob.user.id)])
    assert bob.get(f"{API}/unread/").json() == {"unread_count": 0}


def test_reply_edit_delete_and_reactions(member: Any, published_events: Any) -> None:
    ada, bob = member("ada"), member("bob")
    conversation = _direct(ada, bob).json()["id"]
    first = _send(ada, conversation, "question").json()
    reply = _send(bob, conversation, "answer", reply_to_id=first["id"]).json()
    assert reply["reply_to_id"] == first["id"]

    url = f"{API}/conversations/{conversation}/messages/{first['id']}/"
    # Someone else's message: 403 (they see it, so it is no secret), and it stays as it was.
    refused = bob.patch(url, {"text": "changed"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_author"
    assert bob.delete(url).status_code == 403
    edited = ada.patch(url, {"text": "question, edited"}, format="json")
    assert edited.status_code == 200 and edited.json()["edited"] is True
    assert published_events("social.chat.message_edited")

    reaction = f"{url}reaction/"
    assert bob.put(reaction, {"emoji": "👍"}, format="json").status_code == 204
    assert bob.put(reaction, {"emoji": "🎉"}, format="json").status_code == 204  # replaces
    history = ada.get(f"{API}/conversations/{conversation}/messages/").json()["results"]
    assert history[0]["reactions"] == [{"emoji": "🎉", "count": 1, "mine": False}]
    assert bob.delete(reaction).status_code == 204
    changes = published_events("social.chat.reaction_changed")
    assert [(e.data["emoji"], e.data["added"]) for e in changes] == [
        ("👍", True),
        ("🎉", True),
        ("🎉", False),
    ]

    assert ada.delete(url).status_code == 204
    history = bob.get(f"{API}/conversations/{conversation}/messages/").json()["results"]
    assert history[0]["deleted"] is True and history[0]["text"] == ""
    assert history[1]["reply_to_id"] == first["id"]  # the row stays for replies
    [deleted] = published_events("social.chat.message_deleted")
    assert "text" not in deleted.data


def test_bad_input_names_the_field(member: Any, settings: Any) -> None:
    settings.SOCIAL_CHAT_MESSAGE_MAX_LENGTH = 10
    ada, bob, eve = member("ada"), member("bob"), member("eve")
    conversation = _direct(ada, bob).json()["id"]
    for text, code in (("", "text_or_file"), ("   ", "text_or_file"), ("x" * 11, "too_long")):
        r = _send(ada, conversation, text)
        assert r.status_code == 400 and "text" in r.json()["fields"], r.json()
        assert r.json()["fields"]["text"][0]["code"] == code
    for file_id in (_media(eve.user.id), _media(ada.user.id, purpose="post_image"), "nope"):
        r = _send(ada, conversation, "file", attachment_ids=[file_id])
        assert r.status_code == 400 and "attachment_ids" in r.json()["fields"], r.json()
    mine = _media(ada.user.id)
    ok = _send(ada, conversation, "", attachment_ids=[mine])
    assert ok.status_code == 201 and ok.json()["attachment_ids"] == [mine]
    r = ada.post(f"{API}/groups/", {"name": "", "member_ids": []}, format="json")
    assert r.status_code == 400 and "name" in r.json()["fields"]
    r = ada.get(f"{API}/conversations/{conversation}/messages/?before=zzz")
    assert r.status_code == 400 and "before" in r.json()["fields"]


def test_who_may_message_blocks_bans_and_anonymous(member: Any, anon: Any) -> None:
    ada, bob, cat, dan = member("ada"), member("bob"), member("cat"), member("dan")
    # nobody
    assert bob.put(f"{API}/settings/", {"who_may_message": "nobody"}, format="json").json() == {
        "who_may_message": "nobody"
    }
    r = _direct(ada, bob)
    assert r.status_code == 403 and r.json()["code"] == "messages_not_accepted"
    # people I follow: cat follows ada's personal page, so ada may write to cat, dan may not
    cat.put(f"{API}/settings/", {"who_may_message": "following"}, format="json")
    assert cat.post("/api/social/pages/ada/follow/").status_code in (200, 201)
    assert _direct(dan, cat).status_code == 403
    conversation = _direct(ada, cat)
    assert conversation.status_code == 201
    assert _send(ada, conversation.json()["id"], "hi cat").status_code == 201
    # cat changes her mind: an existing conversation follows the setting too
    cat.put(f"{API}/settings/", {"who_may_message": "nobody"}, format="json")
    assert _send(ada, conversation.json()["id"], "still?").status_code == 403

    # blocked (either way)
    ada_dan = _direct(ada, dan).json()["id"]
    assert dan.post(
        "/api/social/pages/dan/blocks/", {"user_id": str(ada.user.id)}, format="json"
    ).status_code in (200, 201, 204)
    assert _send(ada, ada_dan, "hello?").status_code == 403
    assert _send(dan, ada_dan, "and you?").status_code == 403

    # banned: refused before anything else
    eve = member("eve")
    eve_ada = _direct(eve, ada).json()["id"]
    handle_event(make_event(type="auth.user.banned", key=eve.user.id, data={"until": None}))
    assert _send(eve, eve_ada, "spam").status_code == 403
    # nobody starts a conversation with a banned person (as if absent)
    fay = member("fay")
    assert _direct(fay, eve).status_code == 404

    # anonymous
    assert anon.get(f"{API}/conversations/").status_code == 401
    assert anon.post(f"{API}/conversations/{eve_ada}/messages/", {"text": "x"}).status_code == 401


def test_strangers_and_removed_members_see_nothing(member: Any, published_events: Any) -> None:
    ada, bob, cat, eve = member("ada"), member("bob"), member("cat"), member("eve")
    group = _group(ada, bob, cat)
    gid = group["id"]
    missing = f"{API}/conversations/{uuid.uuid4()}/"
    base = f"{API}/conversations/{gid}/"
    message = _send(bob, gid, "hi all").json()
    stranger_answers = [
        eve.get(base),
        eve.get(f"{base}messages/"),
        _send(eve, gid, "let me in"),
        eve.post(f"{base}read/", {"message_id": message["id"]}, format="json"),
        eve.put(f"{base}messages/{message['id']}/reaction/", {"emoji": "x"}, format="json"),
        eve.post(f"{base}messages/{message['id']}/report/", {"reason": "x"}, format="json"),
        eve.get(missing),
    ]
    bodies = {(r.status_code, r.json()["message"]) for r in stranger_answers}
    assert bodies == {(404, "No conversation with this id.")}

    # a plain member may not manage the group
    assert bob.delete(f"{base}members/{cat.user.id}/").status_code == 403
    assert bob.patch(base, {"name": "Mine"}, format="json").status_code == 403
    # the admin removes cat: cat sees and receives nothing more
    assert ada.delete(f"{base}members/{cat.user.id}/").status_code == 204
    [change] = [
        e for e in published_events("social.chat.members_changed") if e.data["change"] == "removed"
    ]
    assert change.data["removed_ids"] == [str(cat.user.id)]
    assert str(cat.user.id) not in change.data["member_ids"]
    assert cat.get(base).status_code == 404
    assert cat.get(f"{base}messages/").status_code == 404
    assert _send(cat, gid, "still here?").status_code == 404
    _send(ada, gid, "after cat left")
    latest = published_events("social.chat.message_created")[-1]
    assert str(cat.user.id) not in latest.data["member_ids"]
    assert [c["id"] for c in cat.get(f"{API}/conversations/").json()["results"]] == []

    # bob leaves; rename and admins
    assert ada.patch(base, {"name": "Renamed"}, format="json").json()["name"] == "Renamed"
    assert ada.put(f"{base}admins/{bob.user.id}/").status_code == 204
    assert bob.post(f"{base}leave/").status_code == 204
    assert bob.get(base).status_code == 404
    assert (
        ada.post(f"{base}members/", {"user_ids": [str(cat.user.id)]}, format="json").status_code
        == 204
    )
    assert cat.get(base).status_code == 200


def test_group_mentions_admin_delete_and_size_limit(
    member: Any, published_events: Any, settings: Any
) -> None:
    ada, bob, cat, eve = member("ada"), member("bob"), member("cat"), member("eve")
    gid = _group(ada, bob, cat)["id"]
    sent = _send(bob, gid, "@cat and @eve and @ada look").json()
    assert sorted(sent["mention_ids"]) == sorted([str(cat.user.id), str(ada.user.id)])
    # a group admin deletes anyone's message
    assert ada.delete(f"{API}/conversations/{gid}/messages/{sent['id']}/").status_code == 204
    settings.SOCIAL_CHAT_GROUP_MAX_MEMBERS = 3
    r = ada.post(
        f"{API}/conversations/{gid}/members/", {"user_ids": [str(eve.user.id)]}, format="json"
    )
    assert r.status_code == 400 and "member_ids" in r.json()["fields"]


def test_muted_members_are_not_notified_and_not_counted(member: Any, published_events: Any) -> None:
    ada, bob, cat = member("ada"), member("bob"), member("cat")
    gid = _group(ada, bob, cat)["id"]
    muted = bob.put(f"{API}/conversations/{gid}/mute/", {"muted": True}, format="json")
    assert muted.status_code == 200 and muted.json()["muted"] is True
    _send(ada, gid, "hello")
    [event] = published_events("social.chat.message_created")
    assert event.data["recipient_ids"] == [str(cat.user.id)]
    assert len(event.data["member_ids"]) == 3
    assert bob.get(f"{API}/unread/").json() == {"unread_count": 0}
    assert cat.get(f"{API}/unread/").json() == {"unread_count": 1}


def test_history_pages_backwards_forwards_and_around(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    conversation = _direct(ada, bob).json()["id"]
    ids = [_send(ada if i % 2 else bob, conversation, f"m{i}").json()["id"] for i in range(9)]
    url = f"{API}/conversations/{conversation}/messages/"
    newest = ada.get(f"{url}?page_size=4").json()
    assert [m["text"] for m in newest["results"]] == ["m5", "m6", "m7", "m8"]
    assert newest["newer"] is None and newest["older"] == ids[5]
    older = ada.get(f"{url}?page_size=4&before={newest['older']}").json()
    assert [m["text"] for m in older["results"]] == ["m1", "m2", "m3", "m4"]
    oldest = ada.get(f"{url}?page_size=4&before={older['older']}").json()
    assert [m["text"] for m in oldest["results"]] == ["m0"] and oldest["older"] is None
    forward = ada.get(f"{url}?page_size=4&after={ids[0]}").json()
    assert [m["text"] for m in forward["results"]] == ["m1", "m2", "m3", "m4"]
    assert forward["newer"] == ids[4]
    around = ada.get(f"{url}?page_size=4&around={ids[4]}").json()
    assert [m["text"] for m in around["results"]] == ["m2", "m3", "m4", "m5"]
    assert around["older"] == ids[2] and around["newer"] == ids[5]
    foreign = _direct(ada, member("cat")).json()["id"]
    other = _send(ada, foreign, "elsewhere").json()["id"]
    r = ada.get(f"{url}?around={other}")
    assert r.status_code == 400 and "around" in r.json()["fields"]
    two = ada.get(f"{url}?before={ids[4]}&around={ids[2]}")
    assert two.status_code == 400 and two.json()["fields"]["around"][0]["code"] == "one_cursor"
    empty = ada.get(f"{url}?before=")  # given empty is not left out
    assert empty.status_code == 400 and "before" in empty.json()["fields"]


def test_lists_have_a_bounded_number_of_queries(member: Any) -> None:
    ada = member("ada")
    others = [member(f"user{i}") for i in range(6)]

    def counted(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert ada.get(url).status_code == 200
        return len(queries)

    conversation = _direct(ada, others[0]).json()["id"]
    _send(others[0], conversation, "one")
    few_list, few_history = (
        counted(f"{API}/conversations/"),
        counted(f"{API}/conversations/{conversation}/messages/"),
    )
    for other in others[1:]:
        cid = _direct(ada, other).json()["id"]
        for i in range(3):
            message = _send(other, cid, f"hello {i}").json()
            other.put(
                f"{API}/conversations/{cid}/messages/{message['id']}/reaction/",
                {"emoji": "👍"},
                format="json",
            )
    _group(ada, *others)
    for i in range(5):
        _send(others[0], conversation, f"more {i}")
    assert len(ada.get(f"{API}/conversations/").json()["results"]) == 7
    assert counted(f"{API}/conversations/") == few_list
    assert counted(f"{API}/conversations/{conversation}/messages/") == few_history
    assert counted(f"{API}/unread/") <= 4
    assert counted(f"{API}/search/?q=hello") <= 6


def test_search_finds_only_my_conversations(member: Any) -> None:
    ada, bob, eve = member("ada"), member("bob"), member("eve")
    mine = _direct(ada, bob).json()["id"]
    theirs = _direct(bob, eve).json()["id"]
    _send(ada, mine, "the quarterly report is ready")
    _send(bob, theirs, "another report, secret")
    found = ada.get(f"{API}/search/?q=report").json()["results"]
    assert [m["text"] for m in found] == ["the quarterly report is ready"]
    assert ada.get(f"{API}/search/?q=r").status_code == 400


def test_support_conversation_is_seen_and_answered_by_staff(
    member: Any, published_events: Any
) -> None:
    ada, bob, mod = member("ada"), member("bob"), member("mod", role="moderator")
    support = ada.post(f"{API}/support/").json()
    assert ada.post(f"{API}/support/").json()["id"] == support["id"]  # one per person
    sid = support["id"]
    _send(ada, sid, "I need help")
    queue = mod.get(f"{API}/support/queue/").json()["results"]
    assert [c["id"] for c in queue] == [sid]
    assert bob.get(f"{API}/support/queue/").status_code == 403
    assert bob.get(f"{API}/conversations/{sid}/").status_code == 404
    assert mod.get(f"{API}/conversations/{sid}/messages/").status_code == 200
    answer = _send(mod, sid, "How can I help?")
    assert answer.status_code == 201
    latest = published_events("social.chat.message_created")[-1]
    assert sorted(latest.data["member_ids"]) == sorted([str(ada.user.id), str(mod.user.id)])


def test_report_goes_to_the_moderation_queue(member: Any) -> None:
    from social.moderation.models import Report

    ada, bob = member("ada"), member("bob")
    conversation = _direct(ada, bob).json()["id"]
    message = _send(ada, conversation, "rude words").json()
    url = f"{API}/conversations/{conversation}/messages/{message['id']}/report/"
    r = bob.post(url, {"reason": "rude"}, format="json")
    assert r.status_code == 201
    assert Report.objects.get(id=r.json()["report_id"]).target_type == "message"
    assert bob.post(url, {"reason": "rude"}, format="json").status_code == 409


def test_message_rate_limit_per_person(member: Any, settings: Any) -> None:
    from django.core.cache import cache

    settings.SOCIAL_CHAT_MESSAGE_RATE = "2/m"
    ada, bob = member("ada"), member("bob")
    cache.clear()
    conversation = _direct(ada, bob).json()["id"]
    assert _send(ada, conversation, "1").status_code == 201
    assert _send(ada, conversation, "2").status_code == 201
    r = _send(ada, conversation, "3")
    assert r.status_code == 429 and r.json()["code"] == "throttled"
    assert _send(bob, conversation, "mine").status_code == 201  # per person
    assert ada.get(f"{API}/conversations/{conversation}/messages/").status_code == 200


def test_deleted_account_messages_show_as_deleted(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    conversation = _direct(ada, bob).json()["id"]
    _send(ada, conversation, "my secret words")
    handle_event(make_event(type="auth.user.deleted", key=ada.user.id, data={}))
    [message] = bob.get(f"{API}/conversations/{conversation}/messages/").json()["results"]
    assert message["author"] is None and message["author_deleted"] is True
    assert message["text"] == ""


def test_attachments_are_readable_by_the_members_only(member: Any, published_events: Any) -> None:
    ada, bob, cat = member("ada"), member("bob"), member("cat")
    gid = _group(ada, bob, cat)["id"]
    audience = f"conversation:{gid}"
    [granted] = published_events("social.media.access_granted")
    assert granted.data["audience"] == audience
    assert sorted(granted.data["user_ids"]) == sorted(str(m.user.id) for m in (ada, bob, cat))
    file_id = _media(ada.user.id)
    message = _send(ada, gid, "see file", attachment_ids=[file_id]).json()
    [attached] = published_events("social.media.attached")
    assert attached.data["audience"] == audience and attached.data["file_ids"] == [file_id]
    assert attached.data["object_type"] == "chat_message"
    ada.delete(f"{API}/conversations/{gid}/members/{cat.user.id}/")
    [revoked] = published_events("social.media.access_revoked")
    assert revoked.data == {"audience": audience, "user_ids": [str(cat.user.id)]}
    ada.delete(f"{API}/conversations/{gid}/messages/{message['id']}/")
    [detached] = published_events("social.media.detached")
    assert detached.data["object_id"] == message["id"]


def test_unread_counts_follow_reads_deletions_and_replies(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    conversation = _direct(ada, bob).json()["id"]
    ids = [_send(ada, conversation, f"m{i}").json()["id"] for i in range(4)]

    def unread(client: Any) -> int:
        return client.get(f"{API}/conversations/{conversation}/").json()["unread_count"]

    assert unread(bob) == 4 and unread(ada) == 0
    read = f"{API}/conversations/{conversation}/read/"
    assert bob.post(read, {"message_id": ids[1]}, format="json").json()["unread_count"] == 2
    # reading backwards changes nothing
    assert bob.post(read, {"message_id": ids[0]}, format="json").json()["unread_count"] == 2
    # a deleted unread message is no longer unread; a deleted read one changes nothing
    ada.delete(f"{API}/conversations/{conversation}/messages/{ids[3]}/")
    ada.delete(f"{API}/conversations/{conversation}/messages/{ids[0]}/")
    assert unread(bob) == 1
    # answering reads everything before
    _send(bob, conversation, "ok")
    assert unread(bob) == 0 and unread(ada) == 1
    assert bob.get(f"{API}/unread/").json() == {"unread_count": 0}
    assert ada.get(f"{API}/unread/").json() == {"unread_count": 1}


def test_the_last_admin_leaving_hands_the_group_on(member: Any, published_events: Any) -> None:
    ada, bob, cat = member("ada"), member("bob"), member("cat")
    gid = _group(ada, bob, cat)["id"]
    assert ada.post(f"{API}/conversations/{gid}/leave/").status_code == 204
    assert bob.get(f"{API}/conversations/{gid}/").json()["role"] == "admin"
    changes = [e.data["change"] for e in published_events("social.chat.members_changed")]
    assert changes[-2:] == ["left", "admin_granted"]
    assert (
        bob.patch(f"{API}/conversations/{gid}/", {"name": "Ours"}, format="json").status_code == 200
    )


def test_search_has_its_index_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite searches by containment, without an index")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'chat_message_search_idx'"
        )
        [definition] = cursor.fetchone()
    # The expression search_messages emits, so the planner can use it.
    assert "to_tsvector('simple'::regconfig, COALESCE(text, ''::text))" in definition
