"""auth-service's account events, as they concern pages. The shared UserRef handler
(cotask_common.users) runs first for the same events, in the same transaction. An account's
deletion touches every app, so its handler sits in the top layer (`social/moderation/events.py`).
And media-service's file events, kept in the small projection avatars and post files are checked
against (`MediaFile`), with the lesson videos' conversions that posts show."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from cotask_common.media_files import MEDIA_FILE_EVENT_TYPES
from social.pages import services


@event_handler("auth.user.registered")
def on_registered(event: Event) -> None:
    services.create_personal_page(
        user_id=UUID(str(event.key)),
        username=event.data.get("username", ""),
        display_name=event.data.get("display_name", ""),
    )


@event_handler("auth.user.banned")
def on_banned(event: Event) -> None:
    services.set_owner_banned(user_id=UUID(str(event.key)), banned=True)


@event_handler("auth.user.unbanned")
def on_unbanned(event: Event) -> None:
    services.set_owner_banned(user_id=UUID(str(event.key)), banned=False)


@event_handler("auth.user.deactivated")
def on_deactivated(event: Event) -> None:
    services.set_owner_inactive(user_id=UUID(str(event.key)), inactive=True)


@event_handler("auth.user.reactivated")
def on_reactivated(event: Event) -> None:
    services.set_owner_inactive(user_id=UUID(str(event.key)), inactive=False)


@event_handler(*MEDIA_FILE_EVENT_TYPES)
def on_media_file(event: Event) -> None:
    services.apply_media_event(event_type=event.type, data=event.data)


@event_handler("media.video.ready", "media.video.failed")
def on_video(event: Event) -> None:
    services.apply_video_event(event_type=event.type, data=event.data)
