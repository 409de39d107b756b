from django.apps import AppConfig


class CotaskCommonConfig(AppConfig):
    name = "cotask_common"
    label = "cotask_common"
    verbose_name = "CoTask shared kit"

    def ready(self) -> None:
        # Registers the OpenAPI description of the token authentication (import = register).
        from cotask_common.security import openapi  # noqa: F401
        from cotask_common.strict_json import install

        # JSON bodies take the types their documents declare (no "1" for an integer).
        install()
