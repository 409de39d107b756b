"""Starting and talking to a whole CoTask stack (scripts/stack.py) from the end-to-end tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SERVICES = ("auth", "social", "tasks", "habits", "media", "notifications")
EMBEDDED_ONLY_UNSET = (
    "DATABASE_URL",
    "REDIS_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "CELERY_BROKER_URL",
    "S3_ENDPOINT_URL",
    "CHANNELS_REDIS_URL",
)


def wait_for(
    check: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = ""
) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or check}; last={last!r}")


# Linux hands out local ports of outgoing connections from 32768-60999, where the suite's
# default ports are too: a client connection that happens to hold one when a stack starts makes
# that bind fail ("address already in use").
RESERVED_PORTS = Path("/proc/sys/net/ipv4/ip_local_reserved_ports")
BIND_CLASH = "address already in use"


def reserve_ports(first: int, last: int) -> bool:
    """Take first..last out of the kernel's choice of local ports for outgoing connections
    (root only; others rely on Stack's one retry). True when reserved."""
    try:
        current = RESERVED_PORTS.read_text().strip()
        RESERVED_PORTS.write_text(f"{current},{first}-{last}" if current else f"{first}-{last}")
    except OSError:
        return False
    return True


class Stack:
    """One running system: its gateway URL, its processes, its logs."""

    def __init__(
        self,
        *,
        name: str,
        gateway_port: int,
        service_port_base: int,
        env: dict[str, str],
        extra_args: list[str] | None = None,
        ready_timeout: float = 240,
    ) -> None:
        self.name = name
        self.gateway_port = gateway_port
        self.service_port_base = service_port_base
        self.url = f"http://127.0.0.1:{gateway_port}"
        self.var_dir = Path(env["COTASK_VAR_DIR"])
        self.env = env
        self.log_dir = self.var_dir / "logs" / name
        reserve_ports(gateway_port, gateway_port)
        reserve_ports(service_port_base + 1, service_port_base + len(SERVICES))
        for attempt in (1, 2):
            try:
                self._start(extra_args or [], ready_timeout)
                return
            except RuntimeError as exc:
                # A port held by some client's connection for a moment: once more.
                if attempt == 2 or BIND_CLASH not in str(exc):
                    raise
                time.sleep(2)

    def _start(self, extra_args: list[str], ready_timeout: float) -> None:
        name = self.name
        ready_file = self.var_dir / f"{name}.ready"
        ready_file.unlink(missing_ok=True)
        self.output = open(self.var_dir / f"{name}-stack.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                PYTHON,
                str(ROOT / "scripts" / "stack.py"),
                "--name",
                name,
                "--gateway-port",
                str(self.gateway_port),
                "--service-port-base",
                str(self.service_port_base),
                "--var-dir",
                str(self.var_dir),
                "--quiet",
                "--ready-file",
                str(ready_file),
                "--ready-timeout",
                str(ready_timeout),
                *extra_args,
            ],
            env=self.env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + ready_timeout + 120
        while not ready_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = (self.var_dir / f"{name}-stack.log").read_text(errors="replace")[-4000:]
                clash = any(
                    BIND_CLASH in path.read_text(errors="replace").lower()
                    for path in self.log_dir.glob("*.log")
                )
                raise RuntimeError(
                    f"stack {name} did not start{' (' + BIND_CLASH + ')' if clash else ''}:\n{log}"
                )
            time.sleep(0.5)

    def service_port(self, service: str) -> int:
        return self.service_port_base + SERVICES.index(service) + 1

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.output.close()


class ServiceProcess:
    """A single process of one service run by a test itself (to stop and restart it)."""

    def __init__(
        self, *, service: str, args: list[str], env: dict[str, str], log_path: Path
    ) -> None:
        self.service = service
        self.args = args
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        handle = open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", *self.args],
            cwd=ROOT / f"{self.service}-service",
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()

    def kill(self) -> None:
        """SIGKILL: a crash, not a clean stop."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_records(self) -> list[dict[str, Any]]:
        records = []
        if not self.log_path.exists():
            return records
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return records


def new_username(prefix: str = "e2e") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def register_and_login(
    base_url: str,
    *,
    username: str | None = None,
    time_zone: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """A new account (in `time_zone` and `language` when given: its token's `tz` and language
    claims too), signed in."""
    username = username or new_username()
    password = f"Pw-{uuid.uuid4().hex}"
    data = {"username": username, "email": f"{username}@example.com", "password": password}
    if time_zone:
        data["time_zone"] = time_zone
    if language:
        data["language"] = language
    registered = requests.post(f"{base_url}/api/auth/register/", json=data, timeout=30)
    assert registered.status_code == 201, registered.text
    login = requests.post(
        f"{base_url}/api/auth/login/", json={"login": username, "password": password}, timeout=30
    )
    assert login.status_code == 200, login.text
    return {"user": registered.json(), "password": password, **login.json()}


def bearer(account: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['access']}"}


def call_api(
    base_url: str, account: dict[str, Any], method: str, path: str, **body: Any
) -> requests.Response:
    """`method /api/<path>` as `account`, the keyword arguments as its JSON body."""
    return requests.request(
        method,
        f"{base_url}/api/{path}",
        headers=bearer(account),
        json=body if method in ("POST", "PATCH", "PUT") else None,
        timeout=30,
    )


def api_ok(base_url: str, account: dict[str, Any], method: str, path: str, **body: Any) -> Any:
    """`call_api` that must succeed: its JSON (None for an empty answer)."""
    response = call_api(base_url, account, method, path, **body)
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def whoami(base_url: str, service: str, token: str) -> requests.Response:
    return requests.get(
        f"{base_url}/api/{service}/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def base_env(var_dir: Path, *, embedded: bool) -> dict[str, str]:
    env = dict(os.environ)
    if embedded:
        for name in EMBEDDED_ONLY_UNSET:
            env.pop(name, None)
    env["COTASK_VAR_DIR"] = str(var_dir)
    env.setdefault("DJANGO_SECRET_KEY", "e2e-only-not-secret")
    # Python's own path must not leak a test runner's settings into the services.
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PATH"] = f"{Path(PYTHON).parent}:{env.get('PATH', '')}"
    return env


def embedded_stack(
    name: str, *, workers: bool = True, workers_of: Sequence[str] | None = None
) -> Stack:
    """`make run`'s embedded defaults (SQLite, the embedded event log, no servers) on the
    embedded e2e ports, in a fresh `var/e2e-<name>`; without Celery workers unless `workers`,
    and with only the named services' workers (each with beat, as `make run` starts them)
    when `workers_of` is given. The caller stops it."""
    var_dir = ROOT / "var" / f"e2e-{name}"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    env = base_env(var_dir, embedded=True)
    env["AUTH_RATE_LIMIT"] = "120r/m"
    env["AUTH_THROTTLE_ENABLED"] = "false"
    return Stack(
        name=name,
        gateway_port=int(os.environ.get("E2E_EMBEDDED_GATEWAY_PORT", "58180")),
        service_port_base=int(os.environ.get("E2E_EMBEDDED_SERVICE_PORT_BASE", "58110")),
        env=env,
        extra_args=(
            ["--no-workers"]
            if not workers
            else [
                arg
                for service in SERVICES
                if workers_of is not None and service not in workers_of
                for arg in ("--skip", f"{service}:worker")
            ]
        ),
    )
