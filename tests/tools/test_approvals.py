"""Human approval of gated calls: pause, approve / edit / reject / expire, resume."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.agents.models import Run, RunEvent
from apps.agents.services import runs_recover
from apps.inventory.models import PurchaseOrder
from apps.tools.approvals import approvals_expire
from apps.tools.models import Approval, ToolCall
from tests.fakes.llm_server import ScriptedLLMServer

pytestmark = pytest.mark.django_db

ORDER = {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 20}]}


@pytest.fixture(autouse=True)
def gate_high_risk(settings):  # type: ignore[no-untyped-def]
    settings.OWM_TOOL_POLICY = "tests.tools.policies.approve_high_risk"


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def start_gated_run(scenario, settings, server, capture) -> Run:  # type: ignore[no-untyped-def]
    settings.OWM_LLM_BASE_URL = server.base_url
    settings.OWM_LLM_MAX_RETRIES = 0
    settings.OWM_LLM_STREAM = False
    server.add_tool_calls([("create_purchase_order", ORDER)])
    with capture(execute=True):
        response = client_for(scenario.operator).post(
            "/api/runs/", {"agent": "inventory", "input": "order 20 SKU-1001"}, format="json"
        )
    assert response.status_code == 201
    return Run.objects.get(pk=response.json()["id"])


def last_tool_result(server: ScriptedLLMServer) -> dict:
    return json.loads(server.chat_requests[-1].body["messages"][-1]["content"])


def test_a_gated_call_pauses_the_run_until_a_manager_approves(
    scenario, settings, django_capture_on_commit_callbacks
):
    orders_before = PurchaseOrder.objects.count()
    with ScriptedLLMServer() as server:
        run = start_gated_run(scenario, settings, server, django_capture_on_commit_callbacks)
        assert run.status == "waiting_approval"
        approval = Approval.objects.get(run=run)
        assert approval.is_pending and approval.arguments == ORDER
        assert PurchaseOrder.objects.count() == orders_before

        server.add_text("Ordered 20 units.")
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(scenario.admin).post(
                f"/api/approvals/{approval.pk}/approve", {}, format="json"
            )
        assert response.status_code == 200
        assert last_tool_result(server)["status"] == "draft"

    run.refresh_from_db()
    assert run.status == "succeeded"
    assert PurchaseOrder.objects.count() == orders_before + 1
    call = ToolCall.objects.get(run=run)
    assert call.status == "succeeded"
    types = list(RunEvent.objects.filter(run=run).values_list("type", flat=True))
    for expected in ("approval.requested", "run.waiting", "approval.decided", "run.resumed"):
        assert expected in types
    from apps.audit.models import AuditEntry

    audited = AuditEntry.objects.get(event="tool.call", tool="create_purchase_order")
    assert (audited.decision, audited.approved_by) == ("approved", "ada")


def test_a_rejection_note_goes_back_to_the_model_as_the_tool_result(
    scenario, settings, django_capture_on_commit_callbacks
):
    with ScriptedLLMServer() as server:
        run = start_gated_run(scenario, settings, server, django_capture_on_commit_callbacks)
        approval = Approval.objects.get(run=run)
        server.add_text("The order was rejected.")
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(scenario.admin).post(
                f"/api/approvals/{approval.pk}/reject",
                {"note": "Budget frozen until Monday"},
                format="json",
            )
        assert response.status_code == 200
        result = last_tool_result(server)
    assert result["error"]["kind"] == "rejected"
    assert "Budget frozen until Monday" in result["error"]["message"]
    assert "ada" in result["error"]["message"]
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert ToolCall.objects.get(run=run).status == "rejected"


def test_an_approver_may_edit_the_arguments_before_approving(
    scenario, settings, django_capture_on_commit_callbacks
):
    with ScriptedLLMServer() as server:
        run = start_gated_run(scenario, settings, server, django_capture_on_commit_callbacks)
        approval = Approval.objects.get(run=run)
        bad = client_for(scenario.admin).post(
            f"/api/approvals/{approval.pk}/approve",
            {"arguments": {"supplier_id": "SUP-001", "items": [{"quantity": 0}]}},
            format="json",
        )
        assert bad.status_code == 400
        assert "schema" in bad.json()["detail"]
        edited = {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 35}]}
        server.add_text("Ordered 35.")
        with django_capture_on_commit_callbacks(execute=True):
            ok = client_for(scenario.admin).post(
                f"/api/approvals/{approval.pk}/approve", {"arguments": edited}, format="json"
            )
        assert ok.status_code == 200
    order = PurchaseOrder.objects.latest("id")
    assert order.lines.get().quantity == 35
    assert ToolCall.objects.get(run=run).arguments == edited


def test_an_approval_survives_a_restart_of_every_process(
    scenario, settings, django_capture_on_commit_callbacks
):
    with ScriptedLLMServer() as server:
        run = start_gated_run(scenario, settings, server, django_capture_on_commit_callbacks)
        approval = Approval.objects.get(run=run)
        # The decision commits, but every process dies before acting on it.
        with django_capture_on_commit_callbacks(execute=False):
            client_for(scenario.admin).post(
                f"/api/approvals/{approval.pk}/approve", {}, format="json"
            )
        run.refresh_from_db()
        assert run.status == "waiting_approval"
        # A new process starts: recovery finds the decided approval and resumes.
        server.add_text("Done after restart.")
        with django_capture_on_commit_callbacks(execute=True):
            runs_recover()
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert ToolCall.objects.filter(run=run, status="succeeded").count() == 1


def test_an_approved_call_whose_worker_died_while_it_ran_runs_again_once(
    scenario, settings, django_capture_on_commit_callbacks
):
    from apps.agents.services import run_execute

    orders_before = PurchaseOrder.objects.count()
    with ScriptedLLMServer() as server:
        run = start_gated_run(scenario, settings, server, django_capture_on_commit_callbacks)
        approval = Approval.objects.get(run=run)
        with django_capture_on_commit_callbacks(execute=False):
            client_for(scenario.admin).post(
                f"/api/approvals/{approval.pk}/approve", {}, format="json"
            )
        # A worker resumed the run, started the approved call, and died in it.
        Run.objects.filter(pk=run.pk).update(status="running")
        ToolCall.objects.filter(pk=approval.tool_call_id).update(status="running")
        server.add_text("Ordered after the crash.")
        run_execute(run_id=str(run.pk))
        assert last_tool_result(server)["status"] == "draft"
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert PurchaseOrder.objects.count() == orders_before + 1
    assert ToolCall.objects.get(run=run).status == "succeeded"


def test_a_pending_approval_expires_and_the_model_is_told(
    scenario, settings, django_capture_on_commit_callbacks
):
    with ScriptedLLMServer() as server:
        run = start_gated_run(scenario, settings, server, django_capture_on_commit_callbacks)
        Approval.objects.filter(run=run).update(expires_at=timezone.now() - timedelta(seconds=1))
        server.add_text("It expired.")
        with django_capture_on_commit_callbacks(execute=True):
            assert approvals_expire() == 1
        result = last_tool_result(server)
    assert result["error"]["kind"] == "approval_expired"
    run.refresh_from_db()
    assert run.status == "succeeded"


def test_malformed_arguments_on_a_gated_tool_fail_closed(scenario):
    response = client_for(scenario.operator).post(
        "/api/tools/create_purchase_order/invoke",
        {"arguments": {"supplier_id": "SUP-001", "items": "lots"}},
        format="json",
    )
    assert response.status_code == 400
    assert not Approval.objects.exists()


def test_a_direct_call_waits_with_202_and_runs_once_approved(
    scenario, django_capture_on_commit_callbacks
):
    response = client_for(scenario.operator).post(
        "/api/tools/create_purchase_order/invoke", {"arguments": ORDER}, format="json"
    )
    assert response.status_code == 202
    body = response.json()
    assert body["result"]["waiting_for_approval"] is True
    with django_capture_on_commit_callbacks(execute=True):
        client_for(scenario.admin).post(
            f"/api/approvals/{body['result']['approval_id']}/approve", {}, format="json"
        )
    call = ToolCall.objects.get(pk=body["call_id"])
    assert call.status == "succeeded"
    assert call.result["status"] == "draft"


def test_only_approvers_may_decide_or_see_the_inbox(scenario, client):
    response = client_for(scenario.operator).post(
        "/api/tools/create_purchase_order/invoke", {"arguments": ORDER}, format="json"
    )
    approval_id = response.json()["result"]["approval_id"]
    denied = client_for(scenario.other_operator).post(
        f"/api/approvals/{approval_id}/approve", {}, format="json"
    )
    assert denied.status_code == 403
    assert Approval.objects.get(pk=approval_id).is_pending
    client.force_login(scenario.operator)
    assert client.get("/approvals/").status_code == 403
    client.force_login(scenario.admin)
    page = client.get("/approvals/")
    assert page.status_code == 200
    assert b"create_purchase_order" in page.content


def test_the_inbox_decides_through_htmx_and_rerenders_the_item(
    scenario, client, django_capture_on_commit_callbacks
):
    response = client_for(scenario.operator).post(
        "/api/tools/create_purchase_order/invoke", {"arguments": ORDER}, format="json"
    )
    approval_id = response.json()["result"]["approval_id"]
    client.force_login(scenario.admin)
    with django_capture_on_commit_callbacks(execute=True):
        item = client.post(
            f"/approvals/{approval_id}/decide",
            {"decision": "reject", "note": "not now"},
            HTTP_HX_REQUEST="true",
        )
    assert item.status_code == 200
    assert b"Rejected" in item.content and b"not now" in item.content
    assert b"<html" not in item.content  # a partial, not the page
    assert Approval.objects.get(pk=approval_id).status == "rejected"
