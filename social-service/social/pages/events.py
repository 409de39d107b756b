"""auth-service's account events, as they concern pages. The shared UserRef handler
(cotask_common.users) runs first for the same events, in the same transaction."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from social.moderation.services import forget_reporter
from social.pages import services
from social.posts.services import erase_user_activity


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


@event_handler("auth.user.deleted")
def on_deleted(event: Event) -> None:
    """Everything that names or quotes the person goes (docs/events.md, `auth.user.deleted`):
    first their traces on other people's pages, then their own pages and follows."""
    user_id = UUID(str(event.key))
    erase_user_activity(user_id=user_id)
    forget_reporter(user_id=user_id)
    services.delete_user_data(user_id=user_id)
