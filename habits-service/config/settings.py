"""habits-service settings: the shared base plus what is this service's own."""

from pathlib import Path

from cotask_common.settings import build_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    build_settings(
        service="habits",
        base_dir=BASE_DIR,
        local_apps=[],
        title="CoTask habits API",
        description=(
            "Not built yet: only health, readiness and whoami. Habits and spaced-repetition"
            " cards will live here."
        ),
    )
)
