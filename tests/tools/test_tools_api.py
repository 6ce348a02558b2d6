"""GET /api/tools/ and POST /api/tools/{name}/invoke: the same executor path."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.tools.models import ToolCall

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_tools_are_listed_in_openai_format(scenario):
    tools = client_for(scenario.operator).get("/api/tools/").json()
    by_name = {tool["function"]["name"]: tool for tool in tools}
    stock = by_name["check_stock_levels"]
    assert stock["type"] == "function"
    assert set(stock["function"]["parameters"]["properties"]) == {"product_ids", "location"}
    assert by_name["create_purchase_order"]["risk"] == "high"


def test_invoking_a_tool_records_the_call_as_coming_from_the_api(scenario):
    response = client_for(scenario.operator).post(
        "/api/tools/check_stock_levels/invoke",
        {"arguments": {"product_ids": ["SKU-1001"], "location": "SEL-WH"}},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["result"]["rows"][0]["quantity"] == 18
    call = ToolCall.objects.get(pk=body["call_id"])
    assert (call.source, call.actor) == ("api", scenario.operator)


@pytest.mark.parametrize(
    ("user", "name", "arguments", "code", "status"),
    [
        ("operator", "predict_demand", {"product_id": "SKU-1001"}, 400, "invalid_arguments"),
        ("viewer", "check_stock_levels", {}, 403, "denied"),
        ("operator", "no_such_tool", {}, 404, "unknown_tool"),
        (
            "operator",
            "predict_demand",
            {"product_id": "SKU-9", "forecast_period": 3},
            422,
            "failed",
        ),
    ],
)
def test_a_bad_invocation_gets_a_status_and_a_structured_error(
    scenario, user, name, arguments, code, status
):
    response = client_for(getattr(scenario, user)).post(
        f"/api/tools/{name}/invoke", {"arguments": arguments}, format="json"
    )
    assert response.status_code == code
    body = response.json()
    assert body["status"] == status
    assert body["result"]["error"]["message"]


def test_the_openapi_schema_describes_the_run_and_tool_endpoints(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/runs/", "/api/runs/{run_id}/", "/api/auth/token", "/api/agents/"} <= set(paths)
