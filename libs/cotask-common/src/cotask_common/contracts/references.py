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


class MediaDetached(MediaReference):
    file_ids: NotRequired[list[UUID]]
    """the files the object stopped using; omitted: all of them (the object was deleted)"""
