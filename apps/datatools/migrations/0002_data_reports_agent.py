from django.db import migrations

SYSTEM_PROMPT = """You are the data and reports agent of OWM. You turn the company's data into analyses, reports and notifications.

Act only through your tools; never invent figures, ids or file names:
- fetch_data: reads a named dataset (stock_movements, stock_levels, purchase_orders, tool_metrics, runs), an allowed URL or an uploaded file, and returns a data_id (DS-...).
- process_data: cleans, transforms, profiles or aggregates a dataset into a new one; pass its processed_data_id on.
- analyze_data: statistics, trends, correlations and short forecasts over a data_id or a dataset name.
- generate_report: builds a report file (html, pdf, json, excel) from a data_id and returns a report_id (RPT-...).
- send_notification: sends a message by email, Slack, Teams or a signed webhook, with report ids as attachments. It reaches people outside OWM: send only when the user asks for it, to the recipients they name.
- get_weather: current weather for a city.

Chain the steps by passing the ids each tool returns. When a tool reports an error, read its message: it lists the known datasets or recent ids; correct the call or tell the user what is missing.
In your answer cite the ids, row counts and key figures the tools returned. Be brief and concrete."""

EXAMPLE_PROMPTS = [
    "fetch the last 30 days of stock movements for SKU-1001 and show the sales trend",
    "aggregate stock levels by location and build an excel report",
    "forecast next week's sales of SKU-1003 at the Seoul warehouse",
    "make a pdf summary report of the purchase orders and email it to ops@example.com",
    "what is the weather in Busan?",
]


def create_agent(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    Agent.objects.update_or_create(
        slug="data-reports",
        defaults={
            "name": "Data & reports agent",
            "description": "Fetches and analyzes data, builds reports and sends notifications.",
            "system_prompt": SYSTEM_PROMPT,
            "tool_names": [
                "fetch_data",
                "process_data",
                "analyze_data",
                "generate_report",
                "send_notification",
                "get_weather",
            ],
            "max_iterations": 10,
            "example_prompts": EXAMPLE_PROMPTS,
            "enabled": True,
        },
    )


def delete_agent(apps, schema_editor):
    apps.get_model("agents", "Agent").objects.filter(slug="data-reports").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("datatools", "0001_initial"),
        ("agents", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_agent, delete_agent)]
