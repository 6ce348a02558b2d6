"""Set up Django inside a bench process: a temp OWM_VAR_DIR, a migrated SQLite
file database (or --database-url), no embedded worker. Call `django_boot`
before importing anything from apps/."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def django_boot(
    *, database_url: str | None = None, extra_env: dict[str, str] | None = None
) -> Path:
    var_dir = Path(tempfile.mkdtemp(prefix="owm-bench-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "owm.settings",
        "OWM_VAR_DIR": str(var_dir),
        "OWM_EMBEDDED_WORKER": "false",
        "OWM_USER_RUNS_PER_MINUTE": "1000000",
        "OWM_USER_CONCURRENT_RUNS": "1000000",
        "DEBUG": "false",
        **(extra_env or {}),
    }
    os.environ.update(env)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    if database_url:
        _reset_postgres()
    call_command("migrate", verbosity=0, interactive=False)
    return var_dir


def _reset_postgres() -> None:
    """A bench owns its PostgreSQL database: start from an empty schema."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")


def operator_create(username: str = "bench-operator"):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group, User

    from apps.accounts.roles import roles_ensure

    roles_ensure()
    user = User.objects.create_user(username=username, password=f"{username}-pass")
    user.groups.add(Group.objects.get(name="operator"))
    return user
