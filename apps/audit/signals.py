"""Log-ins and failed log-ins go to the audit log (never the password)."""

from __future__ import annotations

from typing import Any

from apps.audit.services import audit_record


def request_ip(request: Any) -> str:
    """The client address Django saw (REMOTE_ADDR); no proxy header is trusted here."""
    if request is None:
        return ""
    return str(getattr(request, "META", {}).get("REMOTE_ADDR", "") or "")


def on_user_logged_in(sender: Any, request: Any = None, user: Any = None, **_: Any) -> None:
    audit_record(event="auth.login", actor=user, status="succeeded", ip=request_ip(request))


def on_user_login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: Any = None, **_: Any
) -> None:
    # Django already masks the password in `credentials`; redaction drops it anyway.
    credentials = credentials or {}
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        event="auth.login_failed",
        status="failed",
        ip=request_ip(request),
        detail={"username": username},
    )


def on_post_migrate(sender: Any, using: str = "default", **_: Any) -> None:
    """Re-create the SQLite triggers, which a table rebuild by a later migration drops."""
    from django.db import connections

    from apps.audit.services import auditor_group_ensure
    from apps.audit.triggers import triggers_install

    connection = connections[using]
    if "audit_auditentry" in connection.introspection.table_names():
        triggers_install(connection)
    auditor_group_ensure()  # with its view permission (created just before by post_migrate)
