"""Settings are read without side effects, and production refuses to start unsafely.

Importing a service's settings (as mypy's Django plugin, a linter or a one-off script does) makes no
folder and writes no file; the entry points prepare var/ instead. `COTASK_ENV=production` refuses
to start without a secret key and explicit allowed hosts.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from cotask_common.prepare import prepare_var_dir
from cotask_common.settings import SERVICES, build_settings

ROOT = Path(__file__).resolve().parents[3]
# What the embedded default and production read; each test starts from none of them.
ENV = ("COTASK_ENV", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DJANGO_DEBUG")


def _service_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV and k != "DJANGO_SETTINGS_MODULE"}
    env.update(COTASK_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings", **extra)
    return env


@pytest.mark.parametrize("service", SERVICES)
def test_importing_a_service_settings_creates_no_folder_and_writes_no_file(
    tmp_path: Path, service: str
) -> None:
    var_dir = tmp_path / "var"
    code = (
        "import django\n"
        "from django.conf import settings\n"
        "django.setup()\n"
        "print(settings.STATIC_ROOT, settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / f"{service}-service",
        env=_service_env(var_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # The settings point into var/ ...
    assert str(var_dir / "static" / service) in done.stdout
    # ... which nothing created: not var/ itself, not the static root, the Celery folders or a key.
    assert not var_dir.exists()


def test_manage_py_prepares_var_before_the_settings_are_read(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT / "social-service",
        env=_service_env(var_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (var_dir / "static" / "social").is_dir()
    assert (var_dir / "celery" / "social" / "out").is_dir()
    assert (var_dir / "secrets" / "social.key").is_file()


def test_prepare_var_dir_makes_what_the_settings_point_to_and_keeps_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    var_dir = tmp_path / "var"
    prepare_var_dir(services=["social"], var_dir=var_dir)
    key = var_dir / "secrets" / "social.key"
    first = key.read_text()
    assert len(first) > 40
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    for folder in ("out", "processed", "control"):
        assert (var_dir / "celery" / "social" / folder).is_dir()
    assert (var_dir / "static" / "social").is_dir()

    prepare_var_dir(services=["social"], var_dir=var_dir)
    assert key.read_text() == first  # a second process keeps the first one's key
    assert [p.name for p in key.parent.iterdir()] == ["social.key"]  # no temporary left over

    monkeypatch.setenv("COTASK_VAR_DIR", str(var_dir))
    assert _kit()["SECRET_KEY"] != first  # another service, another key
    prepare_var_dir(services=["kit"], var_dir=var_dir)
    assert _kit()["SECRET_KEY"] == (var_dir / "secrets" / "kit.key").read_text()


def _kit() -> dict[str, Any]:
    return build_settings(service="kit", base_dir=ROOT, local_apps=[], title="test")


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COTASK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COTASK_ENV", "production")
    return monkeypatch


def test_production_refuses_to_start_without_a_secret_key(production: pytest.MonkeyPatch) -> None:
    production.setenv("DJANGO_ALLOWED_HOSTS", "cotask.example")
    # Even with a key file left under var/: production never falls back to it.
    key = Path(os.environ["COTASK_VAR_DIR"]) / "secrets" / "kit.key"
    key.parent.mkdir(parents=True)
    key.write_text("left-over-from-a-development-run")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        _kit()


@pytest.mark.parametrize("hosts", [None, "", "*", "cotask.example,*"])
def test_production_refuses_to_start_without_explicit_allowed_hosts(
    production: pytest.MonkeyPatch, hosts: str | None
) -> None:
    production.setenv("DJANGO_SECRET_KEY", "a-real-secret-from-the-environment")
    if hosts is not None:
        production.setenv("DJANGO_ALLOWED_HOSTS", hosts)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ALLOWED_HOSTS"):
        _kit()


def test_production_refuses_debug(production: pytest.MonkeyPatch) -> None:
    production.setenv("DJANGO_SECRET_KEY", "a-real-secret-from-the-environment")
    production.setenv("DJANGO_ALLOWED_HOSTS", "cotask.example")
    production.setenv("DJANGO_DEBUG", "true")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG"):
        _kit()


def test_production_starts_with_a_secret_key_and_explicit_hosts(
    production: pytest.MonkeyPatch,
) -> None:
    production.setenv("DJANGO_SECRET_KEY", "a-real-secret-from-the-environment")
    production.setenv("DJANGO_ALLOWED_HOSTS", "cotask.example, api.cotask.example")
    built = _kit()
    assert built["SECRET_KEY"] == "a-real-secret-from-the-environment"
    assert built["ALLOWED_HOSTS"] == ["cotask.example", "api.cotask.example"]
    assert built["DEBUG"] is False


def test_a_misspelt_environment_name_is_refused(production: pytest.MonkeyPatch) -> None:
    production.setenv("COTASK_ENV", "prod")
    with pytest.raises(ImproperlyConfigured, match="COTASK_ENV"):
        _kit()


def test_a_service_process_refuses_to_start_in_production_without_its_secrets(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT / "social-service",
        env=_service_env(tmp_path / "var", COTASK_ENV="production"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "SOCIAL_DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY) must be set" in done.stderr
    assert not (tmp_path / "var" / "secrets").exists()  # and made no key of its own
