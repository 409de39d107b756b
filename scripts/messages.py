"""Message catalogues of every service and the kit.

    messages.py extract   find the texts in the code (Django's makemessages, which needs
                          gettext's xgettext: installed here with apt-get when missing and root)
                          and add them to each `locale/<lang>/LC_MESSAGES/django.po`
    messages.py compile   write each catalogue's `.mo` (polib: no gettext needed)

A service's texts go to the `locale/` of the app they are in (or the service's LOCALE_PATHS);
translate the new entries, then compile and commit both files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ru", "uk")
SERVICES = ("auth", "social", "tasks", "habits", "media", "notifications")
KIT = ROOT / "libs" / "cotask-common" / "src" / "cotask_common"


def ensure_xgettext() -> None:
    if shutil.which("xgettext"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("[messages] gettext is missing: installing it with apt-get")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "gettext"], check=True
        )
        return
    sys.exit("[messages] needs gettext's xgettext: apt-get install gettext / brew install gettext")


def extract() -> None:
    ensure_xgettext()
    python = sys.executable
    env = {**os.environ, "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "messages")}
    args = ["makemessages", *(f"-l{lang}" for lang in LANGUAGES), "--no-location"]
    for service in SERVICES:
        folder = ROOT / f"{service}-service"
        if not any(folder.rglob("locale")):
            continue
        print(f"[messages] {service}")
        subprocess.run([python, "manage.py", *args], cwd=folder, env=env, check=True)
    print("[messages] kit")
    # -P: the kit's folder is not on sys.path, or its `logging.py` would shadow the standard one.
    subprocess.run(
        [python, "-P", "-m", "django", *args, "--ignore", "testing/*", "--ignore", "contracts/*"],
        cwd=KIT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "testproject.settings",
            "PYTHONPATH": str(KIT.parent.parent / "tests"),
        },
        check=True,
    )
    # makemessages makes the test project's LOCALE_PATHS folder (empty); left there, the kit's
    # platform contract would look for catalogues in it.
    stray = KIT.parent.parent / "tests" / "testproject" / "kit"
    if stray.is_dir() and not any(path.is_file() for path in stray.rglob("*")):
        shutil.rmtree(stray)


def compile_all() -> None:
    for po_path in sorted(ROOT.glob("**/locale/*/LC_MESSAGES/django.po")):
        if ".venv" in po_path.parts or "node_modules" in po_path.parts:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"[messages] compiled {po_path.relative_to(ROOT)}")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "extract":
        extract()
    elif command == "compile":
        compile_all()
    else:
        sys.exit(__doc__)
