from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RbacConfig(AppConfig):
    name = "apps.rbac"
    label = "rbac"

    def ready(self) -> None:
        from apps.rbac.services import rbac_sync_defaults

        # Once per migrate (sender=self), after every app's tables exist.
        post_migrate.connect(rbac_sync_defaults, sender=self, dispatch_uid="owm-rbac-defaults")
