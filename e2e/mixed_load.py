"""A steady mixed load on a running stack, through its gateway: the one load generator of the
fault-injection suite (e2e/test_faults.py) and of the soak benchmark (bench/soak.py).

Authors write posts; fans like them (each post once, by one fan, so every like is one
notification of its own, countable); everyone reads the home feed, `whoami` and their tasks;
fans upload small images; every author keeps a websocket open, resumes by cursor whenever it is
closed or a `pong` shows it is behind (the protocol's own gap check), and records every
notification frame. Each request is a `Sample` (endpoint, time, status, latency).

`check()` then says, after recovery, what went wrong: a 5xx other than a 503 in the kit's error
shape with `Retry-After`, a 503 outside a declared fault window, an accepted post or like missing
or doubled, a notification missing, doubled or out of sequence, a socket that skipped a cursor.
A write whose answer never came (a 503, a dropped connection) may or may not have happened: it
may be present, once, but is not required.
"""

from __future__ import annotations

import io
import json
import os
import random
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import websockets.sync.client
from harness import ROOT, wait_for
from test_notifications import _ws, auth, notifications, social_account, unread

READ_ENDPOINTS = ("feed", "whoami", "tasks")
# endpoint -> share of the requests (an upload only while there are fans)
MIX = {"feed": 30, "whoami": 15, "tasks": 15, "post": 15, "like": 20, "upload": 5}
SERVICE_UNAVAILABLE = "service_unavailable"
REPLAY_CHECKED = 400


@dataclass
class Sample:
    endpoint: str
    at: float  # time.monotonic() when sent
    status: int  # 0: no answer (the connection failed or timed out)
    seconds: float
    detail: str = ""  # the body (or the error) of an answer that was not 2xx


@dataclass
class FaultWindow:
    name: str
    started: float
    ended: float | None = None
    may_503: frozenset[str] = frozenset()  # endpoints whose data is out of reach meanwhile
    grace: float = 15.0  # after the dependency is back, clients' pools reconnect

    def covers(self, sample: Sample) -> bool:
        end = (self.ended if self.ended is not None else float("inf")) + self.grace
        return self.started <= sample.at <= end and (
            "*" in self.may_503 or sample.endpoint in self.may_503
        )


@dataclass
class Actor:
    account: dict[str, Any]
    lock: threading.Lock = field(default_factory=threading.Lock)
    logged_in: float = field(default_factory=time.monotonic)

    @property
    def handle(self) -> str:
        return self.account["handle"]


class SocketClient(threading.Thread):
    """One author's websocket, kept open: reconnects with its cursor whenever the socket closes,
    and sends `resume` when a `pong` names a cursor above the last notification it got."""

    def __init__(self, load: MixedLoad, actor: Actor, cursor: int) -> None:
        super().__init__(daemon=True, name=f"socket-{actor.handle}")
        self.load, self.actor = load, actor
        self.start_cursor = self.cursor = cursor
        self.frames: list[dict[str, Any]] = []
        self.reconnects = 0

    def run(self) -> None:
        while not self.load.stopping.is_set():
            try:
                self._connected()
            except Exception as exc:  # closed, refused, reset: resume from the cursor
                self.load.note(f"socket {self.actor.handle}: {type(exc).__name__}: {exc}")
            if not self.load.stopping.is_set():
                self.reconnects += 1
                self.load.stopping.wait(1)

    def _connected(self) -> None:
        ticket = self.load.request(self.actor, "ws-ticket", "POST", "/api/notifications/ws-ticket/")
        if ticket is None or ticket.status_code != 201:
            return
        url = f"{_ws(self.load.gateway)}?ticket={ticket.json()['ticket']}&cursor={self.cursor}"
        started, at = time.perf_counter(), time.monotonic()
        try:
            ws = websockets.sync.client.connect(url, open_timeout=20, close_timeout=2)
        except websockets.exceptions.InvalidStatus as refused:
            answer = refused.response
            detail = json.dumps(
                {
                    "body": answer.body.decode(errors="replace")[:300] if answer.body else "",
                    "retry_after": answer.headers.get("Retry-After"),
                }
            )
            self.load._record(
                Sample("ws-connect", at, answer.status_code, time.perf_counter() - started, detail)
            )
            return
        except (OSError, websockets.exceptions.WebSocketException) as exc:
            self.load._record(Sample("ws-connect", at, 0, time.perf_counter() - started, repr(exc)))
            return
        self.load._record(Sample("ws-connect", at, 101, time.perf_counter() - started))
        with ws:
            next_ping = time.monotonic() + self.load.ping_every
            while not self.load.stopping.is_set():
                if time.monotonic() >= next_ping:
                    ws.send(json.dumps({"type": "ping"}))
                    next_ping = time.monotonic() + self.load.ping_every
                try:
                    message = json.loads(ws.recv(timeout=0.5))
                except TimeoutError:
                    continue
                kind = message.get("type")
                if kind == "notification":
                    with self.load.lock:
                        self.frames.append(message)
                    self.cursor = max(self.cursor, int(message["cursor"]))
                elif kind == "pong" and int(message.get("cursor") or 0) > self.cursor:
                    ws.send(json.dumps({"type": "resume", "cursor": self.cursor}))
                elif kind == "closing":
                    self.load.note(f"socket {self.actor.handle}: closing {message.get('reason')}")


