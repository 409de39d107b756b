"""Test helpers: temporary declarations for tests of the kit's own plumbing (outbox, relay),
whose event types are made up per test. Services' tests use their real declarations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from cotask_common.contracts.registry import Declaration, registry


@with_config(ConfigDict(extra="allow"))
class AnyData(TypedDict):
    """Any keys: only for made-up types in the kit's own tests."""


@contextmanager
def declared(types: Iterable[str], *, payload: type = AnyData, version: int = 1) -> Iterator[None]:
    """Declare `types` (version `version`, data `payload`) for the duration."""
    with registry.temporarily(
        *(Declaration(type=t, version=version, payload=payload, key="test") for t in types)
    ):
        yield
