"""Hand-written examples of the journey's posts, for the OpenAPI document (the kit makes the
rest from the schema: `cotask_common.openapi_examples`)."""

from __future__ import annotations

from typing import Any

PAGE_ID = "1d6b6c1e-8f0a-4f4e-9c52-6a7e3f2b9d10"

# A post as the feed and the page list it: on Ada's page, liked by the reader.
POST: dict[str, Any] = {
    "id": "7a4f2d8e-5b1c-4e9a-8d3f-2c6b0e1a9f47",
    "page": {
        "id": PAGE_ID,
        "handle": "ada_lovelace",
        "name": "Ada Lovelace",
        "avatar_id": None,
        "is_private": False,
    },
    "author_id": "5f0c1e9a-3b7d-4c2e-9a61-0d4f8b2c7e15",
    "reply_to_id": None,
    "kind": "post",
    "progress": None,
    "text": "Finished the first chapter of the analytical engine notes. #python",
    "tags": ["python"],
    "mentions": [],
    "media_ids": [],
    "like_count": 12,
    "comment_count": 3,
    "reply_count": 0,
    "liked": True,
    "created_at": "2026-12-05T09:30:00Z",
    "edited_at": None,
    "videos": {},
}
