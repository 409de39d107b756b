"""media-service's lesson videos in notifications: the owner (only) is told in their language
when a video is converted (`media.video.ready`) or cannot be (`media.video.failed`), once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cotask_common.events.consumer import autodiscover_handlers
from cotask_common.events.consumer import registry as handlers
from cotask_common.events.testing import example_event
from notifications.inbox.models import Notification
from notifications.tests.helpers import texts

pytestmark = pytest.mark.django_db


def test_the_consumer_subscribes_to_the_video_topic() -> None:
    autodiscover_handlers()
    assert "media.video" in set(handlers.topics())
    assert handlers.handlers_for("media.video.ready")
    assert handlers.handlers_for("media.video.failed")


@pytest.mark.parametrize(
    ("language", "ready", "failed"),
    [
        ("en", "Your video “L1.mp4” is ready", "Your video “L1.mp4” could not be converted"),
        ("ru", "Ваше видео «L1.mp4» готово", "Ваше видео «L1.mp4» не удалось преобразовать"),
        ("uk", "Ваше відео «L1.mp4» готове", "Ваше відео «L1.mp4» не вдалося перетворити"),
    ],
)  # fmt: skip
def test_the_owner_is_told_in_their_language(
    announce: Any, deliver: Any, language: str, ready: str, failed: str
) -> None:
    owner, stranger = announce(language=language), announce()
    file_id = str(uuid.uuid4())
    event = example_event(
        "media.video.ready", id=file_id, owner_id=str(owner.id), filename="L1.mp4"
    )
    assert deliver(event)
    deliver(event)  # delivered twice: told once
    deliver(
        example_event(
            "media.video.failed", id=str(uuid.uuid4()), owner_id=str(owner.id),
            filename="L1.mp4", code="truncated_video",
        )
    )  # fmt: skip
    assert texts(owner) == [ready, failed]
    assert texts(stranger) == []
    found = Notification.objects.filter(recipient_id=owner.id, type="video_ready").get()
    assert (found.target_service, found.target_kind, found.target_id) == ("media", "file", file_id)
    assert found.actor_id is None
