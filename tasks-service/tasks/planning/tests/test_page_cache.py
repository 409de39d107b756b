"""The board and the task lists are cached pages (tasks.planning.pages) keyed by their rooms'
versions. For every write that changes what they show: read (fills the cache, the second read
is a hit) → write → read shows the change, on the board, in "my tasks" and in the room's list,
whoever made the change. Permissions run on every request: a removed member gets 404, never a
cached page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cotask_common.events.testing import handle_event, make_event
from tasks.planning import pages
from tasks.rooms.models import Label, RoomRole

pytestmark = pytest.mark.django_db


def _read(client: Any, url: str) -> tuple[dict[str, Any], str]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json(), response[pages.HEADER]


def _filled(client: Any, url: str) -> dict[str, Any]:
    """Read twice: the first read renders (or finds) the page, the second is served from the
    cache (so the check after the write really tests invalidation)."""
    _read(client, url)
    body, state = _read(client, url)
    assert state == "hit"
    return body


def _board_tasks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["id"]: {**t, "column": c["status"]} for c in body["columns"] for t in c["tasks"]}


def _list_tasks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in body["results"]}


class Scene:
    """A room (`cast`) with two tasks assigned to the member mila, and the three pages a
    member reads: the board, the room's list and mila's "my tasks"."""

    def __init__(self, cast: Any) -> None:
        self.cast = cast
        self.room = cast.room
        self.mila = str(cast.member.user.id)
        self.adam = str(cast.admin.user.id)
        self.label = Label.objects.create(room=self.room, name="Bug", color="#ff0000")
        self.first = self.create(title="First", assignee_ids=[self.mila])
        self.second = self.create(
            title="Second", assignee_ids=[self.mila], label_ids=[str(self.label.id)]
        )
        self.board_url = f"/api/tasks/rooms/{self.room.id}/board/"
        self.list_url = f"/api/tasks/rooms/{self.room.id}/tasks/"
        self.mine_url = "/api/tasks/my-tasks/"

    def create(self, client: Any = None, **fields: Any) -> str:
        client = client or self.cast.owner
        response = client.post(f"/api/tasks/rooms/{self.room.id}/tasks/", fields, format="json")
        assert response.status_code == 201, response.json()
        return response.json()["id"]

    def fill(self) -> None:
        """The pages cached: the board for the viewer, the list for the viewer, "my tasks"
        for mila."""
        _filled(self.cast.viewer, self.board_url)
        _filled(self.cast.viewer, self.list_url)
        _filled(self.cast.member, self.mine_url)

    def now(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The three pages as they are read now (each a fresh read, never a stale hit)."""
        board = _board_tasks(_read(self.cast.viewer, self.board_url)[0])
        listed = _list_tasks(_read(self.cast.viewer, self.list_url)[0])
        mine = _list_tasks(_read(self.cast.member, self.mine_url)[0])
        return board, listed, mine


@pytest.fixture
def scene(cast: Any) -> Scene:
    return Scene(cast)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, getattr(response, "content", b"")[:300]
    return response


def _write_title(s: Scene) -> None:
    _ok(s.cast.admin.patch(f"/api/tasks/tasks/{s.first}/", {"title": "Renamed"}, format="json"))


