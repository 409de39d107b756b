"""Issue 20: clients generated from the six OpenAPI documents compile without hand edits and run
a client developer's journey through nginx: register, log in, refresh, create a page, post,
follow, read the feed, like, read notifications, upload an image. Python: openapi-python-client.
TypeScript: openapi-typescript's types with openapi-fetch (`e2e/ts-client/`, its packages pinned
by its package-lock.json and installed with `npm ci`), compiled by `tsc` in strict mode and run
by Node.js.

The documents are read from the running stack (each service's `/api/<service>/schema/` through
the gateway), so the client is what a developer would generate that day. The Python clients are
made with `raise_on_unexpected_status=True` and every answer is parsed into the generated models: an
undocumented status, a missing field or a wrong type fails the journey, so it fails when a
document drifts from the behaviour. The TypeScript journey does not compile when a path, a
parameter or a field it uses leaves a document, and checks the answers it reads.
"""

from __future__ import annotations

import importlib
import io
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from harness import ROOT, wait_for
from PIL import Image

SERVICES = ("auth", "social", "tasks", "habits", "media", "notifications")
GENERATOR = ROOT / ".venv" / "bin" / "openapi-python-client"
TS_CLIENT = ROOT / "e2e" / "ts-client"


def _package(service: str) -> str:
    return f"cotask_{service}_client"


@pytest.fixture(scope="module")
def generated(gateway: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every service's client, generated into a fresh folder on `sys.path`."""
    out = tmp_path_factory.mktemp("generated-clients")
    for service in SERVICES:
        document = requests.get(f"{gateway}/api/{service}/schema/?format=json", timeout=60)
        assert document.status_code == 200, (service, document.status_code)
        path = out / f"{service}.json"
        path.write_bytes(document.content)
        made = subprocess.run(
            [
                str(GENERATOR),
                "generate",
                "--path",
                str(path),
                "--output-path",
                str(out / _package(service)),
                "--meta",
                "none",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            # Its post-generation hooks run ruff, which lives beside it.
            env={**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ['PATH']}"},
        )
        assert made.returncode == 0, (service, made.stdout[-3000:], made.stderr[-3000:])
        # The generator reports what it could not turn into code as warnings: none allowed.
        assert "Warning" not in made.stdout + made.stderr, (service, made.stdout[-3000:])
    sys.path.insert(0, str(out))
    yield out
    sys.path.remove(str(out))
    for name in [m for m in sys.modules if m.startswith("cotask_") and m.endswith("_client")]:
        del sys.modules[name]


def _module(service: str, name: str) -> ModuleType:
    return importlib.import_module(f"{_package(service)}.{name}")


def test_every_generated_client_compiles_and_imports(generated: Path) -> None:
    for service in SERVICES:
        folder = generated / _package(service)
        compiled = subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(folder)], capture_output=True, text=True
        )
        assert compiled.returncode == 0, (service, compiled.stdout[-2000:])
        modules = sorted(folder.rglob("*.py"))
        assert len(modules) > 10, service
        for module in modules:
            relative = module.relative_to(generated).with_suffix("")
            importlib.import_module(".".join(relative.parts).removesuffix(".__init__"))


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


class Person:
    """One account driven only through the generated clients."""

    def __init__(self, gateway: str) -> None:
        auth_client = _module("auth", "client")
        register = _module("auth", "api.register.auth_register")
        login = _module("auth", "api.login.auth_login")
        refresh = _module("auth", "api.token.auth_refresh_tokens")
        models = _module("auth", "models")
        self.gateway = gateway
        self.username = f"gen_{uuid.uuid4().hex[:10]}"
        password = f"Pw-{uuid.uuid4().hex}"
        anonymous = auth_client.Client(base_url=gateway, raise_on_unexpected_status=True)

        registered = register.sync_detailed(
            client=anonymous,
            body=models.RegisterInputRequest(
                username=self.username, email=f"{self.username}@example.com", password=password
            ),
        )
        assert registered.status_code == 201, registered.content
        assert isinstance(registered.parsed, models.UserOutput)
        self.id = str(registered.parsed.id)

        pair = login.sync(
            client=anonymous, body=models.LoginInputRequest(login=self.username, password=password)
        )
        assert isinstance(pair, models.TokenPairOutput) and isinstance(pair.refresh, str)
        renewed = refresh.sync(
            client=anonymous, body=models.RefreshInputRequest(refresh=pair.refresh)
        )
        assert isinstance(renewed, models.TokenPairOutput)
        assert renewed.access != pair.access and renewed.session_id == pair.session_id
        self.token = renewed.access

    def client(self, service: str) -> Any:
        return _module(service, "client").AuthenticatedClient(
            base_url=self.gateway, token=self.token, raise_on_unexpected_status=True
        )


