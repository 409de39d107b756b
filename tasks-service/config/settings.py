"""tasks-service settings: the shared base plus what is this service's own."""

from pathlib import Path

from cotask_common.settings import build_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    build_settings(
        service="tasks",
        base_dir=BASE_DIR,
        local_apps=[],
        title="CoTask tasks API",
        description=(
            "Not built yet: only health, readiness and whoami. Projects, team rooms and tasks"
            " will live here."
        ),
    )
)
