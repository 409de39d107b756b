"""scripts/infra from a checkout that PostgreSQL's OS user cannot enter (under a 0700 folder such
as a root user's home): PostgreSQL still starts, with its folder outside the checkout."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import ROOT

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("runuser"),
    reason="the server runs as another OS user only when scripts/infra is run as root",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def private_checkout() -> Iterator[Path]:
    """A copy of scripts/ inside a folder only its owner may enter."""
    outer = Path(tempfile.mkdtemp(prefix="cotask-private-"))
    outer.chmod(0o700)
    checkout = outer / "checkout"
    shutil.copytree(ROOT / "scripts", checkout / "scripts")
    yield checkout
    shutil.rmtree(outer, ignore_errors=True)


def test_postgres_starts_from_a_checkout_others_cannot_enter(private_checkout: Path) -> None:
    port = _free_port()
    env = {**os.environ, "INFRA_PG_PORT": str(port), "INFRA_NO_APT": "1", "NO_COLOR": "1"}
    infra = [str(private_checkout / "scripts" / "infra")]
    link = private_checkout / "var" / "infra" / "postgres"
    try:
        up = subprocess.run(
            [*infra, "up", "postgres"], env=env, capture_output=True, text=True, timeout=180
        )
        assert up.returncode == 0, up.stderr
        assert link.is_symlink()
        assert not str(link.resolve()).startswith(str(private_checkout))
        status = subprocess.run(
            [*infra, "status", "postgres"], env=env, capture_output=True, text=True, timeout=60
        )
        assert status.returncode == 0, status.stdout + status.stderr
        assert "answers" in status.stdout
    finally:
        subprocess.run([*infra, "down", "postgres"], env=env, capture_output=True, timeout=120)
        if link.is_symlink():
            # /var/lib/cotask-infra/<this checkout's id>/postgres: the id folder goes too, and
            # the common folder when nothing else is in it.
            checkout_folder = link.resolve().parent
            shutil.rmtree(checkout_folder, ignore_errors=True)
            with contextlib.suppress(OSError):
                checkout_folder.parent.rmdir()
