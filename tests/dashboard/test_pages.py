from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.agents.models import Agent, Run
from apps.dashboard.selectors import percentile, tool_stats
from apps.inventory.models import Location, Product, StockLevel, Supplier
from apps.inventory.services import LineInput, purchase_order_create
from apps.tools.models import ToolCall

pytestmark = pytest.mark.django_db


def login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def calls(name: str, durations: list[float], status: str = "succeeded") -> None:
    now = timezone.now()
    ToolCall.objects.bulk_create(
        ToolCall(tool_name=name, source="api", status=status, duration_ms=d, started_at=now)
        for d in durations
    )


def runs(user, n: int) -> None:  # type: ignore[no-untyped-def]
    agent, _ = Agent.objects.get_or_create(
        slug="test-agent", defaults={"name": "Test", "system_prompt": "x"}
    )
    Run.objects.bulk_create(
        Run(agent=agent, user=user, input=f"q{i}", status="failed", cost=Decimal("0.01"))
        for i in range(n)
    )


@pytest.mark.parametrize(
    ("url", "allowed", "denied"),
    [
        ("dashboard:overview", ("operator", "viewer", "admin"), ()),
        ("dashboard:tools", ("operator", "viewer", "admin"), ()),
        ("dashboard:inventory", ("operator", "viewer", "admin"), ()),
        ("dashboard:insights", ("admin",), ("operator", "viewer")),
        ("dashboard:endpoints", ("admin",), ("operator", "viewer")),
        ("dashboard:admin-center", ("admin",), ("operator", "viewer")),
    ],
)
def test_pages_answer_the_right_users_and_refuse_others(client, scenario, url, allowed, denied):  # type: ignore[no-untyped-def]
    assert client.get(reverse(url)).status_code == 302  # anonymous: to the login page
    for who in allowed:
        assert login(client, getattr(scenario, who)).get(reverse(url)).status_code == 200, who
    for who in denied:
        assert login(client, getattr(scenario, who)).get(reverse(url)).status_code == 403, who


def test_overview_range_selector_renders_svg_charts(client, scenario):  # type: ignore[no-untyped-def]
    runs(scenario.admin, 3)
    response = login(client, scenario.admin).get(reverse("dashboard:overview") + "?days=30")
    body = response.content.decode()
    assert body.count("<svg") == 2
    assert "last 30 days" in body
    assert "3 in all" in body


def test_percentiles_interpolate_like_percentile_cont() -> None:
    ordered = [float(v) for v in range(1, 101)]
    assert percentile(ordered, 0.5) == 50.5
    assert percentile(ordered, 0.95) == pytest.approx(95.05)
    assert percentile([], 0.5) is None


def test_tool_stats_report_p50_p95_on_known_durations(scenario):  # type: ignore[no-untyped-def]
    calls("known_tool", [float(v) for v in range(10, 1010, 10)])  # 10..1000 ms
    stats = {s.tool: s for s in tool_stats(days=7)}["known_tool"]
    assert stats.calls == 100
    assert stats.p50_ms == pytest.approx(505.0)
    assert stats.p95_ms == pytest.approx(950.5)
    assert stats.avg_ms == pytest.approx(505.0)


def test_bottleneck_rules_flag_slow_and_failing_tools(client, scenario):  # type: ignore[no-untyped-def]
    calls("slow_tool", [6000.0, 7000.0])
    calls("flaky_tool", [10.0] * 8)
    calls("flaky_tool", [10.0] * 2, status="failed")
    calls("fine_tool", [10.0] * 20)
    kinds = {s.tool: [b["kind"] for b in s.bottlenecks] for s in tool_stats(days=7)}
    assert kinds["slow_tool"] == ["slow_execution"]
    assert kinds["flaky_tool"] == ["high_error_rate"]
    assert kinds["fine_tool"] == []
    body = login(client, scenario.admin).get(reverse("dashboard:insights")).content.decode()
    assert "slow_execution" in body and "high_error_rate" in body


