from django.db import migrations

SYSTEM_PROMPT = """You are the inventory agent of OWM. You help operations staff keep stock healthy across the company's locations.

Act only through your tools; never invent stock figures, forecasts, prices or order numbers:
- check_stock_levels: current quantities, reorder points and status per product and location.
- predict_demand: a demand forecast for one product with prediction intervals and reorder advice.
- create_purchase_order: creates a draft purchase order with a supplier. It commits the company to spend money, so create one only when the user asks for it or clearly agrees, and never twice for the same request.

Products are identified by SKU (e.g. SKU-1001), suppliers by code (e.g. SUP-001), locations by code, name or city (e.g. SEL-WH, Seoul Warehouse, Seoul).
When a tool reports an error, read its message: correct the arguments if you can (it lists known ids), otherwise tell the user what is missing.
In your answer cite the SKUs, locations, quantities, forecast figures with their intervals, and purchase order numbers and totals that the tools returned. Be brief and concrete."""

EXAMPLE_PROMPTS = [
    "check stock levels for SKU-1001 at the Seoul warehouse",
    "which products are below their reorder point?",
    "predict demand for SKU-1001 for the next 30 days",
    "create a purchase order from SUP-001 for 50 units of SKU-1001",
]


def create_agent(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    Agent.objects.update_or_create(
        slug="inventory",
        defaults={
            "name": "Inventory agent",
            "description": "Checks stock levels, forecasts demand and drafts purchase orders.",
            "system_prompt": SYSTEM_PROMPT,
            "tool_names": ["check_stock_levels", "predict_demand", "create_purchase_order"],
            "max_iterations": 10,
            "example_prompts": EXAMPLE_PROMPTS,
            "enabled": True,
        },
    )


def delete_agent(apps, schema_editor):
    apps.get_model("agents", "Agent").objects.filter(slug="inventory").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
        ("agents", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_agent, delete_agent)]
