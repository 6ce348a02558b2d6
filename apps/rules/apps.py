from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "apps.rules"
    label = "rules"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from apps.inventory.models import StockMovement
        from apps.rules.signals import stock_movement_saved

        post_save.connect(
            stock_movement_saved, sender=StockMovement, dispatch_uid="rules.stock_movement"
        )
