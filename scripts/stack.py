#!/usr/bin/env python3
"""Start the whole CoTask system on one machine, behind the nginx gateway.

    python scripts/stack.py               # `make run`: embedded defaults on :8080
    python scripts/stack.py --gateway-port 58080 --service-port-base 58100 --no-workers

For each service it runs the web process (gunicorn; uvicorn for notifications), the event process
(`manage.py run_events`: outbox relay + consumer) and a Celery worker with beat. Configuration comes
from the environment (see `.env.template`); with nothing set, every service uses SQLite, the
embedded event log, a SQLite channel layer, local media and a local mail folder, all under
`var/`. Ctrl-C (or SIGTERM) stops everything and waits for it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("auth", "social", "tasks", "habits", "media", "notifications")
STOP_GRACE_SECONDS = 15


def log(message: str) -> None:
    print(f"[stack] {message}", flush=True)


def ensure_nginx() -> str:
    found = shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx")
    if found:
        return str(found)
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("nginx is missing: installing it with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"],
            check=True,
            env=env,
        )
        # Debian starts a system-wide nginx on port 80; this project runs its own.
        subprocess.run(["service", "nginx", "stop"], check=False, capture_output=True)
        return shutil.which("nginx") or "/usr/sbin/nginx"
    sys.exit(
        "nginx is not installed and this user cannot install it.\n"
        "Install it with your package manager, for example:\n"
        "    sudo apt-get install nginx        (Debian/Ubuntu)\n"
        "    brew install nginx                (macOS)\n"
        "then run this command again."
    )


class Stack:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.var_dir = Path(args.var_dir).resolve()
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stopping = threading.Event()
        self.python = sys.executable
        self.bin_dir = Path(self.python).parent
        self.log_dir = self.var_dir / "logs" / args.name
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # Importing settings writes nothing: the folders and keys they point to are made here,
        # once, before the processes that share them start.
        from cotask_common.prepare import prepare_var_dir

        prepare_var_dir(var_dir=self.var_dir)

    def port(self, service: str) -> int:
        return self.args.service_port_base + SERVICES.index(service) + 1

    def service_env(self, service: str) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        env["COTASK_VAR_DIR"] = str(self.var_dir)
        env.setdefault(
            "JWT_JWKS_URL",
            f"http://127.0.0.1:{self.port('auth')}/api/auth/.well-known/jwks.json",
        )
        env.setdefault("MEDIA_ROOT", str(self.var_dir / "media"))
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def spawn(self, name: str, command: list[str], *, cwd: Path, env: dict[str, str]) -> None:
        logfile = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((name, process))
        threading.Thread(target=self._pump, args=(name, process, logfile), daemon=True).start()

    def _pump(self, name: str, process: subprocess.Popen[bytes], logfile) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            logfile.write(line)
            logfile.flush()
            if not self.args.quiet:
                sys.stdout.write(f"{name:>22} | {line.decode(errors='replace')}")
                sys.stdout.flush()

    def migrate(self) -> None:
        for service in SERVICES:
            log(f"migrating {service}")
            subprocess.run(
                [self.python, "manage.py", "migrate", "--noinput", "-v", "0"],
                cwd=ROOT / f"{service}-service",
                env=self.service_env(service),
                check=True,
            )

    def start_services(self) -> None:
        skip = set(self.args.skip or [])
        for service in SERVICES:
            cwd = ROOT / f"{service}-service"
            env = self.service_env(service)
            port = self.port(service)
            if f"{service}:web" not in skip:
                if service == "notifications":
                    web = [
                        str(self.bin_dir / "uvicorn"),
                        "config.asgi:application",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--no-access-log",
                        "--ws-ping-interval",
                        "20",
                        # Frames are small JSON: compressing each cost more CPU (and a zlib
                        # context per socket) than the bytes it saved.
                        "--ws-per-message-deflate",
                        "false",
                        # Longer than nginx's upstream keepalive_timeout: nginx must be the one
                        # to close an idle connection, or a request it sends on one the server
                        # just closed is a 502 (never retried for a POST).
                        "--timeout-keep-alive",
                        "75",
                    ]
                else:
                    web = [
                        str(self.bin_dir / "gunicorn"),
                        "config.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        str(self.args.web_workers),
                        "--threads",
                        str(self.args.web_threads),
                        "--timeout",
                        "60",
                        "--graceful-timeout",
                        "10",
                        # See uvicorn's --timeout-keep-alive above.
                        "--keep-alive",
                        "75",
                        "--no-control-socket",
                        # No request-line limit of its own (4,094 bytes by default, refused in
                        # plain text): nginx's 8 KB is the one, answered in the error shape.
                        "--limit-request-line",
                        "0",
                    ]
                self.spawn(f"{service}:web", web, cwd=cwd, env=env)
            if f"{service}:events" not in skip:
                self.spawn(
                    f"{service}:events", [self.python, "manage.py", "run_events"], cwd=cwd, env=env
                )
            if self.args.workers and f"{service}:worker" not in skip:
                self.spawn(
                    f"{service}:worker",
                    [
                        str(self.bin_dir / "celery"),
                        "-A",
                        "config",
                        "worker",
                        "-B",
                        "--loglevel",
                        "INFO",
                        "--concurrency",
                        "1",
                        "--pool",
                        "solo",
                        "--hostname",
                        f"{service}@%h",
                    ],
                    cwd=cwd,
                    env=env,
                )

    def start_gateway(self) -> None:
        nginx = ensure_nginx()
        out = self.var_dir / "nginx" / self.args.name
        env = dict(os.environ)
        env["GATEWAY_PORT"] = str(self.args.gateway_port)
        for service in SERVICES:
            env[f"{service.upper()}_UPSTREAM"] = f"127.0.0.1:{self.port(service)}"
        env["MEDIA_ROOT"] = self.service_env("media")["MEDIA_ROOT"]
        Path(env["MEDIA_ROOT"]).mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [self.python, str(ROOT / "scripts" / "render_nginx.py"), "--out", str(out)],
            env=env,
            check=True,
        )
        conf = out / "nginx.conf"
        subprocess.run([nginx, "-t", "-q", "-c", str(conf)], check=True)
        self.spawn("gateway", [nginx, "-c", str(conf), "-g", "daemon off;"], cwd=ROOT, env=env)

    def wait_ready(self) -> bool:
        deadline = time.monotonic() + self.args.ready_timeout
        pending = set(SERVICES)
        base = f"http://127.0.0.1:{self.args.gateway_port}"
        while pending and time.monotonic() < deadline and not self.stopping.is_set():
            for service in sorted(pending):
                try:
                    with urllib.request.urlopen(f"{base}/api/{service}/readyz", timeout=5) as r:  # noqa: S310
                        if r.status == 200:
                            pending.discard(service)
                except (urllib.error.URLError, OSError):
                    pass
            for name, process in self.processes:
                if process.poll() is not None:
                    log(f"{name} exited with {process.returncode}; see {self.log_dir / name}.log")
                    return False
            time.sleep(0.5)
        if pending:
            log(f"not ready after {self.args.ready_timeout}s: {', '.join(sorted(pending))}")
        return not pending

    def stop(self) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        log("stopping")
        for _, process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in time; killing it")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log("stopped")

    def print_urls(self) -> None:
        base = f"http://127.0.0.1:{self.args.gateway_port}"
        lines = [
            f"CoTask is running behind the gateway at {base}",
            f"  API docs (all six services): {base}/api/docs/",
            *(f"  {s:<14} {base}/api/{s}/  admin: {base}/admin/{s}/" for s in SERVICES),
            f"  websockets:    ws://127.0.0.1:{self.args.gateway_port}/ws/",
            f"  logs:          {self.log_dir}",
            "Press Ctrl-C to stop.",
        ]
        print("\n".join(lines), flush=True)
        if self.args.ready_file:
            Path(self.args.ready_file).write_text(json.dumps({"gateway": base}))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--name", default="run", help="instance name (logs, nginx runtime folder)")
    parser.add_argument(
        "--gateway-port", type=int, default=int(os.environ.get("GATEWAY_PORT", 8080))
    )
    parser.add_argument(
        "--service-port-base",
        type=int,
        default=8100,
        help="service N (auth=1 … notifications=6) listens on base+N",
    )
    parser.add_argument("--var-dir", default=os.environ.get("COTASK_VAR_DIR", str(ROOT / "var")))
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument(
        "--web-threads", type=int, default=4, help="threads per gunicorn worker (gthread)"
    )
    parser.add_argument(
        "--no-workers", dest="workers", action="store_false", help="do not start Celery workers"
    )
    parser.add_argument(
        "--skip", action="append", help="a process not to start, e.g. social:events (repeatable)"
    )
    parser.add_argument("--ready-timeout", type=float, default=120)
    parser.add_argument("--ready-file", help="write the gateway URL here once everything is ready")
    parser.add_argument("--quiet", action="store_true", help="logs to files only")
    args = parser.parse_args()

    stack = Stack(args)
    signal.signal(signal.SIGTERM, lambda *_: stack.stop())
    signal.signal(signal.SIGINT, lambda *_: stack.stop())
    try:
        stack.migrate()
        stack.start_services()
        stack.start_gateway()
        if not stack.wait_ready():
            stack.stop()
            return 1
        stack.print_urls()
        while not stack.stopping.is_set():
            for name, process in stack.processes:
                if process.poll() is not None and not stack.stopping.is_set():
                    log(f"{name} exited with {process.returncode}; stopping everything")
                    stack.stop()
                    return 1
            time.sleep(0.5)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
