from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.agents.models import Agent, Run
from apps.tools.models import ToolCall

pytestmark = pytest.mark.django_db

PARAMS = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "mode": {"type": "string", "enum": ["a", "b"]},
        "count": {"type": "integer", "minimum": 1, "maximum": 9},
        "flag": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "lines": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["text"],
}


def echo(ctx, **arguments):  # type: ignore[no-untyped-def]
    return {"summary": f"<script>alert({arguments['text']!r})</script>", "echo": arguments}


def test_the_form_is_generated_from_the_schema(client, scenario, temp_tool):  # type: ignore[no-untyped-def]
    temp_tool("dash_echo", echo, PARAMS)
    client.force_login(scenario.operator)
    body = client.get(reverse("dashboard:tool", args=["dash_echo"])).content.decode()
    assert 'type="text" name="text"' in body
    assert '<select name="mode"' in body
    assert 'type="number" name="count" id="arg-count" value="" step="1" min="1" max="9"' in body
    assert 'type="checkbox" name="flag"' in body
    assert 'type="text" name="tags"' in body and "comma-separated" in body
    assert '<textarea name="lines"' in body


def test_invoking_through_the_form_runs_the_executor(client, scenario, temp_tool):  # type: ignore[no-untyped-def]
    temp_tool("dash_echo", echo, PARAMS)
    client.force_login(scenario.operator)
    data = {
        "text": "hi",
        "mode": "b",
        "count": "3",
        "flag": "on",
        "tags": "x, y",
        "lines": '[{"a": 1}]',
    }
    response = client.post(
        reverse("dashboard:tool", args=["dash_echo"]), data, HTTP_HX_REQUEST="true"
    )
    call = ToolCall.objects.get(tool_name="dash_echo")
    assert call.source == "dashboard" and call.status == "succeeded"
    assert call.arguments == {
        "text": "hi",
        "mode": "b",
        "count": 3,
        "flag": True,
        "tags": ["x", "y"],
        "lines": [{"a": 1}],
    }
    body = response.content.decode()
    assert "<script>" not in body
    assert "&lt;script&gt;" in body


def test_a_schema_error_is_shown_structured(client, scenario, temp_tool):  # type: ignore[no-untyped-def]
    temp_tool("dash_echo", echo, PARAMS)
    client.force_login(scenario.operator)
    response = client.post(
        reverse("dashboard:tool", args=["dash_echo"]), {"count": "3"}, HTTP_HX_REQUEST="true"
    )
    assert "do not match the schema" in response.content.decode()


def test_viewers_may_look_but_not_invoke(client, scenario, temp_tool):  # type: ignore[no-untyped-def]
    temp_tool("dash_echo", echo, PARAMS)
    client.force_login(scenario.viewer)
    assert client.get(reverse("dashboard:tool", args=["dash_echo"])).status_code == 200
    assert (
        client.post(reverse("dashboard:tool", args=["dash_echo"]), {"text": "x"}).status_code == 403
    )
    assert not ToolCall.objects.filter(tool_name="dash_echo").exists()


def test_catalogue_shows_schema_and_role_decisions(client, scenario):  # type: ignore[no-untyped-def]
    client.force_login(scenario.viewer)
    body = client.get(reverse("dashboard:tools")).content.decode()
    assert "&quot;properties&quot;" in body
    for role in ("admin", "manager", "operator", "viewer"):
        assert f"<th>{role}</th>" in body


def _rows(user, n: int) -> None:  # type: ignore[no-untyped-def]
    agent, _ = Agent.objects.get_or_create(
        slug="q-agent", defaults={"name": "Q", "system_prompt": "x"}
    )
    new = Run.objects.bulk_create(
        Run(agent=agent, user=user, input="q", status="failed") for _ in range(n)
    )
    ToolCall.objects.bulk_create(
        ToolCall(
            tool_name=f"t{i % 7}",
            source="api",
            status="failed",
            duration_ms=i,
            run=new[i % len(new)],
            actor=user,
            started_at=timezone.now(),
        )
        for i in range(n)
    )


def _count(client, django_assert_max_num_queries, url, budget):  # type: ignore[no-untyped-def]
    with django_assert_max_num_queries(budget) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    ["/overview/", "/runs/", "/tools/", "/inventory/", "/insights/", "/inventory/?state=low"],
)
def test_query_counts_do_not_grow_with_rows(client, scenario, django_assert_max_num_queries, url):  # type: ignore[no-untyped-def]
    client.force_login(scenario.admin)
    _rows(scenario.admin, 5)
    few = _count(client, django_assert_max_num_queries, url, 40)
    _rows(scenario.admin, 45)
    many = _count(client, django_assert_max_num_queries, url, 40)
    assert few == many
