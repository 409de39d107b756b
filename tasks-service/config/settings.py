"""tasks-service settings: the shared base plus what is this service's own."""

from pathlib import Path

from cotask_common.settings import build_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    build_settings(
        service="tasks",
        base_dir=BASE_DIR,
        local_apps=["tasks.rooms", "tasks.planning", "tasks.comments", "tasks.mediafiles"],
        title="CoTask tasks API",
        description=(
            "Team rooms with join codes, each person's personal space, tasks on a board,"
            " subtasks, dependencies, recurrence, comments and history."
        ),
    )
)

# One catalogue for the service's messages (every app adds its block; see the .po files).
LOCALE_PATHS = [BASE_DIR / "tasks" / "locale"]
