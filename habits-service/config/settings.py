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
        local_apps=["habits.tracking"],
        title="CoTask habits API",
        description=(
            "Habits with schedules, check-ins, forgiving streaks, reminders and history;"
            " spaced-repetition cards will live here too."
        ),
    )
)