class MixedLoad:
    """The load on `gateway`: `setup()` makes the accounts, `start()` the threads, `stop()`
    ends them; `samples` are every request's; `fault()` declares a window in which some
    endpoints may answer 503; `check()` lists what went wrong."""

    def __init__(
        self,
        gateway: str,
        *,
        authors: int = 3,
        fans: int = 3,
        workers: int = 2,
        pause: float = 0.05,
        sockets: bool = True,
        uploads: bool = True,
        ping_every: float = 3.0,
        relogin_every: float = 200.0,
        seed: int | None = None,
    ) -> None:
        self.gateway = gateway
        self.n_authors, self.n_fans, self.n_workers = authors, fans, workers
        self.pause, self.sockets_on, self.uploads_on = pause, sockets, uploads
        self.ping_every, self.relogin_every = ping_every, relogin_every
        self.random = random.Random(seed)  # noqa: S311 - a load's choices, not secrets
        self.lock = threading.Lock()
        self.stopping = threading.Event()  # everything, the sockets too
        self.writes_stopped = threading.Event()  # the request threads only
        self.samples: list[Sample] = []
        self.notes: list[str] = []
        self.windows: list[FaultWindow] = []
        self.authors: list[Actor] = []
        self.fans: list[Actor] = []
        self.start_cursor: dict[str, int] = {}
        # accepted writes, and writes whose outcome is unknown (no answer, or a 503)
        self.posts: dict[str, dict[str, str]] = {}  # handle -> {text: post id}
        self.unsure_posts: dict[str, set[str]] = {}  # handle -> texts
        self.unliked: list[tuple[str, str]] = []  # (handle, post id) no one has liked yet
        self.likes: dict[str, set[str]] = {}  # handle -> post ids liked (2xx)
        self.unsure_likes: dict[str, set[str]] = {}
        self.uploads: list[tuple[Actor, str]] = []
        self.sockets: list[SocketClient] = []
        self.threads: list[threading.Thread] = []
        self._local = threading.local()

    # -- setup and running ------------------------------------------------------------------

    def setup(self) -> None:
        for n in range(self.n_authors + self.n_fans):
            actor = Actor(social_account(self.gateway))
            (self.authors if n < self.n_authors else self.fans).append(actor)
        for actor in self.authors:
            self.posts[actor.handle], self.unsure_posts[actor.handle] = {}, set()
            self.likes[actor.handle], self.unsure_likes[actor.handle] = set(), set()
            self.start_cursor[actor.handle] = unread(self.gateway, actor.account)["cursor"]

    def start(self) -> None:
        if self.sockets_on:
            self.sockets = [
                SocketClient(self, actor, self.start_cursor[actor.handle]) for actor in self.authors
            ]
        self.threads = [
            threading.Thread(target=self._work, daemon=True, name=f"load-{n}")
            for n in range(self.n_workers)
        ]
        for thread in [*self.sockets, *self.threads]:
            thread.start()

    def stop_requests(self) -> None:
        self.writes_stopped.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def stop(self) -> None:
        self.stop_requests()
        self.stopping.set()
        for thread in self.sockets:
            thread.join(timeout=60)

    def settle(self, *, timeout: float = 120) -> None:
        """No more requests; wait until every accepted like is a notification in its author's
        list and every live socket has caught up with it (the sockets keep running)."""
        self.stop_requests()
        for author in self.authors:
            accepted = self.likes[author.handle]

            def arrived(author: Actor = author, accepted: set[str] = accepted) -> bool:
                listed = notifications(self.gateway, self._fresh(author))
                return accepted <= {n["target"]["id"] for n in listed}

            try:
                wait_for(arrived, timeout=timeout, interval=1, what="the notifications")
            except AssertionError:
                return  # check() says which are missing
        self.wait_for_sockets()

    def run_for(self, seconds: float) -> None:
        self.stopping.wait(seconds)

    @contextmanager
    def fault(self, name: str, *, may_503: set[str] | None = None, grace: float = 15.0) -> Any:
        """While the block runs (and `grace` seconds after), `may_503` endpoints ('*': all)
        may answer 503."""
        window = FaultWindow(name, time.monotonic(), may_503=frozenset(may_503 or ()), grace=grace)
        self.windows.append(window)
        try:
            yield window
        finally:
            window.ended = time.monotonic()

    def summary(self) -> str:
        """Answers per endpoint and status, and what the load noticed: for the test's output."""
        counts: dict[str, dict[int, int]] = {}
        for sample in self.samples:
            by_status = counts.setdefault(sample.endpoint, {})
            by_status[sample.status] = by_status.get(sample.status, 0) + 1
        lines = [f"{endpoint}: {dict(sorted(c.items()))}" for endpoint, c in sorted(counts.items())]
        lines += [f"socket {c.actor.handle}: {len(c.frames)} frames, {c.reconnects} reconnects"
                  for c in self.sockets]  # fmt: skip
        return "\n".join(lines + self.notes[-20:])

    def note(self, text: str) -> None:
        with self.lock:
            self.notes.append(f"{time.monotonic():.1f} {text}")

    # -- requests ---------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def _relogin(self, actor: Actor) -> None:
        """A fresh access token (they live minutes; a soak lasts longer)."""
        with actor.lock:
            if time.monotonic() - actor.logged_in < 5:
                return
            response = self._session().post(
                f"{self.gateway}/api/auth/login/",
                json={"login": actor.handle, "password": actor.account["password"]},
                timeout=30,
            )
            if response.status_code == 200:
                actor.account.update(response.json())
                actor.logged_in = time.monotonic()

    def request(
        self, actor: Actor, endpoint: str, method: str, path: str, **kwargs: Any
    ) -> requests.Response | None:
        """One request as `actor`, recorded; None when no answer came. An expired token is
        renewed and the request sent again (not an error: tokens live minutes)."""
        if time.monotonic() - actor.logged_in > self.relogin_every:
            self._relogin(actor)
        for attempt in (1, 2):
            started, at = time.perf_counter(), time.monotonic()
            try:
                response = self._session().request(
                    method,
                    f"{self.gateway}{path}",
                    headers=auth(actor.account),
                    timeout=30,
                    **kwargs,
                )
            except requests.RequestException as exc:
                self._record(Sample(endpoint, at, 0, time.perf_counter() - started, repr(exc)))
                return None
            if response.status_code == 401 and attempt == 1:
                self._relogin(actor)
                continue
            detail = "" if response.status_code < 300 else self._detail(response)
            self._record(
                Sample(endpoint, at, response.status_code, time.perf_counter() - started, detail)
            )
            return response
        return None  # pragma: no cover - the loop returns

    @staticmethod
    def _detail(response: requests.Response) -> str:
        return json.dumps(
            {
                "body": response.text[:300],
                "retry_after": response.headers.get("Retry-After"),
                "content_type": response.headers.get("Content-Type"),
            }
        )

    def _record(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def _work(self) -> None:
        endpoints, weights = zip(*MIX.items(), strict=True)
        while not self.writes_stopped.is_set():
            endpoint = self.random.choices(endpoints, weights)[0]
            try:
                getattr(self, f"_do_{endpoint}")()
            except Exception as exc:  # a bug of the load itself: say so, keep going
                self.note(f"load {endpoint}: {type(exc).__name__}: {exc}")
            self.writes_stopped.wait(self.pause)

    def _anyone(self) -> Actor:
        return self.random.choice(self.authors + self.fans)

    def _do_feed(self) -> None:
        self.request(self._anyone(), "feed", "GET", "/api/social/feed/")

    def _do_whoami(self) -> None:
        self.request(self._anyone(), "whoami", "GET", "/api/auth/whoami")

    def _do_tasks(self) -> None:
        self.request(self._anyone(), "tasks", "GET", "/api/tasks/my-tasks/")

    def _do_post(self) -> None:
        author = self.random.choice(self.authors)
        text = f"load {uuid.uuid4().hex[:12]}"
        response = self.request(
            author, "post", "POST", f"/api/social/pages/{author.handle}/posts/", json={"text": text}
        )
        with self.lock:
            if response is not None and response.status_code == 201:
                post_id = response.json()["id"]
                self.posts[author.handle][text] = post_id
                self.unliked.append((author.handle, post_id))
            elif response is None or response.status_code >= 500:
                self.unsure_posts[author.handle].add(text)

    def _do_like(self) -> None:
        with self.lock:
            pick = self.random.randrange(len(self.unliked)) if self.unliked else None
            target = self.unliked.pop(pick) if pick is not None else None
        if target is None:
            self._do_post()
            return
        handle, post_id = target
        fan = self.random.choice(self.fans)
        response = self.request(fan, "like", "POST", f"/api/social/posts/{post_id}/like/")
        with self.lock:
            if response is not None and response.status_code == 200:
                self.likes[handle].add(post_id)
            elif response is None or response.status_code >= 500:
                self.unsure_likes[handle].add(post_id)

    def _do_upload(self) -> None:
        if not self.uploads_on or not self.fans:
            return self._do_feed()
        fan = self.random.choice(self.fans)
        response = self.request(
            fan,
            "upload",
            "POST",
            "/api/media/files/",
            files={"file": ("avatar.jpg", small_image(), "application/octet-stream")},
            data={"purpose": "avatar"},
        )
        if response is not None and response.status_code == 201:
            with self.lock:
                self.uploads.append((fan, response.json()["id"]))
        return None

    # -- checking ---------------------------------------------------------------------------

    def http_problems(self) -> list[str]:
        """Every answer that is not allowed: a 5xx but a 503 in the kit's shape inside a fault
        window that allows it, a 4xx but 429, no answer at all."""
        problems = []
        for sample in self.samples:
            if sample.status < 400 or sample.status == 429:
                continue
            if sample.status == 503 and self._fine_503(sample):
                continue
            problems.append(
                f"{sample.endpoint} {sample.status} at {sample.at:.1f}: {sample.detail[:400]}"
            )
        return problems

    def _fine_503(self, sample: Sample) -> bool:
        try:
            detail = json.loads(sample.detail)
            body = json.loads(detail["body"])
        except (ValueError, KeyError, TypeError):
            return False
        shaped = (
            body.get("code") == SERVICE_UNAVAILABLE
            and bool(body.get("message"))
            and (detail.get("retry_after") or "").isdigit()
        )
        return shaped and any(window.covers(sample) for window in self.windows)

    def write_problems(self) -> list[str]:
        """Each accepted post on its author's page once, no post twice, no post from nowhere;
        each accepted like counted (once), no other post liked; each accepted upload there."""
        problems = []
        reader = self.fans[0] if self.fans else self.authors[0]
        for author in self.authors:
            handle = author.handle
            listed = self._page_posts(reader, handle)
            by_text: dict[str, list[dict[str, Any]]] = {}
            for post in listed:
                by_text.setdefault(post["text"], []).append(post)
            for text, posts in by_text.items():
                if len(posts) > 1:
                    problems.append(f"{handle}: post {text!r} is there {len(posts)} times")
                elif text not in self.posts[handle] and text not in self.unsure_posts[handle]:
                    problems.append(f"{handle}: post {text!r} was never sent")
            for text, post_id in self.posts[handle].items():
                if [p["id"] for p in by_text.get(text, [])] != [post_id]:
                    problems.append(f"{handle}: accepted post {text!r} ({post_id}) is missing")
            for post in listed:
                likes = int(post["like_count"])
                wanted = (
                    {1}
                    if post["id"] in self.likes[handle]
                    else {0, 1}
                    if post["id"] in self.unsure_likes[handle]
                    else {0}
                )
                if likes not in wanted:
                    problems.append(f"{handle}: post {post['id']} has {likes} likes, not {wanted}")
        for fan, file_id in self.uploads:
            got = self.request(fan, "upload-check", "GET", f"/api/media/files/{file_id}/")
            if got is None or got.status_code != 200:
                problems.append(f"accepted upload {file_id} is not there")
        return problems

    def _page_posts(self, reader: Actor, handle: str) -> list[dict[str, Any]]:
        posts: list[dict[str, Any]] = []
        url: str | None = f"{self.gateway}/api/social/pages/{handle}/posts/"
        query: dict[str, Any] | None = {"page_size": 100}
        while url:
            response = requests.get(url, headers=auth(reader.account), params=query, timeout=30)
            assert response.status_code == 200, response.text
            body = response.json()
            posts.extend(body["results"])
            url, query = body.get("next"), None
            if url and not url.startswith("http"):
                url = f"{self.gateway}{url}"
        return posts

    def notification_problems(self, *, timeout: float = 120) -> list[str]:
        """Every accepted like is one notification of its author, in the REST list and on the
        live socket, and a socket replaying from the first cursor gets exactly those; cursors
        advance one step per notification (a duplicate delivery would have taken one)."""
        problems = []
        for author in self.authors:
            handle, start = author.handle, self.start_cursor[author.handle]
            accepted, unsure = self.likes[handle], self.unsure_likes[handle]
            account = self._fresh(author)

            def arrived(account: dict[str, Any] = account, accepted: set[str] = accepted) -> bool:
                got = {n["target"]["id"] for n in notifications(self.gateway, account)}
                return accepted <= got

            try:
                wait_for(arrived, timeout=timeout, interval=1, what=f"{handle}'s notifications")
            except AssertionError as exc:
                problems.append(str(exc)[:300])
            time.sleep(2)  # a duplicate would come right behind
            listed = notifications(self.gateway, account)
            targets = [n["target"]["id"] for n in listed]
            if len(targets) != len(set(targets)):
                problems.append(f"{handle}: a notification twice: {sorted(targets)}")
            if any(n["type"] != "like" or n["actor_count"] != 1 for n in listed):
                problems.append(f"{handle}: unexpected notifications: {listed}")
            if missing := accepted - set(targets):
                problems.append(f"{handle}: notifications of accepted likes missing: {missing}")
            if extra := set(targets) - accepted - unsure:
                problems.append(f"{handle}: notifications of likes never sent: {extra}")
            cursor = unread(self.gateway, account)["cursor"]
            if cursor != start + len(listed):
                problems.append(f"{handle}: cursor {cursor}, not {start} + {len(listed)}")
            expected = list(range(start + 1, start + len(listed) + 1))
            # One replay sends at most NOTIFICATIONS_WS_REPLAY_LIMIT (500), else `resync`: a
            # long soak's replay is checked over its last REPLAY_CHECKED cursors.
            since = max(start, start + len(listed) - REPLAY_CHECKED)
            replayed = [
                f["cursor"] for f in self._replay(account, since, start + len(listed) - since)
            ]
            if replayed != expected[since - start :]:
                problems.append(f"{handle}: replay from {since}: {replayed}")
            for client in self.sockets:
                if client.actor is author:
                    live = [f["cursor"] for f in client.frames]
                    if live != expected:
                        problems.append(f"{handle}: live socket got {live}, not {expected}")
        return problems

    def _fresh(self, actor: Actor) -> dict[str, Any]:
        if time.monotonic() - actor.logged_in > 60:
            self._relogin(actor)
        return actor.account

    def _replay(self, account: dict[str, Any], cursor: int, count: int) -> list[dict[str, Any]]:
        from test_notifications import no_more_frames, notification_frames, open_socket

        with open_socket(self.gateway, account, cursor=cursor) as ws:
            frames = notification_frames(ws, count, timeout=30) if count else []
            return frames + no_more_frames(ws)

    def check(self) -> list[str]:
        """After `stop()` and recovery: everything that went wrong (empty: nothing)."""
        return self.http_problems() + self.write_problems() + self.notification_problems()

    def wait_for_sockets(self, *, timeout: float = 60) -> None:
        """Let the live sockets catch up (their pings find a gap within `ping_every`)."""
        if not self.sockets:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            behind = False
            for client in self.sockets:
                account = self._fresh(client.actor)
                if unread(self.gateway, account)["cursor"] > client.cursor:
                    behind = True
            if not behind:
                return
            time.sleep(1)


def small_image() -> bytes:
    """A different 48x48 JPEG each time (the store would deduplicate equal files)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (48, 48), os.urandom(48 * 48 * 3)).save(buffer, "JPEG")
    return buffer.getvalue()


def process_tree(root: int) -> dict[int, str]:
    """Every process under `root` (itself included): pid -> a label (the service folder it runs
    in, and its command)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            cmd = (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")).decode()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        where = "" if Path(cwd) == ROOT else f"{Path(cwd).name} "  # a service's folder
        found[pid] = f"{where}{label(cmd)}"
        todo.extend(children.get(pid, []))
    return found


def label(cmd: str) -> str:
    keys = (
        "run_events",
        "uvicorn",
        "gunicorn",
        "celery",
        "nginx: master",
        "nginx: worker",
        "stack.py",
    )
    for key in keys:
        if key in cmd:
            return key
    return cmd.split()[0].rsplit("/", 1)[-1] if cmd.split() else "?"


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None
