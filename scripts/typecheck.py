#!/usr/bin/env python3
"""mypy (with django-stubs and djangorestframework-stubs) over the kit and every service, against
a recorded baseline that may only shrink. Run by `make lint`.

Each service is its own Django project, so mypy runs once per service from the service's folder
with its own settings module (the django-stubs plugin loads it), and once for the kit with its
test project's settings; two runs at a time, each with its own cache under var/mypy_cache/.

The baseline (mypy-baseline.txt) holds the errors that existed when the check came in, one line
each as `<file>: [<code>] <message>`: without line numbers, so that unrelated edits above an old
error do not turn it into a new one. An error is new when its line occurs more often than in the
baseline.

    scripts/typecheck.py                 check; fail on any new error
    scripts/typecheck.py --target kit    check only the kit (or a service: auth, social, ...)
    scripts/typecheck.py --shrink        drop the baseline lines that are fixed (never adds one)
    scripts/typecheck.py --record        write the baseline from scratch (only when merging code
                                         that predates the check; review the diff it makes)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
CONFIG = ROOT / "mypy.ini"
SERVICES = ("auth", "social", "tasks", "habits", "media", "notifications")

ERROR_RE = re.compile(
    r"^(?P<path>[^:\n]+):(?P<line>\d+)(?::\d+)?: error: "
    r"(?P<message>.*?)(?:  \[(?P<code>[\w-]+)\])?$"
)


@dataclass(frozen=True)
class Target:
    name: str
    folder: Path
    paths: tuple[str, ...]
    settings: str
    mypy_path: str = ""


def targets() -> dict[str, Target]:
    found = {
        "kit": Target(
            "kit",
            ROOT / "libs" / "cotask-common",
            ("src/cotask_common", "tests"),
            "testproject.settings",
            mypy_path="tests",
        )
    }
    for service in SERVICES:
        found[service] = Target(
            service, ROOT / f"{service}-service", (service, "config"), "config.settings"
        )
    return found


@dataclass(frozen=True)
class Error:
    key: str  # the baseline line
    where: str  # file:line, for the report

    @classmethod
    def parse(cls, target: Target, line: str) -> Error | None:
        match = ERROR_RE.match(line.strip())
        if match is None:
            return None
        path = (target.folder / match["path"]).resolve()
        try:
            shown = path.relative_to(ROOT).as_posix()
        except ValueError:
            shown = match["path"]
        # Messages naming another line ("defined on line 12") would move with unrelated edits.
        message = re.sub(r"\bon line \d+", "on line N", match["message"])
        message = message.replace(str(ROOT) + os.sep, "")
        return cls(f"{shown}: [{match['code'] or 'misc'}] {message}", f"{shown}:{match['line']}")


def run(target: Target) -> tuple[list[Error], str]:
    """mypy over one target; its errors, and its output when mypy itself failed."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = target.settings
    if target.mypy_path:
        env["MYPYPATH"] = target.mypy_path
    command = [
        str(Path(sys.executable).parent / "mypy"),
        "--config-file",
        str(CONFIG),
        "--cache-dir",
        str(ROOT / "var" / "mypy_cache" / target.name),
        "--no-pretty",
        "--no-error-summary",
        "--hide-error-context",
        *target.paths,
    ]
    done = subprocess.run(
        command, cwd=target.folder, env=env, capture_output=True, text=True, check=False
    )
    errors = [e for e in (Error.parse(target, line) for line in done.stdout.splitlines()) if e]
    # 0: clean, 1: type errors; anything else (2: a crash, a bad config) is not a type check.
    broken = "" if done.returncode in (0, 1) else (done.stdout + done.stderr)
    return errors, broken


def read_baseline() -> Counter[str]:
    if not BASELINE.exists():
        return Counter()
    lines = BASELINE.read_text(encoding="utf-8").splitlines()
    return Counter(line for line in lines if line and not line.startswith("#"))


def write_baseline(entries: Counter[str]) -> None:
    header = (
        "# mypy errors that predate the type check (scripts/typecheck.py): this list may only "
        "shrink.\n"
    )
    body = "".join(f"{key}\n" for key in sorted(entries.elements()))
    BASELINE.write_text(header + body, encoding="utf-8")


def in_target(key: str, target: Target) -> bool:
    return key.startswith(target.folder.relative_to(ROOT).as_posix() + "/")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", action="append", choices=sorted(targets()), default=[])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--shrink", action="store_true", help="drop the fixed baseline lines")
    mode.add_argument("--record", action="store_true", help="write the baseline from scratch")
    args = parser.parse_args(argv)
    chosen = [targets()[name] for name in (args.target or targets())]
    if args.record and args.target:
        parser.error("--record writes the whole baseline: run it without --target")

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, chosen))
    crashed = [(t.name, out) for t, (_, out) in zip(chosen, results, strict=True) if out]
    for name, out in crashed:
        print(f"[typecheck] mypy did not run for {name}:\n{out}", file=sys.stderr)
    if crashed:
        return 2

    found: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    for errors, _ in results:
        for error in errors:
            found[error.key] += 1
            where.setdefault(error.key, []).append(error.where)

    baseline = read_baseline()
    checked = Counter({k: n for k, n in baseline.items() if any(in_target(k, t) for t in chosen)})
    if args.record:
        write_baseline(found)
        print(f"[typecheck] recorded {sum(found.values())} errors in {BASELINE.name}")
        return 0

    new = found - checked
    fixed = checked - found
    if args.shrink:
        write_baseline(baseline - fixed)
        print(f"[typecheck] {sum(fixed.values())} fixed errors dropped from {BASELINE.name}")
    if new:
        print(f"[typecheck] {sum(new.values())} new mypy errors (not in {BASELINE.name}):")
        for key in sorted(new):
            print(f"  {', '.join(where[key])}: {key.split(': ', 1)[1]}")
        return 1
    print(
        f"[typecheck] {', '.join(t.name for t in chosen)}: no new errors "
        f"({sum(found.values())} known, in {BASELINE.name})"
    )
    if fixed and not args.shrink:
        print(
            f"[typecheck] {sum(fixed.values())} baseline errors are fixed: "
            "run `scripts/typecheck.py --shrink` and commit mypy-baseline.txt"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
