"""The real stack for the end-to-end suite: PostgreSQL, Redis, Kafka and S3 from `scripts/infra`
(their URLs in the environment, as `scripts/test` exports them), six services and nginx."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import ROOT, ServiceProcess, Stack, base_env

from cotask_common.security.signing import generate_private_key, key_id, private_key_to_pem

# Overridable so two checkouts can run the suite side by side.
GATEWAY_PORT = int(os.environ.get("E2E_GATEWAY_PORT", "58080"))
SERVICE_PORT_BASE = int(os.environ.get("E2E_SERVICE_PORT_BASE", "58100"))


class SigningKey:
    def __init__(self, path: Path) -> None:
        self.private_key = generate_private_key()
        self.kid = key_id(self.private_key.public_key())
        path.write_bytes(private_key_to_pem(self.private_key))
        path.chmod(0o600)
        self.path = path


@pytest.fixture(scope="session")
def var_dir() -> Path:
    # Overridable so two runs from one checkout do not wipe each other's folder.
    path = (
        Path(os.environ["E2E_VAR_DIR"]) if os.environ.get("E2E_VAR_DIR") else ROOT / "var" / "e2e"
    )
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="session")
def signing_key(var_dir: Path) -> SigningKey:
    """auth-service's key for this run, so tests can also forge expired or bent tokens."""
    return SigningKey(var_dir / "jwt-signing-key.pem")


@pytest.fixture(scope="session")
def stack_env(var_dir: Path, signing_key: SigningKey) -> dict[str, str]:
    env = base_env(var_dir, embedded=False)
    missing = [
        name
        for name in ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")
        if not env.get(name)
    ]
    if missing:
        pytest.exit(
            f"the e2e suite needs the real servers; run it with `make test` ({missing} unset)"
        )
    env["JWT_PRIVATE_KEY_FILE"] = str(signing_key.path)
    # Generous auth rate limit for the suite; the rate-limit test uses its own client address.
    env["AUTH_RATE_LIMIT"] = "120r/m"
    env["AUTH_RATE_BURST"] = "40"
    # auth-service's own per-account/per-address throttles have their unit tests; here every
    # account is registered from one address, so they would only get in the way.
    env["AUTH_THROTTLE_ENABLED"] = "false"
    return env


@pytest.fixture(scope="session")
def social_events(
    stack: Stack, stack_env: dict[str, str], var_dir: Path
) -> Iterator[ServiceProcess]:
    """social-service's event process, run by the suite so a test can crash and restart it."""
    process = ServiceProcess(
        service="social", args=["run_events"], env=stack_env, log_path=var_dir / "social-events.log"
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def stack(stack_env: dict[str, str]) -> Iterator[Stack]:
    running = Stack(
        name="e2e",
        gateway_port=GATEWAY_PORT,
        service_port_base=SERVICE_PORT_BASE,
        env=stack_env,
        extra_args=["--no-workers", "--skip", "social:events", "--web-workers", "2"],
    )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def gateway(stack: Stack, social_events: ServiceProcess) -> str:
    return stack.url


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that stop a shared server (the Kafka outage, the fault injection) run last, so
    nothing after them depends on how quickly every client recovered."""
    items.sort(key=lambda item: item.module.__name__ in ("test_faults", "test_outage"))
