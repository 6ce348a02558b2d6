from django.db import migrations

from apps.audit.triggers import triggers_install, triggers_uninstall


def install(apps, schema_editor):
    triggers_install(schema_editor.connection)


def uninstall(apps, schema_editor):
    triggers_uninstall(schema_editor.connection)


def create_auditor_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="auditor")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
        migrations.RunPython(create_auditor_group, migrations.RunPython.noop),
    ]
