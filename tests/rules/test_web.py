from __future__ import annotations

import pytest
from django.urls import reverse

from apps.rules.models import MetricSample, Rule, RuleFiring


@pytest.fixture
def as_admin(client, people):
    client.force_login(people.admin)
    return client


@pytest.fixture
def as_operator(client, people):
    client.force_login(people.operator)
    return client


def test_rule_list_shows_the_rules_and_needs_login(client, people):
    assert client.get("/rules/").status_code == 302
    client.force_login(people.viewer)
    page = client.get("/rules/")
    assert page.status_code == 200
    assert b"high_priority_alert" in page.content and b"never" in page.content


def test_admin_toggles_a_rule(as_admin):
    response = as_admin.post("/rules/high_priority_alert/toggle/")
    assert response.status_code == 302
    assert not Rule.objects.get(name="high_priority_alert").enabled


def test_operator_may_not_toggle_or_edit(as_operator):
    assert as_operator.post("/rules/high_priority_alert/toggle/").status_code == 403
    assert as_operator.post("/rules/high_priority_alert/", {}).status_code == 403


def _form(**overrides):
    data = {
        "name": "queue_backlog",
        "description": "",
        "condition": "queue_depth > 100",
        "actions": '[{"action": "notify_manager", "parameters": {}}]',
        "severity": "warning",
        "scope": "global",
        "cooldown_seconds": "600",
        "enabled": "on",
    }
    return {**data, **overrides}


def test_editor_shows_a_clear_error_for_an_unknown_metric(as_admin):
    response = as_admin.post("/rules/new/", _form())
    assert response.status_code == 200
    assert b"unknown metric &#x27;queue_depth&#x27;" in response.content
    assert not Rule.objects.filter(name="queue_backlog").exists()


def test_editor_creates_a_rule_once_the_metric_is_known(as_admin):
    MetricSample.objects.create(name="queue_depth", value=3, at="2026-01-01T00:00:00Z")
    response = as_admin.post("/rules/new/", _form())
    assert response.status_code == 302
    assert Rule.objects.get(name="queue_backlog").actions[0]["action"] == "notify_manager"


def test_editor_refuses_unknown_actions_and_bad_json(as_admin):
    response = as_admin.post(
        "/rules/high_priority_alert/",
        _form(condition="error_count > 5", actions='[{"action": "x"}]'),
    )
    assert b"&#x27;x&#x27; is not one of" in response.content
    response = as_admin.post("/rules/high_priority_alert/", _form(actions="[oops"))
    assert b"not valid JSON" in response.content
    assert Rule.objects.get(name="high_priority_alert").condition == "error_count > 10"


def test_test_form_evaluates_without_running(as_operator):
    response = as_operator.post("/rules/high_priority_alert/test/", {"metrics": "error_count=14"})
    assert response.status_code == 200
    assert b"holds" in response.content and b"error_count=14.0" in response.content
    assert not RuleFiring.objects.exists()
    response = as_operator.post("/rules/high_priority_alert/test/", {"metrics": "error_count"})
    assert b"is not name=number" in response.content


def test_firings_log_filters_and_paginates(as_operator):
    rule = Rule.objects.get(name="low_stock_warning")
    RuleFiring.objects.bulk_create(
        RuleFiring(
            rule=rule, subject=f"SKU-{i}", fired_at="2026-01-01T00:00:00Z", status="succeeded"
        )
        for i in range(30)
    )
    page = as_operator.get("/rules/firings/?rule=low_stock_warning")
    assert page.status_code == 200 and b"Page 1 of 2" in page.content
    assert b"rule=low_stock_warning&amp;page=2" in page.content
    empty = as_operator.get("/rules/firings/?status=failed")
    assert b"No firings match these filters." in empty.content
    detail = as_operator.get(reverse("rules:firing", args=[RuleFiring.objects.first().pk]))
    assert detail.status_code == 200


