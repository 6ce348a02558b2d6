from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app's demo.py has `seed() -> dict`; order matters (later apps use earlier data).
DEMO_MODULES = [
    "apps.accounts.demo",
    "apps.inventory.demo",
    "apps.customerservice.demo",
    "apps.datatools.demo",
    "apps.notifications.demo",
    "apps.rules.demo",
    "apps.workflows.demo",
    "apps.webhooks.demo",
    "apps.rbac.demo",  # after every agent exists
    "apps.audit.demo",
]


class Command(BaseCommand):
    help = "Load the demo data and demo users (idempotent: safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        for path in DEMO_MODULES:
            if find_spec(path) is None:
                continue
            with transaction.atomic():
                summary = import_module(path).seed()
            self.stdout.write(f"{path.split('.')[1]}: {summary}")
