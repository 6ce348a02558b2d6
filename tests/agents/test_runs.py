"""Runs through the API and the run service: the offline planner and a real
OpenAI-compatible endpoint (the scripted server, through the openai client)."""

from __future__ import annotations

import json
import socket

import pytest
from rest_framework.test import APIClient

from apps.agents.models import Run, RunEvent
from apps.inventory.models import PurchaseOrder
from apps.tools.models import ToolCall
from tests.fakes.llm_server import ScriptedLLMServer

pytestmark = pytest.mark.django_db

STOCK_REQUEST = "check stock levels for SKU-1001 at the Seoul warehouse"


def api_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    response = client.post(
        "/api/auth/token", {"username": user.username, "password": f"{user.username}-pass"}
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def start_run(client: APIClient, text: str = STOCK_REQUEST) -> dict:
    response = client.post("/api/runs/", {"agent": "inventory", "input": text}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def use_endpoint(settings, server: ScriptedLLMServer, **extra) -> None:  # type: ignore[no-untyped-def]
    settings.OWM_LLM_BASE_URL = server.base_url
    settings.OWM_LLM_API_KEY = "test-key"
    settings.OWM_LLM_MODEL = "kimi-k2-0905-preview"
    settings.OWM_LLM_MAX_RETRIES = extra.get("retries", 0)
    settings.OWM_LLM_TIMEOUT = extra.get("timeout", 5.0)
    settings.OWM_LLM_STREAM = extra.get("stream", False)


def test_the_offline_planner_answers_the_stock_question_end_to_end(
    scenario, django_capture_on_commit_callbacks
):
    client = api_for(scenario.operator)
    with django_capture_on_commit_callbacks(execute=True):
        created = start_run(client)
    assert created["status"] == "queued"
    assert created["offline_planner"] is True

    detail = client.get(f"/api/runs/{created['id']}/").json()
    assert detail["status"] == "succeeded"
    assert "SKU-1001" in detail["final_answer"]
    [step] = detail["steps"]
    assert step["name"] == "check_stock_levels"
    assert step["arguments"] == {"product_ids": ["SKU-1001"], "location": "Seoul"}
    assert step["status"] == "succeeded" and step["duration_ms"] is not None
    assert [m["role"] for m in detail["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    types = list(RunEvent.objects.filter(run_id=created["id"]).values_list("type", flat=True))
    assert types[:2] == ["run.queued", "run.started"]
    assert types[-1] == "run.finished"
    assert types.index("tool.started") < types.index("tool.finished")
    seqs = list(RunEvent.objects.filter(run_id=created["id"]).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_run_through_an_openai_compatible_endpoint_keeps_kimi_tool_call_ids(
    scenario, settings, django_capture_on_commit_callbacks
):
    with ScriptedLLMServer() as server:
        use_endpoint(settings, server)
        server.add_tool_calls(
            [("check_stock_levels", {"product_ids": ["SKU-1001"], "location": "SEL-WH"})],
            usage=(120, 30),
        )
        server.add_text("SKU-1001 is low in Seoul: 18 on hand.", usage=(200, 15))
        client = api_for(scenario.operator)
        with django_capture_on_commit_callbacks(execute=True):
            created = start_run(client)
        second = server.chat_requests[1].body

    detail = client.get(f"/api/runs/{created['id']}/").json()
    assert detail["status"] == "succeeded"
    assert detail["provider"] == "openai" and detail["offline_planner"] is False
    assert detail["usage"] == {"prompt_tokens": 320, "completion_tokens": 45, "total_tokens": 365}
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool"
    assert tool_message["tool_call_id"] == "functions.check_stock_levels:0"
    assert tool_message["name"] == "check_stock_levels"
    assert json.loads(tool_message["content"])["rows"][0]["quantity"] == 18
    assert second["tool_choice"] == "auto" and second["temperature"] == 0.6
    offered = {tool["function"]["name"] for tool in second["tools"]}
    assert offered == {"check_stock_levels", "predict_demand", "create_purchase_order"}


def test_malformed_arguments_go_back_to_the_model_and_the_run_goes_on(
    scenario, settings, django_capture_on_commit_callbacks
):
    with ScriptedLLMServer() as server:
        use_endpoint(settings, server)
        server.add_tool_calls([("predict_demand", '{"product_id": "SKU-1001", ')])
        server.add_tool_calls(
            [("predict_demand", {"product_id": "SKU-1001", "forecast_period": 7})]
        )
        server.add_text("Forecast done.")
        client = api_for(scenario.operator)
        with django_capture_on_commit_callbacks(execute=True):
            created = start_run(client, "forecast SKU-1001 for a week")
        error_turn = json.loads(server.chat_requests[1].body["messages"][-1]["content"])

    assert error_turn["error"]["kind"] == "invalid_arguments"
    statuses = list(
        ToolCall.objects.filter(run_id=created["id"])
        .order_by("id")
        .values_list("status", flat=True)
    )
    assert statuses == ["invalid_arguments", "succeeded"]
    assert Run.objects.get(pk=created["id"]).status == "succeeded"


def test_a_rate_limited_endpoint_is_retried_then_the_run_succeeds(
    scenario, settings, django_capture_on_commit_callbacks
):
    with ScriptedLLMServer() as server:
        use_endpoint(settings, server, retries=2)
        server.add_error(429, headers={"retry-after-ms": "1"})
        server.add_text("Nothing to do.")
        client = api_for(scenario.operator)
        with django_capture_on_commit_callbacks(execute=True):
            created = start_run(client)
        assert len(server.chat_requests) == 2
    assert Run.objects.get(pk=created["id"]).status == "succeeded"


def test_an_unreachable_endpoint_fails_the_run_with_a_clear_message(
    scenario, settings, django_capture_on_commit_callbacks
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.OWM_LLM_BASE_URL = f"http://127.0.0.1:{port}/v1"
    settings.OWM_LLM_MAX_RETRIES = 0
    client = api_for(scenario.operator)
    with django_capture_on_commit_callbacks(execute=True):
        created = start_run(client)
    run = Run.objects.get(pk=created["id"])
    assert run.status == "failed"
    assert "cannot reach the model endpoint" in run.error
    finished = RunEvent.objects.get(run=run, type="run.finished")
    assert "cannot reach" in finished.data["error"]


def test_endless_tool_calls_end_at_the_agents_iteration_budget(
    scenario, settings, django_capture_on_commit_callbacks
):
    from apps.agents.models import Agent

    Agent.objects.filter(slug="inventory").update(max_iterations=3)
    with ScriptedLLMServer() as server:
        use_endpoint(settings, server)
        server.responder = lambda body: server.tool_calls_reply(
            [("check_stock_levels", {"product_ids": ["SKU-1001"]})]
        )
        client = api_for(scenario.operator)
        with django_capture_on_commit_callbacks(execute=True):
            created = start_run(client)
    run = Run.objects.get(pk=created["id"])
    assert run.status == "max_iterations_reached"
    assert run.iterations == 3


def test_a_tool_the_model_was_not_offered_is_denied_at_execution(
    scenario, settings, django_capture_on_commit_callbacks
):
    with ScriptedLLMServer() as server:
        use_endpoint(settings, server)
        server.add_tool_calls(
            [
                (
                    "create_purchase_order",
                    {
                        "supplier_id": "SUP-001",
                        "items": [{"product_id": "SKU-1001", "quantity": 10}],
                    },
                )
            ]
        )
        server.add_text("I could not order.")
        viewer_client = api_for(scenario.viewer)
        with django_capture_on_commit_callbacks(execute=True):
            created = start_run(viewer_client)
        assert "tools" not in server.chat_requests[0].body  # nothing offered to a viewer
    call = ToolCall.objects.get(run_id=created["id"])
    assert call.status == "denied"
    assert PurchaseOrder.objects.filter(supplier__code="SUP-001", status="draft").count() == 0


def test_a_resumed_run_never_repeats_a_finished_tool_call(
    scenario, settings, django_capture_on_commit_callbacks
):
    from apps.agents.services import run_execute

    with ScriptedLLMServer() as server:
        use_endpoint(settings, server)
        order = {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 20}]}
        server.add_tool_calls([("create_purchase_order", order)])
        server.add_error(503, headers={"x-should-retry": "false"})
        client = api_for(scenario.operator)
        with django_capture_on_commit_callbacks(execute=True):
            created = start_run(client, "order 20 units of SKU-1001 from SUP-001")
        run = Run.objects.get(pk=created["id"])
        assert run.status == "failed"
        orders_before = PurchaseOrder.objects.count()
        # Pretend the worker died after the tool ran: the run is picked up again.
        Run.objects.filter(pk=run.pk).update(status="running")
        server.add_text("Ordered.")
        run_execute(run_id=str(run.pk))
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert PurchaseOrder.objects.count() == orders_before
    assert ToolCall.objects.filter(run=run, tool_name="create_purchase_order").count() == 1
    assert RunEvent.objects.filter(run=run, type="run.resumed").exists()


class _WorkerDied(BaseException):  # stands for SIGKILL: nothing catches it
    pass


def test_a_run_killed_before_its_next_model_turn_gets_the_tool_result_back_from_its_call(
    scenario, settings, monkeypatch
):
    """Tool results are stored with the next model turn; a worker that dies in
    between leaves the finished ToolCall, which the resumed run reads back
    without running the tool again."""
    from apps.agents import services
    from apps.agents.models import Agent, Message

    real_client = services.llm_client
    turns = {"n": 0}

    class DiesBeforeTheSecondTurn:
        def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
            self.inner = inner

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(self.inner, name)

        def complete(self, **kwargs):  # type: ignore[no-untyped-def]
            turns["n"] += 1
            if turns["n"] == 2:
                raise _WorkerDied
            return self.inner.complete(**kwargs)

    monkeypatch.setattr(
        services, "llm_client", lambda agent=None: DiesBeforeTheSecondTurn(real_client(agent))
    )
    with ScriptedLLMServer() as server:
        use_endpoint(settings, server)
        order = {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 20}]}
        server.add_tool_calls([("create_purchase_order", order)])
        server.add_text("Ordered.")
        run = services.run_create(
            agent=Agent.objects.get(slug="inventory"), user=scenario.operator, text="order 20"
        )
        orders_before = PurchaseOrder.objects.count()
        with pytest.raises(_WorkerDied):
            services.run_execute(run_id=str(run.pk))
        assert Run.objects.get(pk=run.pk).status == "running"
        assert ToolCall.objects.get(run=run).status == "succeeded"
        assert not Message.objects.filter(run=run, role="tool").exists()

        services.run_execute(run_id=str(run.pk))
        last_request = server.chat_requests[-1].body["messages"]

    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert PurchaseOrder.objects.count() == orders_before + 1
    assert ToolCall.objects.filter(run=run).count() == 1
    roles = list(Message.objects.filter(run=run).order_by("index").values_list("role", flat=True))
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    assert [m["role"] for m in last_request][-1] == "tool"
    assert "PO-" in last_request[-1]["content"]


@pytest.mark.django_db(transaction=True)  # the error ends the transaction it happens in
def test_a_database_error_mid_run_leaves_the_run_to_resume_instead_of_failing_it(
    scenario, settings, monkeypatch
):
    """PostgreSQL restarted, a deadlock: the run is not to blame. It stays
    running (its task retries it) and succeeds when resumed."""
    from django.db import OperationalError

    from apps.agents import services
    from apps.agents.models import Agent

    real_usage_record = services._usage_record
    failures = {"left": 1}

    def usage_record_once_failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return real_usage_record(*args, **kwargs)

    monkeypatch.setattr(services, "_usage_record", usage_record_once_failing)
    monkeypatch.setattr(services, "_enqueue", lambda run_id: None)  # executed by hand below
    with ScriptedLLMServer() as server:
        use_endpoint(settings, server)
        server.add_tool_calls([("check_stock_levels", {"product_ids": ["SKU-1001"]})])
        server.add_tool_calls([("check_stock_levels", {"product_ids": ["SKU-1001"]})])
        server.add_text("SKU-1001 is low in Seoul.")
        agent, _ = Agent.objects.get_or_create(  # a transactional test: no migration data
            slug="inventory",
            defaults={
                "name": "Inventory agent",
                "system_prompt": "Use the tools.",
                "tool_names": ["check_stock_levels"],
            },
        )
        run = services.run_create(agent=agent, user=scenario.operator, text="stock?")
        with pytest.raises(OperationalError):
            services.run_execute(run_id=str(run.pk))
        run.refresh_from_db()
        assert (run.status, run.error, run.finished_at) == ("running", "", None)
        assert not ToolCall.objects.filter(run=run).exists()  # the turn rolled back whole

        services.run_execute(run_id=str(run.pk))

    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert run.final_answer == "SKU-1001 is low in Seoul."
    types = list(RunEvent.objects.filter(run=run).order_by("seq").values_list("type", flat=True))
    assert types.count("run.finished") == 1
    assert "run.resumed" in types


def test_an_attempt_its_dead_worker_left_running_is_closed_as_interrupted_and_run_again(
    scenario, settings
):
    from django.utils import timezone

    from apps.agents import services
    from apps.agents.models import Agent, Message
    from apps.audit.models import AuditEntry

    call_id = "functions.check_stock_levels:0"
    arguments = '{"product_ids": ["SKU-1001"]}'
    run = Run.objects.create(
        agent=Agent.objects.get(slug="inventory"),
        user=scenario.operator,
        input="stock?",
        status="running",
        started_at=timezone.now(),
    )
    Message.objects.bulk_create(
        [
            Message(run=run, index=0, role="system", content="Use the tools."),
            Message(run=run, index=1, role="user", content="stock?"),
            Message(
                run=run,
                index=2,
                role="assistant",
                tool_calls=[
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": "check_stock_levels", "arguments": arguments},
                    }
                ],
            ),
        ]
    )
    stale = ToolCall.objects.create(  # the worker died during this attempt
        run=run, tool_name="check_stock_levels", tool_call_id=call_id, source="agent"
    )
    with ScriptedLLMServer() as server:
        use_endpoint(settings, server)
        server.add_text("SKU-1001: 18 units.")
        services.run_execute(run_id=str(run.pk))
        sent = server.chat_requests[-1].body["messages"][-1]

    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    stale.refresh_from_db()
    assert (stale.status, stale.error_kind) == ("failed", "interrupted")
    retried = ToolCall.objects.get(run=run, tool_call_id=call_id, status="succeeded")
    assert sent["role"] == "tool" and "SKU-1001" in sent["content"]
    assert "interrupted" not in sent["content"]  # the model gets the retried result
    audited = AuditEntry.objects.filter(event="tool.call", tool_call_id=call_id)
    assert sorted(audited.values_list("status", flat=True)) == ["failed", "succeeded"]
    assert retried.pk != stale.pk


def test_streamed_text_reaches_the_run_as_delta_events_before_the_turn_completes(
    scenario, settings, django_capture_on_commit_callbacks
):
    answer = "SKU-1001 has 18 units in Seoul, below its reorder point of 60. " * 3
    with ScriptedLLMServer(stream_pieces=6) as server:
        use_endpoint(settings, server, stream=True)
        server.add_tool_calls([("check_stock_levels", {"product_ids": ["SKU-1001"]})])
        server.add_text(answer)
        client = api_for(scenario.operator)
        with django_capture_on_commit_callbacks(execute=True):
            created = start_run(client)
        assert all(request.body["stream"] is True for request in server.chat_requests)

    run = Run.objects.get(pk=created["id"])
    assert run.status == "succeeded" and run.final_answer == answer
    events = list(RunEvent.objects.filter(run=run).order_by("seq"))
    deltas = [e for e in events if e.type == "llm.delta"]
    assert "".join(e.data["text"] for e in deltas) == answer
    last_turn = [e for e in events if e.type == "llm.completed"][-1]
    assert all(e.seq < last_turn.seq for e in deltas)
    assert run.tool_calls.get().status == "succeeded"
