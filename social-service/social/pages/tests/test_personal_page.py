"""The personal page exists from the account's first request on: made by whichever comes first,
the user's own request or `auth.user.registered`, once, even when both run at the same moment."""

from __future__ import annotations

import threading
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection

from cotask_common.events.testing import handle_event, make_event, published_events
from cotask_common.users.models import UserRef
from social.pages import services
from social.pages.models import Page

API = "/api/social"


def _newcomer(username: str = "ada") -> Any:
    """Someone auth-service registered a moment ago: a valid token, nothing known here yet."""
    return SimpleNamespace(id=uuid.uuid4(), username=username, role="user", email_verified=True)


def _registered(user: Any, display_name: str = "Ada L") -> Any:
    return make_event(
        type="auth.user.registered",
        key=user.id,
        data={
            "id": str(user.id),
            "username": user.username,
            "display_name": display_name,
            "role": "user",
            "email_verified": True,
        },
    )


def _personal(user: Any) -> list[Page]:
    return list(Page.objects.filter(owner_id=user.id, kind=Page.Kind.PERSONAL))


@pytest.mark.django_db
def test_the_first_request_makes_the_page_and_the_event_then_names_it(client_for: Any) -> None:
    user = _newcomer()
    client = client_for(user)
    body = client.get(f"{API}/me/").json()
    assert body["personal_page"] is not None
    assert (body["personal_page"]["handle"], body["personal_page"]["name"]) == ("ada", "ada")
    assert client.get(f"{API}/me/").json()["personal_page"]["id"] == body["personal_page"]["id"]
    assert handle_event(_registered(user)) is True
    [page] = _personal(user)
    assert str(page.id) == body["personal_page"]["id"]
    assert (page.handle, page.name) == ("ada", "Ada L")  # the display name came with the event
    assert [e.type for e in published_events(type_prefix="social.page.")] == [
        "social.page.created",
        "social.page.updated",
    ]
    assert UserRef.objects.get(id=user.id).display_name == "Ada L"


@pytest.mark.django_db
def test_a_page_renamed_before_the_event_keeps_its_name(client_for: Any) -> None:
    user = _newcomer()
    client = client_for(user)
    page_id = client.get(f"{API}/me/").json()["personal_page"]["id"]
    renamed = client.patch(f"{API}/pages/{page_id}/", {"name": "Mine"}, format="json")
    assert renamed.status_code == 200
    handle_event(_registered(user))
    assert [p.name for p in _personal(user)] == ["Mine"]


@pytest.mark.django_db
def test_the_event_first_then_the_request_finds_that_page(client_for: Any) -> None:
    user = _newcomer()
    handle_event(_registered(user))
    [page] = _personal(user)
    body = client_for(user).get(f"{API}/me/").json()
    assert body["personal_page"]["id"] == str(page.id)
    assert body["personal_page"]["name"] == "Ada L"
    assert len(_personal(user)) == 1
    assert len(published_events(type_prefix="social.page.created")) == 1


@pytest.mark.django_db(transaction=True)
def test_requests_and_the_event_at_the_same_moment_make_one_page() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("threads need a database server (SQLite in tests is one in-memory file)")
    user = _newcomer()
    other = _newcomer("ada")  # a second newcomer wanting the same handle at the same time
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def run(work: Any) -> None:
        try:
            start.wait(timeout=10)
            work()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    works = [
        lambda: services.ensure_personal_page(user=user),
        lambda: services.ensure_personal_page(user=user),
        lambda: services.ensure_personal_page(user=user),
        lambda: handle_event(_registered(user)),
        lambda: services.ensure_personal_page(user=other),
        lambda: handle_event(_registered(other, display_name="Other Ada")),
    ]
    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    [mine], [theirs] = _personal(user), _personal(other)
    assert {mine.handle_key, theirs.handle_key} >= {"ada"} and mine.handle_key != theirs.handle_key
    created = published_events(type_prefix="social.page.created")
    assert sorted(e.key for e in created) == sorted([str(mine.id), str(theirs.id)])
    assert (mine.name, theirs.name) == ("Ada L", "Other Ada")
