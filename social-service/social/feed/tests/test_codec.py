"""The card codec (codec.py): Python's encoding and decoding agree, and the Lua script that reads
a feed in one round trip (timelines.READ_SCRIPT), built from the codec's constants, reads the
cards the codec writes."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from cotask_common.ids import uuid7
from social.feed import codec
from social.feed.timelines import READ_SCRIPT, SENTINEL, card_prefix, get_timelines

POST = {"id": "p", "text": 'héllo | «pipes» and "quotes"', "tags": ["a"], "like_count": 3}
PAGE = {"id": "g", "handle": "ada", "name": "Ada | Lovelace"}


def test_a_post_card_decodes_to_its_page_and_json() -> None:
    page_id = uuid.uuid4()
    card = codec.encode_post(page_id, POST)
    assert card[: codec.PAGE_ID_LENGTH].decode() == str(page_id)  # where the Lua script looks
    decoded = codec.decode_post(card)
    assert decoded is not None
    found_page, post_json = decoded
    assert found_page == str(page_id)
    assert json.loads(post_json + "}") == POST
    assert codec.decode_post(codec.GONE) is None


@pytest.mark.parametrize("blocked", [False, True])
def test_a_page_card_decodes_to_its_owner_block_and_json(blocked: bool) -> None:
    owner = uuid.uuid4()
    decoded = codec.decode_page(codec.encode_page(owner, blocked, PAGE))
    assert decoded is not None
    assert decoded[:2] == (str(owner), blocked)
    assert json.loads(decoded[2]) == PAGE
    assert codec.decode_page(codec.GONE) is None


@pytest.mark.parametrize("liked", [False, True])
def test_a_rendered_post_is_the_post_output(liked: bool) -> None:
    post = codec.decode_post(codec.encode_post(uuid.uuid4(), POST))
    page = codec.decode_page(codec.encode_page(uuid.uuid4(), False, PAGE))
    assert post is not None and page is not None
    rendered = json.loads(codec.render_post(post[1], page[2], liked))
    assert rendered == {**POST, "page": PAGE, "liked": liked, "videos": {}}
    videos = {"f": {"conversion": "pending"}}
    rendered = json.loads(codec.render_post(post[1], page[2], liked, codec.dumps(videos)))
    assert rendered["videos"] == videos


def test_the_read_script_is_built_from_the_codec() -> None:
    assert len(str(uuid.uuid4())) == codec.PAGE_ID_LENGTH
    assert f"string.sub(card, 1, {codec.PAGE_ID_LENGTH})" in READ_SCRIPT
    assert f"card ~= '{codec.GONE.decode()}'" in READ_SCRIPT
    assert f"ARGV[3] .. '{codec.POST_KEY}' .. id" in READ_SCRIPT
    assert f"ARGV[3] .. '{codec.PAGE_KEY}' .. page_id" in READ_SCRIPT


@pytest.mark.django_db
def test_the_read_script_reads_the_cards_the_codec_writes(settings: Any) -> None:
    if settings.SOCIAL_FEED_BACKEND != "redis":
        pytest.skip('the Redis store (eval "$(scripts/infra env)")')
    store: Any = get_timelines()
    client, prefix = store.client, card_prefix()
    reader, page_id, other_page, owner = (uuid.uuid4() for _ in range(4))
    kept, gone, elsewhere, uncached = (uuid7() for _ in range(4))
    store.replace(
        user_id=reader,
        entries=[(kept, page_id), (gone, page_id), (elsewhere, other_page), (uncached, page_id)],
    )
    client.set(codec.post_key(prefix, str(kept)), codec.encode_post(page_id, POST))
    client.set(codec.post_key(prefix, str(gone)), codec.GONE)
    client.set(codec.post_key(prefix, str(elsewhere)), codec.encode_post(other_page, POST))
    client.set(codec.page_key(prefix, str(page_id)), codec.encode_page(owner, True, PAGE))
    fast = store.read_with_reader(user_id=reader, before=None, limit=10, card_prefix=prefix)
    assert fast.built and fast.ids == sorted([kept, gone, elsewhere, uncached], reverse=True)
    assert fast.posts[str(kept)] == codec.encode_post(page_id, POST)
    assert fast.posts[str(gone)] == codec.GONE
    assert fast.posts[str(uncached)] is None
    # The pages of the live cards, found by the script where the codec put their ids.
    assert fast.pages == {str(page_id): codec.encode_page(owner, True, PAGE), str(other_page): None}
    assert codec.decode_page(fast.pages[str(page_id)]) == (str(owner), True, codec.dumps(PAGE))
    assert SENTINEL not in {str(i) for i in fast.ids}
