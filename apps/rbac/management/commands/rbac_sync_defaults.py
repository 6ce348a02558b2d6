from typing import Any

from django.core.management.base import BaseCommand

from apps.rbac.services import rbac_sync_defaults


class Command(BaseCommand):
    help = "Create the default tool grants not applied yet (also runs after every migrate)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = rbac_sync_defaults()
        self.stdout.write(f"{result['grants_created']} default grants created")
