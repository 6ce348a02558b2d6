from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = (
        "Recompute the audit log's hash chain; exit 1 at the first altered, deleted "
        "or reordered entry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit", type=int, default=None, help="check only the first N entries"
        )

    def handle(self, *args: Any, limit: int | None = None, **options: Any) -> None:
        result = audit_chain_verify(limit=limit)
        if not result.ok:
            raise CommandError(
                f"audit chain BROKEN at seq {result.broken_seq} "
                f"({result.problem}): {result.message}",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(result.summary))
