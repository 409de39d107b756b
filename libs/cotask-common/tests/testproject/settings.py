"""A minimal Django project for testing the shared kit on its own."""

from pathlib import Path
from typing import TYPE_CHECKING

from cotask_common.settings import build_settings

if TYPE_CHECKING:  # the names build_settings() sets, typed for mypy (see the module)
    from cotask_common.settings_names import *  # noqa: F403

globals().update(
    build_settings(
        service="kit",
        base_dir=Path(__file__).resolve().parent,
        local_apps=["testproject.sample"],
        title="CoTask shared kit test project",
    )
)
ROOT_URLCONF = "testproject.urls"
