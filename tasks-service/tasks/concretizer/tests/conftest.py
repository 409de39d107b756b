"""A real HTTP server speaking the chat-completions protocol (the fake of a paid outside
service), Celery jobs run at once, a clean circuit breaker, a team with one client per role."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache import cache

from tasks.concretizer import llm
from tasks.planning.tests.teamkit import Team, make_team


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict → JSON; str → sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def completion(content: Any, *, refusal: str | None = None) -> dict[str, Any]:
    """A chat-completions answer whose message content is `content` (a dict becomes JSON)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": refusal},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def good_plan(count: int = 4, prefix: str = "Do") -> dict[str, Any]:
    return {
        "steps": [
            {
                "title": f"{prefix} part {n}",
                "description": f"The {n}th part.",
                "estimate_minutes": 30,
                "depends_on": [n - 1] if n > 1 else [],
            }
            for n in range(1, count + 1)
        ],
        "questions": [],
        "refusal": "",
    }


class FakeChatServer:
    """Answers POST /v1/chat/completions with the scripted replies, in order (the last one
    again when they run out), and records every request (headers and JSON body)."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with server.lock:
                    server.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "json": json.loads(raw)}
                    )
                    index = len(server.requests) - 1
                    reply = server.replies[min(index, len(server.replies) - 1)]
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = body.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests = []


@pytest.fixture
def chat_server(settings: Any) -> Iterator[FakeChatServer]:
    server = FakeChatServer()
    server.thread.start()
    settings.CONCRETIZER_PROVIDER = ""
    settings.CONCRETIZER_API_BASE = server.base
    settings.CONCRETIZER_API_KEY = "test-key"
    settings.CONCRETIZER_MODEL = "fake-model"
    settings.CONCRETIZER_TIMEOUT_MS = 500
    settings.CONCRETIZER_RETRIES = 2
    settings.CONCRETIZER_BACKOFF_MS = 10
    settings.CONCRETIZER_RETRY_AFTER_MAX_SECONDS = 1
    settings.CONCRETIZER_BREAKER_FAILURES = 3
    settings.CONCRETIZER_BREAKER_SECONDS = 60
    settings.CONCRETIZER_USER_DAILY_QUOTA = 20
    settings.CONCRETIZER_DAILY_BUDGET = 1000
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture(autouse=True)
def clean_breaker() -> Iterator[None]:
    cache.delete_many([llm.BREAKER_FAILURES_KEY, llm.BREAKER_OPEN_UNTIL_KEY])
    yield
    cache.delete_many([llm.BREAKER_FAILURES_KEY, llm.BREAKER_OPEN_UNTIL_KEY])


@pytest.fixture
def offline(settings: Any) -> None:
    settings.CONCRETIZER_PROVIDER = ""
    settings.CONCRETIZER_API_BASE = ""


@pytest.fixture
def jobs(django_capture_on_commit_callbacks: Any) -> Iterator[Callable[[], Any]]:
    """Celery tasks run in the calling process: `with jobs(): client.post(...)` runs the jobs
    queued after the request's commit (as a worker would, at once)."""
    from config.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield lambda: django_capture_on_commit_callbacks(execute=True)
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def squad(make_user: Any, client_for: Any) -> Team:
    return make_team(make_user, client_for)
