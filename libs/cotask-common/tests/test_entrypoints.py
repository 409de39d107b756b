"""A web process, once its app is built, has imported its URLconf and keeps what it loaded out
of the garbage collector's walks (`entrypoints.freeze_loaded_objects`): a full collection then
walks only what requests leave, not the ~160,000 loaded objects (~120 ms each time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cotask_common.entrypoints import GC_YOUNGEST_THRESHOLD

TESTS = Path(__file__).resolve().parent
BUILD_THE_APP = """
import gc, json, sys
before = gc.get_freeze_count()
from cotask_common.entrypoints import wsgi_application
wsgi_application()
print(json.dumps({
    "before": before,
    "frozen": gc.get_freeze_count(),
    "threshold": gc.get_threshold()[0],
    "urlconf": "testproject.urls" in sys.modules,
}))
"""


def test_building_the_wsgi_app_loads_the_urlconf_and_freezes_what_it_loaded(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "COTASK_VAR_DIR": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-c", BUILD_THE_APP], env=env, capture_output=True, text=True, check=True
    ).stdout
    found = json.loads(out.strip().splitlines()[-1])
    assert found["before"] == 0
    assert found["urlconf"] is True  # imported at boot, not at the first request
    assert found["frozen"] > 20_000  # Django, DRF and the views, out of the collector's walks
    assert found["threshold"] == GC_YOUNGEST_THRESHOLD
