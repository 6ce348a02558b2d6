"""The matrix page: staff only, edited cell by cell with htmx."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from apps.rbac.models import Grant

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def audit_calls(monkeypatch):  # type: ignore[no-untyped-def]
    services = pytest.importorskip("apps.audit.services")
    calls: list[dict] = []
    monkeypatch.setattr(services, "audit_record", lambda **kw: calls.append(kw))
    return calls


def cell_url(role: str, tool: str, edit: bool = False) -> str:
    role_id = Group.objects.get(name=role).pk
    return f"/rbac/matrix/{role_id}/{tool}/" + ("edit/" if edit else "")


def test_matrix_shows_roles_and_tools_grouped_by_category(scenario):
    response = client_for(scenario.admin).get("/rbac/matrix/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<th scope="col">operator</th>' in html
    assert "inventory" in html and "create_purchase_order" in html
    assert "rbac-approve" in html  # the operator's default for purchase orders


def test_matrix_filters_by_category_and_name(scenario):
    html = client_for(scenario.admin).get("/rbac/matrix/?q=stock").content.decode()
    assert "check_stock_levels" in html and "create_purchase_order</code>" not in html
    empty = client_for(scenario.admin).get("/rbac/matrix/?q=zzz").content.decode()
    assert "No tool matches these filters" in empty


def test_non_staff_get_403_and_anonymous_users_go_to_login(scenario):
    assert client_for(scenario.operator).get("/rbac/matrix/").status_code == 403
    assert (
        client_for(scenario.operator).post(cell_url("operator", "check_stock_levels")).status_code
        == 403
    )
    assert client_for(scenario.operator).get("/rbac/roles/").status_code == 403
    response = Client().get("/rbac/matrix/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_clicking_a_cell_opens_its_inline_form(scenario):
    response = client_for(scenario.admin).get(
        cell_url("operator", "create_purchase_order", edit=True), **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'name="decision"' in html and 'name="limits"' in html
    assert '<option value="approve" selected>' in html


def test_saving_a_cell_changes_what_the_executor_decides(scenario, call, audit_calls):
    assert call(scenario.operator, "check_stock_levels", {}).ok
    response = client_for(scenario.admin).post(
        cell_url("operator", "check_stock_levels"), {"decision": "deny", "limits": "[]"}, **HTMX
    )
    assert response.status_code == 200
    assert "rbac-deny" in response.content.decode() and "<form" not in response.content.decode()
    outcome = call(scenario.operator, "check_stock_levels", {})
    assert outcome.call.error == "denied: role operator may not use check_stock_levels"
    grant = Grant.objects.get(role__name="operator", tool_name="check_stock_levels")
    assert (grant.updated_by, grant.seeded) == (scenario.admin, False)
    [entry] = [e for e in audit_calls if e["event"] == "rbac.grant_changed"]
    assert entry["actor"] == scenario.admin
    assert entry["detail"]["before"]["decision"] == "allow"
    assert entry["detail"]["after"]["decision"] == "deny"


def test_saving_limits_shows_them_in_the_cell(scenario, audit_calls):
    limits = [{"kind": "in", "path": "supplier_id", "values": ["SUP-001"]}]
    response = client_for(scenario.admin).post(
        cell_url("operator", "create_purchase_order"),
        {"decision": "allow", "limits": json.dumps(limits)},
        **HTMX,
    )
    assert "supplier_id in SUP-001" in response.content.decode()


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ("[{", "Limits are not valid JSON"),
        ('[{"kind": "max", "path": "budget", "value": 1}]', "no tool of this grant takes budget"),
    ],
)
def test_bad_limits_keep_the_form_open_with_the_error(scenario, limits, message):
    response = client_for(scenario.admin).post(
        cell_url("operator", "create_purchase_order"),
        {"decision": "allow", "limits": limits},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in html and message in html
    assert (
        Grant.objects.get(role__name="operator", tool_name="create_purchase_order").decision
        == "approve"
    )


def test_clearing_a_cell_falls_back_to_the_agent_grant(scenario, audit_calls):
    response = client_for(scenario.admin).post(
        cell_url("operator", "predict_demand"), {"decision": "", "limits": ""}, **HTMX
    )
    assert "via agent inventory" in response.content.decode()
    assert not Grant.objects.filter(role__name="operator", tool_name="predict_demand").exists()


def test_the_form_works_without_javascript(scenario, audit_calls):
    client = client_for(scenario.admin)
    page = client.get(cell_url("manager", "get_weather", edit=True))
    assert page.status_code == 200 and "<html" in page.content.decode()
    response = client.post(
        cell_url("manager", "get_weather"), {"decision": "approve", "limits": "[]"}
    )
    assert response.status_code == 302 and response["Location"] == "/rbac/matrix/"


def test_staff_add_a_role_that_grants_nothing(scenario, audit_calls):
    client = client_for(scenario.admin)
    assert client.get("/rbac/roles/").status_code == 200
    response = client.post("/rbac/roles/", {"name": "  buyer  "})
    assert response.status_code == 302
    role = Group.objects.get(name="buyer")
    assert not role.tool_grants.exists()
    duplicate = client.post("/rbac/roles/", {"name": "Buyer"})
    assert duplicate.status_code == 400 and "already exists" in duplicate.content.decode()
