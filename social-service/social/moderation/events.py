"""`auth.user.deleted` for the whole of social-service. It erases the person from every app
(posts, moderation, pages), so it lives in the top layer of the app order, which may import the
apps below it (see `.importlinter`). The shared UserRef handler (cotask_common.users) runs first
for the same event, in the same transaction."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from social.moderation.services import forget_reporter
from social.pages.services import delete_user_data
from social.posts.services import erase_user_activity
from social.progress.services import forget_user


@event_handler("auth.user.deleted")
def on_deleted(event: Event) -> None:
    """Everything that names or quotes the person goes (docs/events.md, `auth.user.deleted`):
    first their traces on other people's pages, then their own pages and follows."""
    user_id = UUID(str(event.key))
    erase_user_activity(user_id=user_id)
    forget_reporter(user_id=user_id)
    forget_user(user_id=user_id)
    delete_user_data(user_id=user_id)
