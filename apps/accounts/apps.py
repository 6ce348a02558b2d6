from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        from apps.accounts.roles import roles_ensure

        post_migrate.connect(roles_ensure, dispatch_uid="owm-roles-ensure")
