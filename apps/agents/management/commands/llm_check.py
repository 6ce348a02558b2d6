from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.agents.health import endpoint_check, endpoint_health_save, endpoints_for_check
from apps.agents.llm import LLMError


class Command(BaseCommand):
    help = (
        "Check model endpoints: reachable, model listed, a tool-call round trip, latency. "
        "Without a name: the OWM_LLM_* endpoint and every enabled endpoint."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("endpoint", nargs="?", help="an endpoint name, or 'env' for OWM_LLM_*")

    def handle(self, *args: Any, endpoint: str | None = None, **options: Any) -> None:
        try:
            targets = endpoints_for_check(endpoint)
        except LLMError as exc:
            raise CommandError(str(exc)) from exc
        if not targets:
            raise CommandError(
                "no endpoint configured: set OWM_LLM_BASE_URL or add one in the admin"
            )
        failed = 0
        for row, target in targets:
            report = endpoint_check(target)
            if row is not None:
                endpoint_health_save(row, report)
            self.stdout.write(f"{target.name} ({target.client.model}):")
            for step, ok, detail in report.steps:
                self.stdout.write(f"  {'ok  ' if ok else 'FAIL'} {step}: {detail}")
            failed += not report.ok
        if failed:
            raise CommandError(f"{failed} endpoint(s) failed the check")
        self.stdout.write(self.style.SUCCESS("all endpoints healthy"))
