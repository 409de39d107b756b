"""A minimal Django project for testing the shared kit on its own."""

from pathlib import Path

from cotask_common.settings import build_settings

globals().update(
    build_settings(
        service="kit",
        base_dir=Path(__file__).resolve().parent,
        local_apps=["testproject.sample"],
        title="CoTask shared kit test project",
    )
)
ROOT_URLCONF = "testproject.urls"
