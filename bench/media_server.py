"""Helpers for the media benchmarks (bench/media_upload_throughput.py, bench/media_video_memory.py):
a real media-service (gunicorn, optionally its Celery worker) on a scratch folder under var/bench/,
trusting a signing key of the benchmark's own (its JWKS served by a local HTTP server), and the
memory figures of its processes read from /proc.

Run as a script it only prints this text: `make bench` runs every file in bench/.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SERVICE_DIR = ROOT / "media-service"
BIN = Path(sys.executable).parent
EMBEDDED_ONLY = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "CELERY_BROKER_URL")

sys.path.insert(0, str(ROOT / "libs" / "cotask-common" / "src"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak since start or since reset_peak)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used: a figure a busy machine does not skew."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak(pid: int) -> bool:
    """Linux: writing 5 to clear_refs resets VmHWM to the current RSS."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class MediaServer:
    """media-service under gunicorn (and its Celery worker when asked), on embedded defaults
    (SQLite, embedded event log, filesystem broker) in a scratch folder. `storage="s3"` uses the
    S3 server from the environment (`eval "$(scripts/infra env)"`) under a prefix of its own."""

    def __init__(
        self, *, storage: str = "local", threads: int = 4, start_worker: bool = False
    ) -> None:
        from cotask_common.security.signing import generate_private_key, key_id, public_jwk

        self.storage = storage
        self.var_dir = ROOT / "var" / "bench" / f"media-{uuid.uuid4().hex[:8]}"
        self.var_dir.mkdir(parents=True)
        self.private_key = generate_private_key()
        self.kid = key_id(self.private_key.public_key())
        jwks = json.dumps({"keys": [public_jwk(self.private_key.public_key(), self.kid)]})
        self._jwks_server = _serve(jwks.encode())
        env = dict(os.environ)
        for name in EMBEDDED_ONLY:
            env.pop(name, None)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(
            COTASK_VAR_DIR=str(self.var_dir),
            DJANGO_SECRET_KEY="bench-only-not-secret",
            JWT_JWKS_URL=f"http://127.0.0.1:{self._jwks_server.server_port}/jwks.json",
            LOG_LEVEL="WARNING",
            MEDIA_STORAGE=storage,
        )
        if storage == "s3":
            if not env.get("S3_ENDPOINT_URL"):
                raise SystemExit('storage s3 needs the S3 server: eval "$(scripts/infra env)"')
            env["MEDIA_STORAGE_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}/"
        else:
            env.pop("S3_ENDPOINT_URL", None)
        self.env = env
        self.processes: list[subprocess.Popen[bytes]] = []
        self._log = open(self.var_dir / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=SERVICE_DIR,
            env=env,
            check=True,
        )
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.gunicorn = self._spawn(
            [
                str(BIN / "gunicorn"), "config.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", str(threads),
                "--timeout", "300", "--no-control-socket",
            ]
        )  # fmt: skip
        worker = [
            str(BIN / "celery"), "-A", "config", "worker",
            "--pool", "solo", "--concurrency", "1", "--loglevel", "WARNING",
            "--hostname", f"bench-{uuid.uuid4().hex[:6]}@%h",
        ]  # fmt: skip
        self.worker = self._spawn(worker) if start_worker else None
        self._wait_ready()

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command,
            cwd=SERVICE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/media/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.gunicorn.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"media-service did not start; see {self.var_dir / 'server.log'}")

    def web_worker_pid(self) -> int:
        workers = children(self.gunicorn.pid)
        if len(workers) != 1:
            raise RuntimeError(f"expected one gunicorn worker, found {workers}")
        return workers[0]

    def celery_pid(self) -> int:
        assert self.worker is not None
        return self.worker.pid

    def token(self) -> str:
        from cotask_common.security.signing import encode_token, standard_claims

        claims = standard_claims(
            user_id=uuid.uuid4(),
            username="bench",
            role="user",
            email_verified=True,
            session_id=uuid.uuid4().hex,
            token_type="access",
            lifetime=timedelta(hours=2),
            issuer="cotask-auth",
            audience="cotask",
        )
        return encode_token(claims, private_key=self.private_key, kid=self.kid)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self._jwks_server.shutdown()
        self._log.close()
        if self.storage == "s3":
            _delete_prefix(self.env)
        shutil.rmtree(self.var_dir, ignore_errors=True)


def _serve(body: bytes) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _delete_prefix(env: dict[str, str]) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        aws_access_key_id=env.get("S3_ACCESS_KEY_ID"),
        aws_secret_access_key=env.get("S3_SECRET_ACCESS_KEY"),
        region_name=env.get("S3_REGION", "us-east-1"),
    )
    bucket = env.get("S3_BUCKET", "cotask-media")
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=env["MEDIA_STORAGE_PREFIX"]
    )
    for page in pages:
        keys = [{"Key": entry["Key"]} for entry in page.get("Contents", ())]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


if __name__ == "__main__":
    print(__doc__.strip().splitlines()[0])