def test_the_client_developers_journey_through_the_generated_clients(
    gateway: str, generated: Path
) -> None:
    social = _module("social", "models")
    media = _module("media", "models")
    notifications = _module("notifications", "models")
    media_types = _module("media", "types")
    ada, reader = Person(gateway), Person(gateway)

    # Ada creates a page of her own (her personal page comes over Kafka; this one at once).
    pages_create = _module("social", "api.pages.social_pages_create")
    handle = f"gen_{uuid.uuid4().hex[:8]}"
    page = pages_create.sync(
        client=ada.client("social"),
        body=social.PageCreateInputRequest(handle=handle, name="Generated clients club"),
    )
    assert isinstance(page, social.PageDetailOutput) and page.handle == handle

    # An image, uploaded through the media client, is attached to her post.
    upload = _module("media", "api.files.media_files_upload")
    image = upload.sync(
        client=ada.client("media"),
        body=media.UploadInputRequest(
            file=media_types.File(
                payload=io.BytesIO(_png()), file_name="chart.png", mime_type="image/png"
            ),
            purpose=media.PurposeEnum.POST_IMAGE,
        ),
    )
    assert isinstance(image, media.UploadedFileOutput)
    assert image.status == "ready" and str(image.owner_id) == ada.id
    assert requests.get(image.url, timeout=30).status_code == 200

    # The reader follows the page (public: at once), Ada posts, the reader's feed shows it.
    follow = _module("social", "api.pages.social_pages_follow_create")
    state = follow.sync(handle, client=reader.client("social"))
    assert isinstance(state, social.FollowStateOutput) and state.status == "approved"
    post_create = _module("social", "api.pages.social_pages_posts_create")

    def posted() -> Any:
        # social learns of the file from media's event (Kafka): until then it is unknown there.
        answer = post_create.sync(
            handle,
            client=ada.client("social"),
            body=social.PostInputRequest(
                text="made with a generated client", media_ids=[str(image.id)]
            ),
        )
        if isinstance(answer, social.Error) and answer.code == "media_not_found":
            return None
        return answer

    post = wait_for(posted, timeout=60, what="the image known to social (over Kafka)")
    assert isinstance(post, social.PostOutput)
    feed = _module("social", "api.feed.social_feed_retrieve")
    home = feed.sync(client=reader.client("social"), page_size=5)
    assert isinstance(home, social.HomeFeed)
    assert [str(p.id) for p in home.results] == [str(post.id)]
    assert home.results[0].text == "made with a generated client"

    # The reader likes it; Ada's notifications (over Kafka) say so.
    like = _module("social", "api.posts.social_posts_like_create")
    like.sync_detailed(str(post.id), client=reader.client("social"))
    retrieve = _module("social", "api.posts.social_posts_retrieve")
    seen = retrieve.sync(str(post.id), client=reader.client("social"))
    assert isinstance(seen, social.PostOutput) and seen.like_count == 1 and seen.liked is True

    listing = _module("notifications", "api.notifications.notifications_list")

    def liked() -> Any:
        page = listing.sync(client=ada.client("notifications"))
        assert isinstance(page, notifications.PaginatedNotificationOutputList)
        found = [n for n in page.results if n.type_ == "like"]
        return found or None

    [notification] = wait_for(liked, timeout=60, what="the like notification (over Kafka)")
    assert notification.actor.id is not None and str(notification.actor.id) == reader.id
    assert notification.read is False
    unread = _module("notifications", "api.unread_count.notifications_unread_count_retrieve")
    everything = listing.sync(client=ada.client("notifications"))
    # The like and the reader's follow of her page, both unread.
    assert unread.sync(client=ada.client("notifications")).unread == len(everything.results) == 2

    # A stranger's token is refused with the documented error shape.
    stranger = _module("social", "client").AuthenticatedClient(
        base_url=gateway, token="not-a-token", raise_on_unexpected_status=True
    )
    refused = feed.sync_detailed(client=stranger)
    assert refused.status_code == 401
    assert isinstance(refused.parsed, social.Error)


def _run(command: list[str], *, cwd: Path, timeout: float = 300) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (command, done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


def test_the_client_developers_journey_through_the_generated_typescript_client(
    gateway: str, tmp_path: Path
) -> None:
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("Node.js and npm are needed for the TypeScript client (see the README)")
    _run(["npm", "ci", "--no-audit", "--no-fund"], cwd=TS_CLIENT)
    generated = TS_CLIENT / "src" / "generated"
    shutil.rmtree(generated, ignore_errors=True)
    generated.mkdir()
    binaries = TS_CLIENT / "node_modules" / ".bin"
    for service in SERVICES:
        document = requests.get(f"{gateway}/api/{service}/schema/?format=json", timeout=60)
        assert document.status_code == 200, (service, document.status_code)
        path = tmp_path / f"{service}.json"
        path.write_bytes(document.content)
        # `--default-non-nullable false`: a field with a default stays optional in a request.
        _run(
            [
                str(binaries / "openapi-typescript"),
                str(path),
                "--output",
                str(generated / f"{service}.ts"),
                "--default-non-nullable",
                "false",
            ],
            cwd=TS_CLIENT,
        )
    _run([str(binaries / "tsc"), "-p", "."], cwd=TS_CLIENT)  # all six and the journey, strict
    out = _run(["node", "dist/journey.js", gateway], cwd=TS_CLIENT, timeout=180)
    assert '"journey":"ok"' in out, out
