"""tasks-service's concretizer in notifications: `tasks.plan.concretized` tells the plan's owner
(and nobody else) that the plan is ready, asks questions or failed, in their language, once,
never by email, live on their socket with the plan's id. Events built from the declaration."""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core import mail

from cotask_common.events.consumer import autodiscover_handlers
from cotask_common.events.consumer import registry as handlers
from cotask_common.events.testing import example_event
from notifications.inbox import services
from notifications.inbox.models import Notification
from notifications.tests.helpers import texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def concretized(deliver):
    def run(owner, *, recipients=None, **data):
        fields = {
            "plan_id": str(uuid.uuid4()),
            "owner_id": str(owner.id),
            "task_id": None,
            "parent_plan_id": None,
            "status": "done",
            "provider": "rules",
            "step_count": 5,
            "question_count": 0,
            "goal": "learn Spanish",
            "recipient_ids": [str(r.id) for r in (recipients or [owner])],
            **data,
        }
        event = example_event("tasks.plan.concretized", **fields)
        deliver(event)
        return event

    return run


def test_the_consumer_subscribes_to_plans() -> None:
    autodiscover_handlers()
    assert "tasks.plan" in set(handlers.topics())
    assert handlers.handlers_for("tasks.plan.concretized")


def test_the_owner_is_told_once_in_their_language(announce, concretized, deliver) -> None:
    owner, other = announce(), announce(language="uk")
    event = concretized(owner)
    assert deliver(event) is False  # redelivered: nothing more
    assert texts(owner) == ["Your plan for “learn Spanish” is ready"]
    assert texts(other) == []
    [notice] = Notification.objects.filter(recipient_id=owner.id)
    assert notice.data["plan_id"] == event.data["plan_id"]
    assert notice.data["provider"] == "rules" and notice.data["step_count"] == 5
    assert mail.outbox == []
    concretized(other, step_count=0, question_count=3, provider="rules")
    concretized(other, status="failed", step_count=0, provider=None)
    assert texts(other) == [
        "Кілька питань перед плануванням «learn Spanish»",
        "План для «learn Spanish» не вдалося скласти: спробуйте ще раз",
    ]


def test_only_the_owner_named_in_the_recipients_is_told(announce, concretized) -> None:
    owner, other = announce(), announce()
    concretized(owner, recipients=[other])  # a producer bug names someone else: nobody
    assert texts(owner) == [] and texts(other) == []


@pytest.mark.django_db(transaction=True)
def test_the_plan_reaches_the_owners_socket(announce, concretized) -> None:
    from config.asgi import application

    owner = announce()
    ticket, _ = services.issue_ws_ticket(user_id=owner.id, username=owner.username, role="user")

    async def scenario():
        from channels.db import database_sync_to_async

        socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
        connected, _ = await socket.connect(timeout=5)
        assert connected
        assert json.loads(await socket.receive_from(timeout=5))["type"] == "hello"
        event = await database_sync_to_async(concretized)(owner)
        frame = json.loads(await socket.receive_from(timeout=5))
        assert frame["type"] == "notification"
        assert frame["notification"]["type"] == "plan_ready"
        assert frame["notification"]["data"]["plan_id"] == event.data["plan_id"]
        await socket.disconnect()

    async_to_sync(scenario)()