def _check_title(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert page[s.first]["title"] == "Renamed"


def _write_complete(s: Scene) -> None:
    body = {"status": "completed"}
    _ok(s.cast.member.patch(f"/api/tasks/tasks/{s.first}/", body, format="json"))


def _check_complete(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    assert board[s.first]["column"] == "completed"
    for page in (board, listed, mine):
        assert page[s.first]["status"] == "completed"
        assert page[s.first]["completed_by"]["id"] == s.mila


def _write_move(s: Scene) -> None:
    body = {"status": "in_progress"}
    _ok(s.cast.admin.post(f"/api/tasks/tasks/{s.second}/move/", body, format="json"))


def _check_move(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    assert board[s.second]["column"] == "in_progress"
    assert listed[s.second]["status"] == mine[s.second]["status"] == "in_progress"


def _write_reorder(s: Scene) -> None:
    body = {"status": "pending", "before_id": s.first}
    _ok(s.cast.admin.post(f"/api/tasks/tasks/{s.second}/move/", body, format="json"))


def _check_reorder(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    assert board[s.second]["position"] < board[s.first]["position"]
    assert mine[s.second]["position"] == board[s.second]["position"]


def _write_delete(s: Scene) -> None:
    _ok(s.cast.admin.delete(f"/api/tasks/tasks/{s.first}/"), 204)


def _check_delete(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert s.first not in page and s.second in page


def _write_create(s: Scene) -> None:
    s.created = s.create(s.cast.admin, title="Third", assignee_ids=[s.mila])  # type: ignore[attr-defined]


def _check_create(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert page[s.created]["title"] == "Third"  # type: ignore[attr-defined]


def _write_unassign(s: Scene) -> None:
    body = {"assignee_ids": [s.adam]}
    _ok(s.cast.admin.patch(f"/api/tasks/tasks/{s.first}/", body, format="json"))


def _check_unassign(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    assert s.first not in mine and s.second in mine
    assert [a["id"] for a in board[s.first]["assignees"]] == [s.adam]
    assert [a["id"] for a in listed[s.first]["assignees"]] == [s.adam]


def _write_labels(s: Scene) -> None:
    body = {"label_ids": [str(s.label.id)]}
    _ok(s.cast.member.patch(f"/api/tasks/tasks/{s.first}/", body, format="json"))


def _check_labels(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert [label["name"] for label in page[s.first]["labels"]] == ["Bug"]


def _write_label_rename(s: Scene) -> None:
    url = f"/api/tasks/rooms/{s.room.id}/labels/{s.label.id}/"
    _ok(s.cast.admin.patch(url, {"name": "Defect"}, format="json"))


def _check_label_rename(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert [label["name"] for label in page[s.second]["labels"]] == ["Defect"]


def _write_label_delete(s: Scene) -> None:
    _ok(s.cast.admin.delete(f"/api/tasks/rooms/{s.room.id}/labels/{s.label.id}/"), 204)


def _check_label_delete(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert page[s.second]["labels"] == []


def _write_blocker(s: Scene) -> None:
    _ok(s.cast.member.post(f"/api/tasks/tasks/{s.second}/blocked-by/{s.first}/"))


def _check_blocker(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert [b["id"] for b in page[s.second]["blocked_by"]] == [s.first]
        assert page[s.second]["is_blocked"] is True


def _write_subtask(s: Scene) -> None:
    s.create(s.cast.admin, title="Child", parent_id=s.first)


def _check_subtask(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert page[s.first]["subtasks_progress"] == {"done": 0, "total": 1}


def _write_room_rename(s: Scene) -> None:
    _ok(s.cast.admin.patch(f"/api/tasks/rooms/{s.room.id}/", {"name": "Relaunch"}, format="json"))


def _check_room_rename(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert page[s.first]["room"]["name"] == "Relaunch"
    body, _state = _read(s.cast.viewer, s.board_url)
    assert body["room"]["name"] == "Relaunch"


def _assign_adam_too(s: Scene) -> None:
    body = {"assignee_ids": [s.mila, s.adam]}
    _ok(s.cast.owner.patch(f"/api/tasks/tasks/{s.first}/", body, format="json"))


def _write_admin_leaves(s: Scene) -> None:
    """adam, assigned to the first task (`_assign_adam_too`), leaves: he is taken off it."""
    _ok(s.cast.admin.post(f"/api/tasks/rooms/{s.room.id}/leave/"), 204)


def _check_admin_leaves(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert [a["id"] for a in page[s.first]["assignees"]] == [s.mila]


def _write_account_deleted(s: Scene) -> None:
    """The owner, who created the tasks, deletes their account: their name goes."""
    event = make_event(type="auth.user.deleted", key=str(s.cast.owner.user.id), data={})
    assert handle_event(event)


def _check_account_deleted(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert page[s.first]["creator"]["username"].startswith("deleted-")


def _adam_makes_a_task_and_leaves(s: Scene) -> None:
    s.made = s.create(s.cast.admin, title="By adam", assignee_ids=[s.mila])  # type: ignore[attr-defined]
    _ok(s.cast.admin.post(f"/api/tasks/rooms/{s.room.id}/leave/"), 204)


def _write_former_member_deleted(s: Scene) -> None:
    """adam made a task and left the room (`_adam_makes_a_task_and_leaves`), and now deletes
    his account: the room is no longer his, but its pages show him as the task's creator."""
    event = make_event(type="auth.user.deleted", key=s.adam, data={})
    assert handle_event(event)


def _check_former_member_deleted(s: Scene, board: Any, listed: Any, mine: Any) -> None:
    for page in (board, listed, mine):
        assert page[s.made]["creator"]["username"].startswith("deleted-")  # type: ignore[attr-defined]


def _nothing(s: Scene) -> None:
    pass


# name → (what the room needs first, the write, what the pages then show)
WRITES: dict[str, tuple[Callable[..., None], ...]] = {
    "create": (_nothing, _write_create, _check_create),
    "title": (_nothing, _write_title, _check_title),
    "complete": (_nothing, _write_complete, _check_complete),
    "move to another column": (_nothing, _write_move, _check_move),
    "reorder in the column": (_nothing, _write_reorder, _check_reorder),
    "delete": (_nothing, _write_delete, _check_delete),
    "assignees": (_nothing, _write_unassign, _check_unassign),
    "labels": (_nothing, _write_labels, _check_labels),
    "label renamed": (_nothing, _write_label_rename, _check_label_rename),
    "label deleted": (_nothing, _write_label_delete, _check_label_delete),
    "blocked by": (_nothing, _write_blocker, _check_blocker),
    "subtask": (_nothing, _write_subtask, _check_subtask),
    "room renamed": (_nothing, _write_room_rename, _check_room_rename),
    "a member leaves": (_assign_adam_too, _write_admin_leaves, _check_admin_leaves),
    "account deleted": (_nothing, _write_account_deleted, _check_account_deleted),
    "a former member's account deleted": (
        _adam_makes_a_task_and_leaves,
        _write_former_member_deleted,
        _check_former_member_deleted,
    ),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_a_write_shows_on_the_cached_pages_at_once(scene: Scene, name: str) -> None:
    prepare, write, check = WRITES[name]
    prepare(scene)
    scene.fill()
    write(scene)
    check(scene, *scene.now())


def test_a_blockers_completion_unblocks_the_cached_task(scene: Scene) -> None:
    _write_blocker(scene)
    scene.fill()
    _write_complete(scene)  # the blocker (the first task) is done
    board, listed, mine = scene.now()
    for page in (board, listed, mine):
        assert page[scene.second]["is_blocked"] is False
        assert page[scene.second]["blocked_by"][0]["status"] == "completed"


def test_a_removed_member_gets_404_not_the_cached_page(scene: Scene) -> None:
    scene.fill()
    _filled(scene.cast.member, scene.board_url)
    _filled(scene.cast.member, scene.list_url)
    _ok(scene.cast.admin.delete(f"/api/tasks/rooms/{scene.room.id}/members/{scene.mila}/"), 204)
    for url in (scene.board_url, scene.list_url):
        assert scene.cast.member.get(url).status_code == 404
    # Their "my tasks" no longer holds the room's tasks (they were taken off them, too).
    mine, _state = _read(scene.cast.member, scene.mine_url)
    assert mine["results"] == []
    # The others still read the room.
    assert _read(scene.cast.viewer, scene.board_url)[0]["columns"][0]["tasks"]


def test_a_role_change_applies_to_the_next_request(scene: Scene) -> None:
    """The role is read per request, not cached with the page: a member made viewer still
    reads the (cached) board but can no longer move."""
    _filled(scene.cast.member, scene.board_url)
    url = f"/api/tasks/rooms/{scene.room.id}/members/{scene.mila}/"
    _ok(scene.cast.admin.patch(url, {"role": RoomRole.VIEWER}, format="json"))
    _read(scene.cast.member, scene.board_url)
    move = scene.cast.member.post(
        f"/api/tasks/tasks/{scene.first}/move/", {"status": "completed"}, format="json"
    )
    assert move.status_code == 403


def test_strangers_and_anonymous_never_get_a_cached_page(scene: Scene) -> None:
    scene.fill()
    for url in (scene.board_url, scene.list_url):
        assert scene.cast.stranger.get(url).status_code == 404
        assert scene.cast.anonymous.get(url).status_code == 401
    # A stranger's "my tasks" is their own (empty), not a member's cached page.
    assert _read(scene.cast.stranger, scene.mine_url)[0]["results"] == []


def test_another_members_page_is_their_own(scene: Scene) -> None:
    """ "My tasks" differs by reader: adam's page is not mila's cached one, and `assignee=me`
    in the room's list is each reader's own."""
    scene.fill()
    assert _read(scene.cast.admin, scene.mine_url)[0]["results"] == []
    mine = f"{scene.list_url}?assignee=me"
    assert len(_filled(scene.cast.member, mine)["results"]) == 2
    assert _read(scene.cast.admin, mine)[0]["results"] == []


def test_joining_a_room_shows_its_tasks_in_my_tasks(scene: Scene) -> None:
    """The page's key holds the reader's rooms: a room joined is a new key."""
    scene.fill()
    code = scene.room.join_code
    stranger = scene.cast.stranger
    before = _filled(stranger, scene.mine_url)
    _ok(stranger.post("/api/tasks/rooms/join/", {"code": code}, format="json"))
    task = scene.create(title="For the newcomer", assignee_ids=[str(stranger.user.id)])
    after, _state = _read(stranger, scene.mine_url)
    assert [t["id"] for t in after["results"]] == [task]
    assert before["results"] == []


def test_personal_tasks_show_in_my_tasks_at_once(cast: Any) -> None:
    _filled(cast.member, "/api/tasks/my-tasks/")
    created = _ok(
        cast.member.post("/api/tasks/personal/tasks/", {"title": "Mine"}, format="json"), 201
    ).json()
    mine, _state = _read(cast.member, "/api/tasks/my-tasks/")
    assert created["id"] in _list_tasks(mine)


def test_pages_that_depend_on_the_clock_are_not_cached(scene: Scene) -> None:
    for due in ("overdue", "today", "week"):
        for url in (scene.mine_url, scene.list_url):
            assert _read(scene.cast.member, f"{url}?due={due}")[1] == "off"
    _read(scene.cast.member, f"{scene.mine_url}?due=none")
    assert _read(scene.cast.member, f"{scene.mine_url}?due=none")[1] == "hit"


def test_a_cached_page_costs_one_query(
    scene: Scene, django_assert_max_num_queries: Any, warm: Any
) -> None:
    """A hit reads the reader's membership (with the rooms' versions) and nothing else; the
    miss's own bound is asserted in test_board_queries.py and test_lists.py."""
    scene.fill()
    warm()
    for client, url in (
        (scene.cast.viewer, scene.board_url),
        (scene.cast.viewer, scene.list_url),
        (scene.cast.member, scene.mine_url),
    ):
        with django_assert_max_num_queries(1):
            assert _read(client, url)[1] == "hit"


def test_bad_filters_are_refused_every_time_never_cached(scene: Scene) -> None:
    """Filters are validated when a page is rendered; a URL that fails never gets a page."""
    for url in (scene.mine_url, scene.list_url):
        for _ in range(2):
            response = scene.cast.member.get(f"{url}?status=done")
            assert response.status_code == 400
            assert "status" in response.json()["fields"]


def test_a_page_is_cached_per_language(scene: Scene, client_for: Any) -> None:
    """A page read in Russian is not the page a reader of English gets from the cache."""
    reader = client_for(scene.cast.member.user, lang=None)  # Accept-Language decides
    first = reader.get(scene.board_url, HTTP_ACCEPT_LANGUAGE="ru")
    assert (first.status_code, first["X-Page-Cache"]) == (200, "miss")
    assert reader.get(scene.board_url, HTTP_ACCEPT_LANGUAGE="ru")["X-Page-Cache"] == "hit"
    other = reader.get(scene.board_url, HTTP_ACCEPT_LANGUAGE="en")
    assert other["X-Page-Cache"] == "miss"
    assert other.json() == first.json()


# A Redis nothing listens at: the page cache's server is away (refused at once).
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def test_the_pages_are_built_from_the_database_while_the_cache_is_away(
    scene: Scene, settings: Any
) -> None:
    settings.CACHES = UNREACHABLE_CACHE
    for client, url in (
        (scene.cast.viewer, scene.board_url),
        (scene.cast.viewer, scene.list_url),
        (scene.cast.member, scene.mine_url),
    ):
        body, state = _read(client, url)
        assert state == "off"
        assert body  # the page itself, not an error
    _write_title(scene)
    board, listed, mine = scene.now()
    _check_title(scene, board, listed, mine)
    assert set(mine) == {scene.first, scene.second}


def test_a_process_serves_its_own_copy_of_a_page_and_never_a_stale_one(
    scene: Scene, settings: Any
) -> None:
    """A page this process served comes from its own copy (here the shared cache keeps
    nothing, so every hit is the copy's); a write changes the key, so the next read renders; an
    expired copy is not served; and with LocMemCache (the embedded default) no copy is kept."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert pages._local() is pages.recent
    assert _read(scene.cast.viewer, scene.board_url)[1] == "miss"
    assert _read(scene.cast.viewer, scene.board_url)[1] == "hit"
    _write_title(scene)
    body, state = _read(scene.cast.viewer, scene.board_url)
    assert state == "miss"
    assert _board_tasks(body)[scene.first]["title"] == "Renamed"
    assert _read(scene.cast.viewer, scene.board_url)[1] == "hit"
    for key, (_expires, page) in list(pages.recent._entries.items()):
        pages.recent._entries[key] = (0.0, page)
    assert _read(scene.cast.viewer, scene.board_url)[1] == "miss"
    # The budget holds: a page bigger than an eighth of it is not kept, the oldest go first.
    small = pages._Recent(8 * 1024)
    small.put("big", b"x" * 2048)
    small.put("a", b"x" * 1000)
    assert small.get("big") is None and small.get("a") == b"x" * 1000
    for n in range(20):
        small.put(f"k{n}", b"y" * 1000)
    assert small.get("a") is None and small.get("k19") == b"y" * 1000
    assert small._size <= 8 * 1024
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert pages._local() is None
