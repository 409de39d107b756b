from django.apps import AppConfig


class CardTransferConfig(AppConfig):
    name = "habits.card_transfer"
    label = "card_transfer"
    verbose_name = "Card import and export"
