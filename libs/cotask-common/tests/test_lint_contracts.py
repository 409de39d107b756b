"""`make lint`'s import contracts (scripts/check_imports.py) and type check (scripts/typecheck.py)
pass on the tree and fail on a deliberate violation: a module that imports another service, a kit
module that imports a service, an app that imports a layer above it, a type error.

Each violation is a temporary module written into the tree and removed afterwards, so the checks
run exactly as `make lint` runs them.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
KIT = ROOT / "libs" / "cotask-common" / "src" / "cotask_common"

pytestmark = pytest.mark.timeout(900)


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@contextmanager
def probe(folder: Path, source: str) -> Iterator[Path]:
    """A module that exists only for the duration of one check."""
    path = folder / f"zz_lint_probe_{uuid.uuid4().hex[:8]}.py"
    path.write_text(source)
    try:
        yield path
    finally:
        path.unlink()


def test_the_import_contracts_hold_on_the_tree() -> None:
    done = _run("check_imports.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("folder", "source", "broken"),
    [
        # A service reaching into another service's code instead of its events.
        (
            ROOT / "social-service" / "social",
            "from auth.accounts import models  # noqa\n",
            "social is not allowed to import auth",
        ),
        # The kit importing a service.
        (KIT, "import social.pages.models  # noqa\n", "cotask_common is not allowed to import"),
        # An app of social-service importing an app above it.
        (
            ROOT / "social-service" / "social" / "pages",
            "from social.search import selectors  # noqa\n",
            "social.pages is not allowed to import social.search",
        ),
    ],
    ids=["service-imports-service", "kit-imports-service", "social-layers"],
)
def test_the_import_contracts_fail_on_a_violation(folder: Path, source: str, broken: str) -> None:
    with probe(folder, source) as path:
        done = _run("check_imports.py", "--no-cache")
    assert done.returncode != 0
    assert broken in done.stdout
    assert path.stem in done.stdout


def test_the_type_check_passes_on_the_tree() -> None:
    done = _run("typecheck.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no new errors" in done.stdout


@pytest.mark.parametrize(
    ("target", "folder"),
    [("kit", KIT), ("tasks", ROOT / "tasks-service" / "tasks")],
)
def test_the_type_check_fails_on_a_type_error(target: str, folder: Path) -> None:
    source = 'def answer() -> int:\n    return "forty-two"\n'
    with probe(folder, source) as path:
        done = _run("typecheck.py", "--target", target)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{path.name}:2: [return-value] Incompatible return value type" in done.stdout


def test_a_fixed_baseline_error_is_reported_as_a_baseline_that_can_shrink() -> None:
    baseline = ROOT / "mypy-baseline.txt"
    kept = baseline.read_text()
    stale = "libs/cotask-common/src/cotask_common/env.py: [misc] an error fixed long ago\n"
    try:
        baseline.write_text(kept + stale)
        done = _run("typecheck.py", "--target", "kit")
    finally:
        baseline.write_text(kept)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 baseline errors are fixed: run `scripts/typecheck.py --shrink`" in done.stdout
