"""fetch -> process -> report -> notify, through tool_run, within one run and
across separate calls (ids persist); plus the agent row and the demo data."""

from __future__ import annotations

from django.core import mail

from apps.agents.models import Agent, Run
from apps.datatools.models import Dataset, Report


def test_the_chain_works_through_the_executor_in_one_run(call, people, stock):
    agent = Agent.objects.create(slug="chain", name="c", system_prompt="x", tool_names=[])
    run = Run.objects.create(agent=agent, user=people.operator, input="chain")
    fetched = call(
        "fetch_data",
        {
            "source_type": "database",
            "query": "stock_movements",
            "parameters": {"location": "Seoul", "days": 30},
        },
        run=run,
        tool_call_id="c1",
    )
    assert fetched.ok, fetched.result
    processed = call(
        "process_data",
        {
            "data_id": fetched.result["data_id"],
            "processing_type": "aggregate",
            "options": {"group_by": "product_id", "metrics": {"sold": "sum"}},
        },
        run=run,
        tool_call_id="c2",
    )
    assert processed.ok, processed.result
    assert processed.result["row_count"] == 8  # the eight demo products
    report = call(
        "generate_report",
        {
            "processed_data_id": processed.result["processed_data_id"],
            "report_type": "summary",
            "format": "excel",
        },
        run=run,
        tool_call_id="c3",
    )
    assert report.ok, report.result
    sent = call(
        "send_notification",
        {
            "recipients": ["ops@example.com"],
            "message": "Seoul sales by product",
            "attachments": [report.result["report_id"]],
        },
        run=run,
        tool_call_id="c4",
    )
    assert sent.ok, sent.result
    assert mail.outbox[0].attachments[0][0].endswith(".xlsx")
    assert run.tool_calls.count() == 4


def test_ids_persist_across_separate_calls(call):
    fetched = call("fetch_data", {"source_type": "database", "query": "runs"})
    data_id = fetched.result["data_id"]
    Dataset.objects.filter(data_id=data_id).update(
        rows=[{"date": "2025-01-01", "runs": 2}], row_count=1, columns=["date", "runs"]
    )
    later = call(
        "generate_report",
        {"processed_data_id": data_id, "report_type": "detailed", "format": "json"},
    )
    assert later.ok, later.result
    assert Report.objects.get(report_id=later.result["report_id"]).dataset.data_id == data_id


def test_the_data_reports_agent_offers_the_six_tools(db):
    agent = Agent.objects.get(slug="data-reports")
    assert agent.name == "Data & reports agent" and agent.max_iterations == 10
    assert agent.tool_names == [
        "fetch_data",
        "process_data",
        "analyze_data",
        "generate_report",
        "send_notification",
        "get_weather",
    ]
    from apps.tools.registry import registry

    assert len(registry.subset(agent.tool_names)) == 6
    assert agent.example_prompts


def test_demo_seeds_are_idempotent_and_sources_start_disabled(stock):
    from apps.datatools import demo as data_demo
    from apps.datatools.models import AllowedSource
    from apps.notifications import demo as notify_demo
    from apps.notifications.models import NotificationChannel

    first = data_demo.seed()
    assert data_demo.seed() == first
    assert not AllowedSource.objects.filter(enabled=True).exists()
    assert Dataset.objects.get(data_id=first["demo_dataset"]).created_by is None
    notify_demo.seed()
    notify_demo.seed()
    assert NotificationChannel.objects.count() == 2
    assert not NotificationChannel.objects.get(name="local-webhook").enabled
