"""habits-service settings: the shared base plus what is this service's own."""

from pathlib import Path
from typing import TYPE_CHECKING

from cotask_common.settings import build_settings

if TYPE_CHECKING:  # the names build_settings() sets, typed for mypy (see the module)
    from cotask_common.settings_names import *  # noqa: F403

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
