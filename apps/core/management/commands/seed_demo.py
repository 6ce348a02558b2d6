from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.demo import seed_users
from apps.inventory.demo import seed_inventory


class Command(BaseCommand):
    help = "Load the demo data and demo users (idempotent: safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            users = seed_users()
            inventory = seed_inventory()
        self.stdout.write(f"demo users created: {', '.join(users) or 'none (already there)'}")
        self.stdout.write(f"inventory: {inventory}")
