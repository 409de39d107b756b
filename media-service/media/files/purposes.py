"""What each kind of upload may be: its types, its size limit and who may see it.

The purpose is chosen by the client when uploading and never changes; the referencing service
(social, tasks, ...) checks that the id it is given has the purpose it expects, from the
`media.file.*` events.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from media.files.errors import FileRejected
from media.files.sniffing import DOCUMENT_TYPES, IMAGE_TYPES, TYPES, VIDEO_TYPES

MB = 1024 * 1024
# The labels follow "for" in every message ("the limit for an avatar"): Russian and Ukrainian
# need the genitive there, which the context ("after for") tells the translator.
PUBLIC = "public"
PRIVATE = "private"


@dataclass(frozen=True)
class Purpose:
    name: str
    label: str | Promise  # for people, in error messages (after "for": "the limit for …")
    max_bytes: int
    types: frozenset[str]
    # Allowed visibilities; the first one is the default.
    visibilities: tuple[str, ...]

    @property
    def allowed_labels(self) -> str:
        return ", ".join(TYPES[name].label for name in sorted(self.types, key=_type_order))

    def resolve_visibility(self, requested: str | None) -> str:
        if not requested:
            return self.visibilities[0]
        if requested not in self.visibilities:
            raise FileRejected(
                "visibility_not_allowed",
                _("%(purpose)s files can only be %(allowed)s.")
                % {"purpose": self.label, "allowed": _(" or ").join(self.visibilities)},
                field="visibility",
            )
        return requested


def _type_order(name: str) -> int:
    return list(TYPES).index(name)


PURPOSES: dict[str, Purpose] = {
    purpose.name: purpose
    for purpose in (
        # Avatars are shown to everyone, so they are always public.
        Purpose("avatar", pgettext_lazy("after for", "an avatar"), 5 * MB, IMAGE_TYPES, (PUBLIC,)),
        # Post media follow the page: public by default, private for private pages.
        Purpose(
            "post_image",
            pgettext_lazy("after for", "a post image"),
            10 * MB,
            IMAGE_TYPES,
            (PUBLIC, PRIVATE),
        ),
        Purpose(
            "post_video",
            pgettext_lazy("after for", "a post video"),
            200 * MB,
            VIDEO_TYPES,
            (PUBLIC, PRIVATE),
        ),
        # Attachments are only ever seen through signed URLs.
        Purpose(
            "task_attachment",
            pgettext_lazy("after for", "a task attachment"),
            25 * MB,
            DOCUMENT_TYPES | IMAGE_TYPES,
            (PRIVATE,),
        ),
        Purpose(
            "chat_attachment",
            pgettext_lazy("after for", "a chat attachment"),
            25 * MB,
            DOCUMENT_TYPES | IMAGE_TYPES | VIDEO_TYPES,
            (PRIVATE,),
        ),
    )
}


def get_purpose(name: str | None) -> Purpose:
    purpose = PURPOSES.get(name or "")
    if purpose is None:
        raise FileRejected(
            "unknown_purpose",
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(PURPOSES)},
            field="purpose",
        )
    return purpose
