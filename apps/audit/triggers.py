"""Database triggers that refuse changing or deleting audit entries.

PostgreSQL: a row trigger refuses every UPDATE and DELETE. TRUNCATE fires no row
trigger, so Django's flush (TRUNCATE on PostgreSQL) still empties the table
between transactional tests.

SQLite: UPDATE is always refused. Django's flush on SQLite is `DELETE FROM`,
which visits rows in rowid (= seq) order, so DELETE is refused for every entry
except the chain's current first one: a flush still empties the table, while
removing an entry from the middle or the end of the chain is refused. Removing
the first entry is left possible there; `audit_verify` reports it (seq 1 missing).
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditentry"

POSTGRES_INSTALL = f"""
CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_entry_append_only ON {TABLE};
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change();
"""
POSTGRES_UNINSTALL = f"""
DROP TRIGGER IF EXISTS audit_entry_append_only ON {TABLE};
DROP FUNCTION IF EXISTS audit_entry_refuse_change();
"""

SQLITE_INSTALL = [
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_auditentry
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_auditentry
    WHEN OLD.seq > (SELECT MIN(seq) FROM audit_auditentry)
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: DELETE refused'); END""",
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
]


def triggers_install(connection: Any) -> None:
    """Create the triggers (idempotent)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_INSTALL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_INSTALL:
                cursor.execute(statement)


def triggers_uninstall(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_UNINSTALL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_UNINSTALL:
                cursor.execute(statement)
