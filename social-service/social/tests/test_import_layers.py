"""social-service's import contracts (`.importlinter`, run by `make lint`): its apps form layers
with no upward import tolerated, and a deliberate cycle or upward import is caught.

Each violation is a temporary module written into the tree and removed afterwards, so the check
runs exactly as `make lint` runs it (scripts/check_imports.py)."""

from __future__ import annotations

import configparser
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SOCIAL = ROOT / "social-service" / "social"
CONTRACTS = ("social-layers", "social-acyclic")

pytestmark = pytest.mark.timeout(600)


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    contracts = [arg for name in CONTRACTS for arg in ("--contract", name)]
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_imports.py"), *contracts, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@contextmanager
def probe(folder: Path, name: str, source: str) -> Iterator[str]:
    """A module that exists only for the duration of one check; yields its dotted name."""
    path = folder / f"{name}.py"
    path.write_text(source)
    try:
        yield ".".join(path.relative_to(SOCIAL.parent).with_suffix("").parts)
    finally:
        path.unlink()


def test_no_upward_import_between_social_apps_is_tolerated() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    for name in CONTRACTS:
        section = config[f"importlinter:contract:{name}"]
        ignored = [line for line in section.get("ignore_imports", "").split("\n") if line.strip()]
        # Only the tests, which build their data through any app, may import upwards.
        assert ignored == ["social.*.tests.** -> social.**"], (name, ignored)


def test_the_social_contracts_hold_on_the_tree() -> None:
    done = _check()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_cycle_between_two_modules_of_an_app_is_caught() -> None:
    # Like the Celery task module that called the service that enqueued it.
    tag = uuid.uuid4().hex[:8]
    first, second = f"zz_cycle_a_{tag}", f"zz_cycle_b_{tag}"
    feed = SOCIAL / "feed"
    with ExitStack() as stack:
        stack.enter_context(probe(feed, first, f"from social.feed import {second}  # noqa\n"))
        stack.enter_context(probe(feed, second, f"from social.feed import {first}  # noqa\n"))
        done = _check("--no-cache")
    assert done.returncode != 0
    assert "No cycles are allowed in social.feed" in done.stdout
    assert first in done.stdout or second in done.stdout


def test_a_lower_app_calling_the_feed_directly_is_caught() -> None:
    # What posts and pages did before social.core.feed_writes: a cycle pages -> feed -> pages.
    name = f"zz_feed_call_{uuid.uuid4().hex[:8]}"
    source = "from social.feed import services  # noqa\n"
    with probe(SOCIAL / "pages", name, source) as module:
        done = _check("--no-cache")
    assert done.returncode != 0
    assert "social.pages is not allowed to import social.feed" in done.stdout
    assert f"{module} -> social.feed.services" in done.stdout
    assert "No cycles are allowed in social." in done.stdout


def test_the_shared_core_imports_no_app() -> None:
    name = f"zz_core_probe_{uuid.uuid4().hex[:8]}"
    with probe(SOCIAL / "core", name, "from social.pages import models  # noqa\n") as module:
        done = _check("--no-cache")
    assert done.returncode != 0
    assert "social.core is not allowed to import social.pages" in done.stdout
    assert module in done.stdout
