"""/api/rbac/: grants, roles and effective access, for staff only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.rbac.models import Grant

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/rbac/grants/"),
        ("post", "/api/rbac/grants/"),
        ("patch", "/api/rbac/grants/1/"),
        ("delete", "/api/rbac/grants/1/"),
        ("get", "/api/rbac/roles/"),
        ("get", "/api/rbac/effective/?user=alice"),
    ],
)
def test_non_staff_are_refused(scenario, method, path):
    assert getattr(client_for(scenario.operator), method)(path).status_code == 403
    assert getattr(APIClient(), method)(path).status_code == 401


def test_grants_are_listed_and_filtered(scenario):
    body = (
        client_for(scenario.admin)
        .get("/api/rbac/grants/?role=operator&tool=create_purchase_order")
        .json()
    )
    [grant] = body["results"]
    assert grant["role"] == "operator" and grant["decision"] == "approve" and grant["agent"] == ""
    assert grant["seeded"] is True


def test_a_grant_is_created_changed_and_deleted(scenario):
    client = client_for(scenario.admin)
    created = client.post(
        "/api/rbac/grants/",
        {
            "role": "viewer",
            "tool_name": "check_stock_levels",
            "decision": "allow",
            "limits": [{"kind": "in", "path": "location", "values": ["SEL-WH"]}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    grant_id = created.json()["id"]
    assert created.json()["updated_by"] == "ada"
    changed = client.patch(f"/api/rbac/grants/{grant_id}/", {"decision": "deny"}, format="json")
    assert changed.status_code == 200 and changed.json()["decision"] == "deny"
    assert changed.json()["limits"][0]["values"] == ["SEL-WH"]
    assert client.delete(f"/api/rbac/grants/{grant_id}/").status_code == 204
    assert not Grant.objects.filter(pk=grant_id).exists()


def test_an_agent_wide_grant_is_created_by_slug(scenario):
    created = client_for(scenario.admin).post(
        "/api/rbac/grants/",
        {"role": "viewer", "agent": "inventory", "decision": "allow"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["agent"] == "inventory"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"role": "viewer", "tool_name": "check_stock_levels", "decision": "maybe"}, "decision"),
        ({"role": "nobody", "tool_name": "check_stock_levels", "decision": "allow"}, "role"),
        ({"role": "viewer", "tool_name": "no_such_tool", "decision": "allow"}, "tool_name"),
        ({"role": "operator", "tool_name": "check_stock_levels", "decision": "allow"}, "scope"),
        (
            {
                "role": "viewer",
                "tool_name": "check_stock_levels",
                "decision": "allow",
                "limits": [{"kind": "x"}],
            },
            "limits",
        ),
    ],
)
def test_invalid_grants_get_400_naming_the_field(scenario, payload, field):
    response = client_for(scenario.admin).post("/api/rbac/grants/", payload, format="json")
    assert response.status_code == 400 and field in response.json()


def test_roles_are_listed_and_added(scenario):
    client = client_for(scenario.admin)
    roles = {r["name"]: r for r in client.get("/api/rbac/roles/").json()}
    assert roles["operator"]["members"] == 2 and roles["operator"]["grants"] > 0
    assert client.post("/api/rbac/roles/", {"name": "buyer"}, format="json").status_code == 201
    assert client.post("/api/rbac/roles/", {"name": "buyer"}, format="json").status_code == 400


def test_effective_access_is_reported_per_tool(scenario):
    client = client_for(scenario.admin)
    body = client.get("/api/rbac/effective/?user=alice").json()
    tools = {row["tool"]: row for row in body["tools"]}
    assert tools["check_stock_levels"]["decision"] == "allow"
    assert tools["create_purchase_order"]["decision"] == "approve"
    assert tools["create_purchase_order"]["requires_approval"] is True
    viewer = client.get("/api/rbac/effective/?user=victor").json()
    assert {row["decision"] for row in viewer["tools"]} == {"deny"}
    assert client.get("/api/rbac/effective/?user=ghost").status_code == 404
    assert client.get("/api/rbac/effective/").status_code == 400