def test_metrics_need_staff_or_the_bearer_token(client, scenario, settings):  # type: ignore[no-untyped-def]
    settings.OWM_METRICS_TOKEN = "s3cret-token"
    url = reverse("dashboard:metrics")
    assert url == "/metrics"
    assert client.get(url).status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert login(client, scenario.operator).get(url).status_code == 403
    client.logout()
    response = client.get(url, HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    assert login(client, scenario.admin).get(url).status_code == 200


def test_metrics_exposition_has_every_family(client, scenario):  # type: ignore[no-untyped-def]
    calls('we"ird', [5.0, 7.0])
    runs(scenario.operator, 2)
    body = login(client, scenario.admin).get(reverse("dashboard:metrics")).content.decode()
    samples = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    assert samples['owm_tool_calls_total{tool="we\\"ird",status="succeeded"}'] == 2
    assert samples['owm_tool_call_duration_ms_sum{tool="we\\"ird"}'] == 12.0
    assert samples['owm_tool_call_duration_ms_count{tool="we\\"ird"}'] == 2
    assert samples['owm_runs_total{agent="test-agent",status="failed"}'] == 2
    assert 'owm_tokens_total{agent="test-agent",kind="prompt"}' in samples
    assert samples["owm_cost_usd_total"] == pytest.approx(0.02)
    assert "owm_approvals_pending" in samples and "owm_tickets_open" in samples


def _order(quantity: int = 5):  # type: ignore[no-untyped-def]
    supplier = Supplier.objects.first()
    product = Product.objects.first()
    order, _ = purchase_order_create(
        supplier=supplier,
        lines=[LineInput(product=product, quantity=quantity, unit_price=Decimal("2"))],
    )
    return order, product


def test_receiving_an_order_moves_stock(client, scenario):  # type: ignore[no-untyped-def]
    order, product = _order(quantity=7)
    location = Location.objects.first()
    before = (
        StockLevel.objects.filter(product=product, location=location)
        .values_list("quantity", flat=True)
        .first()
        or 0
    )
    login(client, scenario.admin)
    submit = reverse("dashboard:order-action", args=[order.number, "submit"])
    assert client.post(submit, HTTP_HX_REQUEST="true").status_code == 200
    receive = reverse("dashboard:order-action", args=[order.number, "receive"])
    response = client.post(receive, {"location": location.code}, HTTP_HX_REQUEST="true")
    assert "received" in response.content.decode()
    assert StockLevel.objects.get(product=product, location=location).quantity == before + 7


def test_an_impossible_transition_shows_a_clear_error(client, scenario):  # type: ignore[no-untyped-def]
    order, _ = _order()
    receive = reverse("dashboard:order-action", args=[order.number, "receive"])
    response = login(client, scenario.admin).post(
        receive, {"location": Location.objects.first().code}, HTTP_HX_REQUEST="true"
    )
    assert "cannot become received" in response.content.decode()


def test_operators_may_not_change_orders(client, scenario):  # type: ignore[no-untyped-def]
    order, _ = _order()
    url = reverse("dashboard:order-action", args=[order.number, "submit"])
    assert login(client, scenario.operator).post(url).status_code == 403


def test_inventory_filters_by_stock_state(client, scenario):  # type: ignore[no-untyped-def]
    response = login(client, scenario.viewer).get(reverse("dashboard:inventory") + "?state=out")
    assert all(level.quantity <= 0 for level in response.context["stock"].object_list)


def test_admin_may_deactivate_a_user_but_not_themselves(client, scenario):  # type: ignore[no-untyped-def]
    login(client, scenario.admin)
    client.post(reverse("dashboard:user-active", args=[scenario.viewer.pk]), HTTP_HX_REQUEST="true")
    scenario.viewer.refresh_from_db()
    assert not scenario.viewer.is_active
    response = client.post(
        reverse("dashboard:user-active", args=[scenario.admin.pk]), HTTP_HX_REQUEST="true"
    )
    assert "cannot deactivate yourself" in response.content.decode()


def test_admin_center_filters_users_by_role(client, scenario):  # type: ignore[no-untyped-def]
    response = login(client, scenario.admin).get(
        reverse("dashboard:admin-center") + "?role=operator"
    )
    names = {u.username for u in response.context["page"].object_list}
    assert names == {"alice", "bob"}


def test_overview_links_recent_failures(client, scenario):  # type: ignore[no-untyped-def]
    runs(scenario.admin, 1)
    run = Run.objects.get(user=scenario.admin)
    body = login(client, scenario.admin).get(reverse("dashboard:overview")).content.decode()
    assert reverse("dashboard:run", args=[run.pk]) in body


def test_old_calls_fall_outside_the_range(scenario):  # type: ignore[no-untyped-def]
    ToolCall.objects.create(
        tool_name="old_tool",
        source="api",
        status="succeeded",
        duration_ms=1.0,
        started_at=timezone.now() - timedelta(days=40),
    )
    assert "old_tool" not in {s.tool for s in tool_stats(days=30)}
    assert "old_tool" in {s.tool for s in tool_stats(days=90)}
