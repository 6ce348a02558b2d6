from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import post_migrate

        from apps.audit import signals

        user_logged_in.connect(signals.on_user_logged_in, dispatch_uid="audit.login")
        user_login_failed.connect(signals.on_user_login_failed, dispatch_uid="audit.login_failed")
        post_migrate.connect(signals.on_post_migrate, sender=self, dispatch_uid="audit.triggers")
