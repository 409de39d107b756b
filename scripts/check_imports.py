#!/usr/bin/env python3
"""The import contracts of `.importlinter` (import-linter), run by `make lint`.

Every service is its own Django project run from its own folder, so each service's folder goes on
the path here: that is how `auth`, `social`, ... and the kit's `cotask_common` are found side by
side. Extra arguments go to `lint-imports` (for example `--no-cache`, `--contract social-layers`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("auth", "social", "tasks", "habits", "media", "notifications")


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    paths = [str(ROOT / f"{service}-service") for service in SERVICES]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    lint_imports = Path(sys.executable).parent / "lint-imports"
    cache = ["--cache-dir", str(ROOT / "var" / "import_linter_cache")]
    if "--no-cache" in argv:
        cache = []
    command = [str(lint_imports), str(ROOT / ".importlinter"), *cache, *argv]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