def test_api_lists_and_patches_rules(as_admin):
    listed = as_admin.get("/api/rules/")
    assert listed.status_code == 200
    names = (
        [r["name"] for r in listed.json()["results"]]
        if isinstance(listed.json(), dict)
        else [r["name"] for r in listed.json()]
    )
    assert "low_stock_warning" in names
    response = as_admin.patch(
        "/api/rules/high_priority_alert/",
        {"condition": "error_count > 20"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["condition"] == "error_count > 20"
    bad = as_admin.patch(
        "/api/rules/high_priority_alert/", {"condition": "nope >"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "condition" in bad.json()


def test_api_creates_a_rule_and_refuses_operators(as_admin, client, people):
    body = {
        "name": "slow_p95",
        "condition": "p95_response_time > 2 * sla_threshold",
        "actions": [{"action": "monitor_metrics", "parameters": {}}],
    }
    assert as_admin.post("/api/rules/", body, content_type="application/json").status_code == 201
    client.force_login(people.operator)
    body["name"] = "other"
    assert client.post("/api/rules/", body, content_type="application/json").status_code == 403


def test_api_metric_push_stores_samples_and_evaluates(as_operator, sla):
    response = as_operator.post(
        "/api/rules/metrics",
        {"metrics": {"response_time": 900}, "evaluate": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["stored"] == 1
    assert [f["rule"] for f in data["firings"]] == ["performance_optimization"]
    assert MetricSample.objects.filter(name="response_time", value=900).exists()
    firings = as_operator.get("/api/rules/firings/?rule=performance_optimization").json()
    rows = firings["results"] if isinstance(firings, dict) else firings
    assert rows[0]["decided_by"] == {"response_time": 900.0, "sla_threshold": 500.0}


def test_api_metric_push_refuses_bad_values_and_viewers(as_operator, client, people):
    bad = as_operator.post(
        "/api/rules/metrics",
        {"metrics": {"response_time": "slow"}},
        content_type="application/json",
    )
    assert bad.status_code == 400
    client.force_login(people.viewer)
    assert (
        client.post(
            "/api/rules/metrics", {"metrics": {}}, content_type="application/json"
        ).status_code
        == 403
    )


def test_api_evaluate_runs_the_given_metrics(as_operator):
    response = as_operator.post(
        "/api/rules/evaluate",
        {"metrics": {"inventory_level": 5, "reorder_point": 10, "product_id": "SKU-1002"}},
        content_type="application/json",
    )
    assert response.status_code == 200
    firing = response.json()["firings"][0]
    assert firing["rule"] == "low_stock_warning" and firing["subject"] == "SKU-1002"
    assert firing["action_results"][0]["outcome"] == "succeeded"


def test_api_metric_push_keeps_the_subject_as_a_label(as_operator):
    response = as_operator.post(
        "/api/rules/metrics",
        {"metrics": {"inventory_level": 5, "reorder_point": 10, "product_id": "SKU-1002"}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    sample = MetricSample.objects.get(name="inventory_level", value=5)
    assert sample.labels == {"product_id": "SKU-1002"}
    assert response.json()["firings"][0]["subject"] == "SKU-1002"


def test_api_refuses_non_object_bodies_and_odd_numbers(as_operator):
    for body in ([1, 2], {"metrics": {"x" * 101: 1}}, {"metrics": {"error_count": 1e400}}):
        response = as_operator.post("/api/rules/metrics", body, content_type="application/json")
        assert response.status_code == 400, body


def test_editor_page_shows_the_rule_and_the_known_metrics(as_operator):
    page = as_operator.get("/rules/low_stock_warning/")
    assert page.status_code == 200
    assert b"inventory_level &lt; reorder_point" in page.content
    assert b"Test this rule" in page.content and b"Only admins and managers" in page.content
    assert as_operator.get("/rules/new/").status_code == 403
    assert as_operator.get("/rules/nope/").status_code == 404
