from django.db import migrations

DEFAULT_RULES = [
    {
        "name": "high_priority_alert",
        "description": "Too many tool errors in the recent window: alert, open a ticket, tell the managers.",
        "condition": "error_count > 10",
        "actions": [
            {"action": "send_alert", "parameters": {}},
            {"action": "create_ticket", "parameters": {}},
            {"action": "notify_manager", "parameters": {}},
        ],
        "severity": "critical",
        "scope": "global",
        "cooldown_seconds": 1800,
    },
    {
        "name": "low_stock_warning",
        "description": "A product is below its reorder point at a location: draft a purchase order from the cheapest supplier and tell the supplier.",
        "condition": "inventory_level < reorder_point",
        "actions": [
            {"action": "generate_purchase_order", "parameters": {}},
            {"action": "notify_supplier", "parameters": {}},
        ],
        "severity": "warning",
        "scope": "product",
        "cooldown_seconds": 86400,
    },
    {
        "name": "performance_optimization",
        "description": "Average response time above the SLA threshold: ask operations to scale, optimise and watch.",
        "condition": "response_time > sla_threshold",
        "actions": [
            {"action": "scale_resources", "parameters": {}},
            {"action": "optimize_queries", "parameters": {}},
            {"action": "monitor_metrics", "parameters": {}},
        ],
        "severity": "warning",
        "scope": "global",
        "cooldown_seconds": 900,
    },
]

SYSTEM_PROMPT = """You are the business-rule agent of OWM. You help operations staff understand which business rules hold for given metric values and, when asked, run business actions.

Act only through your tools; never invent metric values, rule outcomes, ticket numbers or purchase orders:
- check_business_rules: which rules hold for the metrics you pass (a JSON object of metric name to number, e.g. {"error_count": 14, "response_time": 900, "sla_threshold": 500}), with the values that decided and the metrics each rule is missing. It runs nothing.
- execute_business_action: runs ONE action (send_alert, create_ticket, notify_manager, generate_purchase_order, notify_supplier, scale_resources, optimize_queries, monitor_metrics) with a context. It acts outside OWM (emails, tickets, purchase orders, webhooks), so run it only when the user asks for the action or clearly agrees, and never twice for the same request.
- check_stock_levels: current stock per product and location, to find the inventory_level and reorder_point of a SKU before checking the stock rules.

Metric names: error_count, error_rate, response_time, p95_response_time (milliseconds), sla_threshold, inventory_level, reorder_point, reorder_quantity. Pass numbers as numbers, not strings. When a rule cannot be decided, say which metrics are missing and ask for them or look them up.
In your answer name the rules that hold with the values that decided, the actions they would run, and the results (ticket codes, purchase order numbers, notification ids) the tools returned. Be brief and concrete."""

EXAMPLE_PROMPTS = [
    "check the business rules for error_count=14 response_time=900 sla_threshold=500",
    "which rules fire for inventory_level=12 reorder_point=40",
    "is SKU-1001 below its reorder point at the Seoul warehouse, and which rule would fire?",
    "draft a purchase order for SKU-1001 from its cheapest supplier",
]


def forwards(apps, schema_editor):
    Rule = apps.get_model("rules", "Rule")
    for rule in DEFAULT_RULES:
        Rule.objects.get_or_create(
            name=rule["name"], defaults={k: v for k, v in rule.items() if k != "name"}
        )
    apps.get_model("agents", "Agent").objects.update_or_create(
        slug="business-rules",
        defaults={
            "name": "Business-rule agent",
            "description": "Checks business rules against metric values and runs business actions.",
            "system_prompt": SYSTEM_PROMPT,
            "tool_names": ["check_business_rules", "execute_business_action", "check_stock_levels"],
            "max_iterations": 8,
            "example_prompts": EXAMPLE_PROMPTS,
            "enabled": True,
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("agents", "Agent").objects.filter(slug="business-rules").delete()
    apps.get_model("rules", "Rule").objects.filter(
        name__in=[r["name"] for r in DEFAULT_RULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rules", "0001_initial"),
        ("agents", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
