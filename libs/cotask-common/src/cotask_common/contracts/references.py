"""Media references: the payload every service uses to tell media-service which of its objects
use which files (`<service>.media.attached` / `.detached`, declared in each service's module).

media keeps a file while something references it; files nothing references are removed after a
grace period. Topic `<service>.media`, key = the referring object's id (so one object's attach
and detach stay in order). Producer: the referencing service, in the transaction that changes
the object. `actor`: the user, if any. References are a set per (service, object type, object
id, file): repeating an event is harmless, and unknown or malformed ids are skipped (logged),
never retried.
"""

from __future__ import annotations

from typing import Annotated, NotRequired
from uuid import UUID

from pydantic import Field
from typing_extensions import TypedDict

REFERENCE_KEY = "the referring object's id"
ATTACHED_CONSUMERS = {"media": "adds a reference per file (keeps the files)"}
DETACHED_CONSUMERS = {
    "media": "removes the references (the named files, or all of the object's without "
    "`file_ids`); a file left without any is deleted after the grace period"
}


class MediaReference(TypedDict):
    object_type: Annotated[str, Field(max_length=64, examples=["post"])]
    """what refers to the files, e.g. `post`, `page`, `task`, `message`"""
    object_id: Annotated[str, Field(max_length=128)]
    """the referring object's id (= the key)"""


class MediaAttached(MediaReference):
    file_ids: list[UUID]
    """the files the object uses (now or from now on)"""
    audience: NotRequired[
        Annotated[
            str,
            Field(
                max_length=128,
                pattern=r"^[a-z_]+:.+$",
                examples=["page:0193a2c4-7d1e-7c3a-9f00-5b6a1e2d3c4f"],
            ),
        ]
    ]
    """`<kind>:<id>` (e.g. `page:<id>`): the members of this audience of the service may read
    the files while this reference lasts (see `<service>.media.access_granted`)"""


ACCESS_KEY = "the audience (`<kind>:<id>`), so one audience's changes stay in order"
ACCESS_GRANTED_CONSUMERS = {
    "media": "adds the users to the audience's members (a change older than what media applied "
    "for a member is ignored)"
}
ACCESS_REVOKED_CONSUMERS = {
    "media": "removes the users from the audience (without `user_ids`: every member, and older "
    "grants stay void)"
}


class AccessGranted(TypedDict):
    audience: Annotated[
        str,
        Field(
            max_length=128,
            pattern=r"^[a-z_]+:.+$",
            examples=["page:0193a2c4-7d1e-7c3a-9f00-5b6a1e2d3c4f"],
        ),
    ]
    """`<kind>:<id>` (= the key)"""
    user_ids: Annotated[list[UUID], Field(min_length=1, max_length=1000)]
    """who may now read every file attached to the audience (at most 1000 per event)"""


class AccessRevoked(TypedDict):
    audience: Annotated[
        str,
        Field(
            max_length=128,
            pattern=r"^[a-z_]+:.+$",
            examples=["page:0193a2c4-7d1e-7c3a-9f00-5b6a1e2d3c4f"],
        ),
    ]
    """`<kind>:<id>` (= the key)"""
    user_ids: NotRequired[Annotated[list[UUID], Field(min_length=1, max_length=1000)]]
    """who may no longer read the audience's files; omitted: nobody may (the audience is gone,
    or closed for a while: grants afterwards open it again)"""


class MediaDetached(MediaReference):
    file_ids: NotRequired[list[UUID]]
    """the files the object stopped using; omitted: all of them (the object was deleted)"""
