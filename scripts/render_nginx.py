#!/usr/bin/env python3
"""Render the CoTask gateway's nginx configuration for a native run (standard library only).

    python3 scripts/render_nginx.py --out var/nginx/run

writes, into the output folder (which is also nginx's runtime folder):

    nginx.conf             from nginx/nginx.native.conf.template (pid, logs, temp paths in here)
    conf.d/cotask.conf     from nginx/templates/cotask.conf.template (the file docker uses too)
    docs/index.html        the combined Swagger UI page (DOCS_ROOT), copied from nginx/docs/
    tmp/                   parent of nginx's temp folders

Values come from the environment, with the defaults of `make run` (see .env.template, section
"Gateway"). Only `${NAME}` placeholders with a known upper-case NAME are replaced, exactly like
the envsubst step of the official nginx image; an unknown or empty one is an error.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_DIR = ROOT / "nginx"
HTTP_TEMPLATE = NGINX_DIR / "templates" / "cotask.conf.template"
MAIN_TEMPLATE = NGINX_DIR / "nginx.native.conf.template"
DOCS_SOURCE = NGINX_DIR / "docs"

SERVICES = ("auth", "social", "tasks", "habits", "media", "notifications")
# Native ports of `make run`: auth 8101, social 8102, ... notifications 8106.
DEFAULT_UPSTREAMS = {
    f"{service.upper()}_UPSTREAM": f"127.0.0.1:{8101 + index}"
    for index, service in enumerate(SERVICES)
}

# Never taken from the environment: one instance's folder must not leak into another's.
DERIVED = {"NGINX_RUNTIME_DIR"}

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
BARE_UPPER_VARIABLE = re.compile(r"\$([A-Z][A-Z0-9_]*)\b")

MIME_TYPES_CANDIDATES = (
    "/etc/nginx/mime.types",  # Debian, Ubuntu, Fedora, the official image
    "/usr/local/etc/nginx/mime.types",  # FreeBSD, Homebrew on Intel
    "/opt/homebrew/etc/nginx/mime.types",  # Homebrew on Apple silicon
    "/opt/local/etc/nginx/mime.types",  # MacPorts
    "/usr/local/nginx/conf/mime.types",  # built from source
)

# Used only when no mime.types can be found next to the installed nginx.
FALLBACK_MIME_TYPES = """types {
    text/html                html htm;
    text/css                 css;
    text/plain               txt;
    text/xml                 xml;
    application/javascript   js mjs;
    application/json         json map;
    application/pdf          pdf;
    application/wasm         wasm;
    image/png                png;
    image/jpeg               jpeg jpg;
    image/gif                gif;
    image/webp               webp;
    image/avif               avif;
    image/svg+xml            svg svgz;
    image/x-icon             ico;
    font/woff                woff;
    font/woff2               woff2;
    audio/mpeg               mp3;
    audio/ogg                ogg;
    video/mp4                mp4;
    video/webm               webm;
    video/quicktime          mov;
}
"""


class RenderError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Validation: every value lands inside nginx syntax, so only plain tokens are accepted.
# ---------------------------------------------------------------------------------------------
_UNSAFE_PATH_CHARS = re.compile(r"[\s;{}'\"$#\\]")


def _port(name: str, value: str) -> str:
    match = re.fullmatch(r"(?:(?:\[[0-9A-Fa-f:]+\]|[0-9.]+|[A-Za-z0-9.-]+):)?(\d{1,5})", value)
    if not match or not 0 < int(match.group(1)) < 65536:
        raise RenderError(f"{name} must be a port, or address:port (got {value!r})")
    return value


def _upstream(name: str, value: str) -> str:
    if value.startswith("unix:"):
        return "unix:" + _path(name, value[len("unix:") :])
    match = re.fullmatch(r"(?:\[[0-9A-Fa-f:]+\]|[A-Za-z0-9._-]+):(\d{1,5})", value)
    if not match or not 0 < int(match.group(1)) < 65536:
        raise RenderError(f"{name} must be host:port or unix:/path (got {value!r})")
    return value


def _path(name: str, value: str) -> str:
    if _UNSAFE_PATH_CHARS.search(value):
        raise RenderError(f"{name} must be a path without spaces, quotes, ';', '{{', '}}' or '$'")
    path = Path(value)
    if not path.is_absolute():
        path = Path.cwd() / path
    text = os.path.normpath(str(path))
    return text.rstrip("/") or "/"


def _size(name: str, value: str) -> str:
    if not re.fullmatch(r"\d+[kKmMgG]?", value):
        raise RenderError(f"{name} must be a size like 25m, 512k or 1g (got {value!r})")
    return value


def _per_minute(name: str, value: str) -> str:
    # The number of requests per minute; "10r/m" (nginx's spelling) is accepted too.
    match = re.fullmatch(r"(\d+)(?:r/m)?", value)
    if not match or int(match.group(1)) < 1:
        raise RenderError(f"{name} must be requests per minute, like 10 or 10r/m (got {value!r})")
    return str(int(match.group(1)))


def _count(name: str, value: str) -> str:
    if not re.fullmatch(r"\d+", value):
        raise RenderError(f"{name} must be a whole number (got {value!r})")
    return str(int(value))


def _duration(name: str, value: str) -> str:
    if not re.fullmatch(r"\d+(?:ms|s|m|h|d)?", value):
        raise RenderError(f"{name} must be a duration like 60s, 5m or 1h (got {value!r})")
    return value


def _workers(name: str, value: str) -> str:
    if not re.fullmatch(r"auto|[1-9]\d*", value):
        raise RenderError(f"{name} must be 'auto' or a positive number (got {value!r})")
    return value


Validator = Callable[[str, str], str]


def gateway_variables(out: Path) -> dict[str, tuple[str, Validator]]:
    """Every variable the templates may use: name -> (default for `make run`, validator)."""
    return {
        "GATEWAY_PORT": ("8080", _port),
        **{name: (default, _upstream) for name, default in DEFAULT_UPSTREAMS.items()},
        "MEDIA_ROOT": (str(ROOT / "var" / "media"), _path),
        "DOCS_ROOT": (str(out / "docs"), _path),
        "CLIENT_MAX_BODY_SIZE": ("25m", _size),
        "MEDIA_DIRECT_UPLOAD_MAX_BODY_SIZE": ("210m", _size),
        "AUTH_RATE_LIMIT": ("10", _per_minute),
        "AUTH_RATE_BURST": ("5", _count),
        "AUTH_REFRESH_RATE_LIMIT": ("600", _per_minute),
        "AUTH_REFRESH_RATE_BURST": ("200", _count),
        "PROXY_READ_TIMEOUT": ("60s", _duration),
        "WS_READ_TIMEOUT": ("3600s", _duration),
        "NGINX_ACCESS_LOG": (str(out / "access.log"), _path),
        # Only in the native top-level file (NGINX_RUNTIME_DIR is always the --out folder):
        "NGINX_RUNTIME_DIR": (str(out), _path),
        "NGINX_ERROR_LOG": (str(out / "error.log"), _path),
        "NGINX_WORKER_PROCESSES": ("2", _workers),
        "NGINX_MIME_TYPES": ("", _path),  # located below when not given
    }


# ---------------------------------------------------------------------------------------------
# Machine facts: where mime.types is, which user the workers run as.
# ---------------------------------------------------------------------------------------------
def nginx_binary() -> str | None:
    configured = os.environ.get("NGINX_BIN")
    if configured:
        return configured
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/opt/homebrew/bin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def locate_mime_types(out: Path) -> str:
    candidates = list(MIME_TYPES_CANDIDATES)
    binary = nginx_binary()
    if binary:
        try:
            info = subprocess.run(
                [binary, "-V"], capture_output=True, text=True, timeout=10, check=False
            ).stderr
        except OSError:
            info = ""
        match = re.search(r"--conf-path=(\S+)", info)
        if match:
            candidates.insert(0, str(Path(match.group(1)).parent / "mime.types"))
    for candidate in candidates:
        if Path(candidate).is_file():
            return candidate
    fallback = out / "mime.types"
    fallback.write_text(FALLBACK_MIME_TYPES)
    print(f"[render_nginx] no mime.types found next to nginx; using {fallback}", file=sys.stderr)
    return str(fallback)


def _readable_by_others(path: Path, *, leaf_mode: int) -> bool:
    """True when a user with no special rights can reach `path` (every parent searchable)."""
    try:
        path = path.resolve()
        if (path.stat().st_mode & leaf_mode) != leaf_mode:
            return False
        return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.parents)
    except OSError:
        return False


def user_directive(values: dict[str, str]) -> str:
    """`user ...;` only when nginx will start as root (it is ignored, with a warning, otherwise).

    Workers must read MEDIA_ROOT and DOCS_ROOT and write the temp folders: `nobody` when those
    are reachable by any user, otherwise root (a local gateway; say NGINX_USER=... to choose)."""
    configured = os.environ.get("NGINX_USER", "").strip()
    if configured:
        if not re.fullmatch(r"[A-Za-z0-9._-]+(?: [A-Za-z0-9._-]+)?", configured):
            raise RenderError(f"NGINX_USER must be 'user' or 'user group' (got {configured!r})")
        return f"user {configured};"
    if os.geteuid() != 0:
        return ""
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return "user root;"
    group = next((name for name in ("nogroup", "nobody") if _group_exists(name)), None)
    search = stat.S_IXOTH
    read_search = stat.S_IROTH | stat.S_IXOTH
    reachable = (
        _readable_by_others(Path(values["MEDIA_ROOT"]), leaf_mode=search)
        and _readable_by_others(Path(values["DOCS_ROOT"]), leaf_mode=read_search)
        and _readable_by_others(Path(values["NGINX_RUNTIME_DIR"]), leaf_mode=search)
    )
    if not reachable:
        print(
            "[render_nginx] MEDIA_ROOT, DOCS_ROOT or the runtime folder is not reachable by "
            "'nobody': nginx workers will run as root (set NGINX_USER to choose another user)",
            file=sys.stderr,
        )
        return "user root;"
    return f"user nobody {group};" if group else "user nobody;"


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------
def render_text(template: str, values: dict[str, str], *, source: str) -> str:
    problems: list[str] = []
    for number, line in enumerate(template.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        for match in BARE_UPPER_VARIABLE.finditer(line):
            problems.append(
                f"{source}:{number}: ${match.group(1)} must be written as ${{{match.group(1)}}}"
            )

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            problems.append(f"{source}: unknown variable ${{{name}}} (add it to render_nginx.py)")
            return match.group(0)
        value = values[name]
        if value == "" and name != "NGINX_USER_DIRECTIVE":
            problems.append(f"{source}: ${{{name}}} is empty")
        return value

    rendered = PLACEHOLDER.sub(replace, template)
    if problems:
        raise RenderError("\n".join(problems))
    return rendered


def resolve_values(out: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    problems: list[str] = []
    for name, (default, validate) in gateway_variables(out).items():
        raw = None if name in DERIVED else os.environ.get(name)
        value = raw.strip() if raw is not None else default
        if name == "NGINX_MIME_TYPES" and not value:
            value = locate_mime_types(out)
        if not value:
            problems.append(f"{name} is set but empty")
            continue
        try:
            values[name] = validate(name, value)
        except RenderError as exc:
            problems.append(str(exc))
    if problems:
        raise RenderError("\n".join(problems))
    return values


def copy_docs(target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    target.chmod(0o755)
    for source in sorted(DOCS_SOURCE.rglob("*")):
        destination = target / source.relative_to(DOCS_SOURCE)
        if source.is_dir():
            destination.mkdir(exist_ok=True)
            destination.chmod(0o755)
        else:
            shutil.copyfile(source, destination)
            destination.chmod(0o644)


def render(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o755)
    for folder in (out / "conf.d", out / "tmp"):
        folder.mkdir(exist_ok=True)
        folder.chmod(0o755)

    values = resolve_values(out)
    if "DOCS_ROOT" not in os.environ:
        copy_docs(Path(values["DOCS_ROOT"]))
    elif not (Path(values["DOCS_ROOT"]) / "index.html").is_file():
        raise RenderError(f"DOCS_ROOT={values['DOCS_ROOT']} has no index.html")
    media_root = Path(values["MEDIA_ROOT"])
    media_root.mkdir(parents=True, exist_ok=True)
    values["NGINX_USER_DIRECTIVE"] = user_directive(values)

    http_conf = out / "conf.d" / "cotask.conf"
    http_conf.write_text(
        render_text(HTTP_TEMPLATE.read_text(), values, source=str(HTTP_TEMPLATE.relative_to(ROOT)))
    )
    main_conf = out / "nginx.conf"
    main_conf.write_text(
        render_text(MAIN_TEMPLATE.read_text(), values, source=str(MAIN_TEMPLATE.relative_to(ROOT)))
    )
    return main_conf


def check(conf: Path, runtime_dir: Path) -> None:
    binary = nginx_binary()
    if not binary:
        raise RenderError("--check: nginx is not installed (scripts/infra up installs it)")
    result = subprocess.run(
        [binary, "-t", "-q", "-e", str(runtime_dir / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RenderError(f"nginx -t rejected {conf}:\n{result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", required=True, help="output and runtime folder, e.g. var/nginx/run"
    )
    parser.add_argument(
        "--check", action="store_true", help="also validate the result with `nginx -t`"
    )
    args = parser.parse_args(argv)
    try:
        out = Path(_path("--out", args.out))
        conf = render(out)
        if args.check:
            check(conf, out)
    except RenderError as exc:
        print(f"[render_nginx] cannot render the gateway configuration:\n{exc}", file=sys.stderr)
        return 1
    print(conf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
