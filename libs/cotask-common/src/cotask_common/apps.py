from django.apps import AppConfig


class CotaskCommonConfig(AppConfig):
    name = "cotask_common"
    label = "cotask_common"
    verbose_name = "CoTask shared kit"
