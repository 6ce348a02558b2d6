"""Model endpoints as data: fallback, circuit breaker, cost accounting, limits, llm_check."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.agents.breaker import breaker_state
from apps.agents.models import Agent, ModelEndpoint, Run, UsageDaily
from apps.agents.services import RunLimitError, run_create, run_execute
from tests.fakes.llm_server import ScriptedLLMServer

pytestmark = pytest.mark.django_db

REQUEST = "check stock levels for SKU-1001"


@pytest.fixture(autouse=True)
def _clean_breakers():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def endpoint(name: str, base_url: str, **extra) -> ModelEndpoint:  # type: ignore[no-untyped-def]
    row = ModelEndpoint(
        name=name,
        base_url=base_url,
        model=extra.pop("model", "kimi-k2-0905-preview"),
        max_retries=0,
        timeout_s=5,
        stream=False,
        **extra,
    )
    row.set_api_key("sk-secret-value")
    row.save()
    return row


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v1"


def execute(scenario, agent: Agent, text: str = REQUEST) -> Run:  # type: ignore[no-untyped-def]
    run = run_create(agent=agent, user=scenario.operator, text=text)
    run_execute(run_id=str(run.pk))
    run.refresh_from_db()
    return run


def inventory() -> Agent:
    return Agent.objects.get(slug="inventory")


def test_the_api_key_is_encrypted_at_rest(scenario):
    row = endpoint("primary", "http://127.0.0.1:1/v1")
    stored = ModelEndpoint.objects.values_list("api_key_encrypted", flat=True).get(pk=row.pk)
    assert "sk-secret-value" not in stored
    assert ModelEndpoint.objects.get(pk=row.pk).api_key == "sk-secret-value"


def test_the_fallback_answers_when_the_primary_is_down(
    scenario, django_capture_on_commit_callbacks
):
    with ScriptedLLMServer() as backup:
        backup.add_text("Answered by the fallback.", usage=(100, 10))
        agent = inventory()
        agent.endpoint = endpoint("primary", closed_port_url())
        agent.fallback_endpoint = endpoint("backup", backup.base_url)
        agent.save()
        run = execute(scenario, agent)
    assert run.status == "succeeded"
    assert run.final_answer == "Answered by the fallback."
    assert breaker_state("primary").failures == 1


def test_an_open_circuit_skips_the_primary_without_calling_it(scenario, settings):
    settings.OWM_BREAKER_THRESHOLD = 2
    with ScriptedLLMServer() as primary, ScriptedLLMServer() as backup:
        for _ in range(2):
            primary.add_error(503, headers={"x-should-retry": "false"})
        for _ in range(3):
            backup.add_text("fallback")
        agent = inventory()
        agent.endpoint = endpoint("primary", primary.base_url)
        agent.fallback_endpoint = endpoint("backup", backup.base_url)
        agent.save()
        for _ in range(3):
            assert execute(scenario, agent).status == "succeeded"
        assert len(primary.chat_requests) == 2  # the third run never tried it
    assert breaker_state("primary").is_open


def test_when_every_endpoint_fails_the_run_says_why_for_each(scenario):
    agent = inventory()
    agent.endpoint = endpoint("primary", closed_port_url())
    agent.fallback_endpoint = endpoint("backup", closed_port_url())
    agent.save()
    run = execute(scenario, agent)
    assert run.status == "failed"
    assert "primary: cannot reach" in run.error and "backup: cannot reach" in run.error


def test_tokens_and_cost_are_accounted_per_run_and_rolled_up_per_day(scenario):
    with ScriptedLLMServer() as server:
        server.add_tool_calls(
            [("check_stock_levels", {"product_ids": ["SKU-1001"]})], usage=(1000, 200)
        )
        server.add_text("18 left.", usage=(1500, 50))
        agent = inventory()
        agent.endpoint = endpoint(
            "priced",
            server.base_url,
            input_price_per_m=Decimal("0.60"),
            output_price_per_m=Decimal("2.50"),
        )
        agent.save()
        run = execute(scenario, agent)
    assert (run.prompt_tokens, run.completion_tokens) == (2500, 250)
    assert run.cost == Decimal("0.002125")  # 2500 * 0.6/1M + 250 * 2.5/1M
    usage = UsageDaily.objects.get(agent="inventory", user="alice")
    assert (usage.model_turns, usage.prompt_tokens, usage.completion_tokens) == (2, 2500, 250)
    assert usage.cost == Decimal("0.002125")


def test_a_run_over_its_token_budget_stops_with_a_clear_outcome(scenario):
    with ScriptedLLMServer() as server:
        server.responder = lambda body: server.tool_calls_reply(
            [("check_stock_levels", {"product_ids": ["SKU-1001"]})], usage=(4000, 100)
        )
        agent = inventory()
        agent.endpoint = endpoint("big", server.base_url)
        agent.max_run_tokens = 10_000
        agent.save()
        run = execute(scenario, agent)
    assert run.status == "failed"
    assert "over its budget of 10000" in run.error
    assert run.iterations == 3


def test_a_model_stuck_on_invalid_arguments_is_stopped(scenario, settings):
    settings.OWM_MAX_INVALID_TOOL_CALLS = 2
    with ScriptedLLMServer() as server:
        server.responder = lambda body: server.tool_calls_reply([("predict_demand", '{"oops": ')])
        agent = inventory()
        agent.endpoint = endpoint("confused", server.base_url)
        agent.save()
        run = execute(scenario, agent)
    assert run.status == "failed"
    assert "invalid arguments 3 times in a row" in run.error


def test_users_are_limited_in_runs_per_minute_and_at_once(scenario, settings):
    settings.OWM_USER_CONCURRENT_RUNS = 2
    agent = inventory()
    run_create(agent=agent, user=scenario.operator, text="a")
    run_create(agent=agent, user=scenario.operator, text="b")
    with pytest.raises(RunLimitError, match="2 runs in progress"):
        run_create(agent=agent, user=scenario.operator, text="c")
    settings.OWM_USER_CONCURRENT_RUNS = 100
    settings.OWM_USER_RUNS_PER_MINUTE = 2
    with pytest.raises(RunLimitError, match="last minute"):
        run_create(agent=agent, user=scenario.operator, text="d")
    run_create(agent=agent, user=scenario.other_operator, text="e")  # others are unaffected


def test_the_api_answers_429_over_a_user_limit(scenario, settings):
    from rest_framework.test import APIClient

    settings.OWM_USER_RUNS_PER_MINUTE = 0
    client = APIClient()
    client.force_authenticate(scenario.operator)
    response = client.post("/api/runs/", {"agent": "inventory", "input": "x"}, format="json")
    assert response.status_code == 429
    assert "last minute" in response.json()["detail"]


def test_llm_check_reports_a_healthy_endpoint_and_records_it(scenario, capsys):
    with ScriptedLLMServer() as server:
        server.add_tool_calls([("echo", {"text": "ping"})])
        server.add_text("ping")
        row = endpoint("checked", server.base_url)
        call_command("llm_check", "checked")
    out = capsys.readouterr().out
    assert "ok   tool call: echo({'text': 'ping'})" in out
    assert "all endpoints healthy" in out
    row.refresh_from_db()
    assert row.last_check_ok is True and row.last_check_latency_ms is not None


def test_llm_check_fails_when_the_model_is_not_listed(scenario):
    with ScriptedLLMServer(models=("other-model",)) as server:
        endpoint("wrong-model", server.base_url)
        with pytest.raises(CommandError, match="failed the check"):
            call_command("llm_check", "wrong-model")
    assert ModelEndpoint.objects.get(name="wrong-model").last_check_ok is False
