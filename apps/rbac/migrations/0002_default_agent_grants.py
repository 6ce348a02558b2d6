"""Default agent-wide grants for the agents that exist now: admin, manager and
operator may use every tool of each agent, as before RBAC. Tool-level defaults
(operators need approval for high-risk tools) come from rbac_sync_defaults,
which runs after every migrate because the registered tools change over time."""

from django.db import migrations

DEFAULT_ROLES = ("admin", "manager", "operator")


def create_grants(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Agent = apps.get_model("agents", "Agent")
    Grant = apps.get_model("rbac", "Grant")
    SeedRecord = apps.get_model("rbac", "SeedRecord")
    for role_name in DEFAULT_ROLES:
        role, _ = Group.objects.get_or_create(name=role_name)
        for agent in Agent.objects.all():
            key = f"{role_name}:agent:{agent.slug}"
            if SeedRecord.objects.filter(key=key).exists():
                continue
            Grant.objects.get_or_create(
                role=role, agent=agent, defaults={"decision": "allow", "seeded": True}
            )
            SeedRecord.objects.create(key=key)


def delete_grants(apps, schema_editor):
    apps.get_model("rbac", "Grant").objects.filter(seeded=True, agent__isnull=False).delete()
    apps.get_model("rbac", "SeedRecord").objects.filter(key__contains=":agent:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rbac", "0001_initial"),
        ("agents", "0001_initial"),
        ("inventory", "0002_inventory_agent"),
    ]

    operations = [migrations.RunPython(create_grants, delete_grants)]
