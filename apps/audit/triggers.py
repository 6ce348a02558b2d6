"""Database triggers that refuse changing or deleting audit entries.

PostgreSQL: a row trigger refuses every UPDATE and DELETE. TRUNCATE fires no row
trigger, so Django's flush (TRUNCATE on PostgreSQL) still empties the table
between transactional tests.

SQLite: UPDATE is always refused. Django's flush on SQLite is `DELETE FROM`,
which visits rows in rowid (= seq) order, so DELETE is refused for every entry
except the chain's current first one: a flush still empties the table, while
removing an entry from the middle or the end of the chain is refused. Removing
the first entry is left possible there; `audit_verify` reports it (seq 1 missing).

A third trigger keeps `audit_auditfacet` (the filter dropdowns' values): every
insert adds its event, tool and agent there when new, in the same transaction, so
a rolled-back entry leaves no value behind. PostgreSQL runs it once per statement
over the inserted rows (a transition table), SQLite once per row.
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

FACET_TABLE = "audit_auditfacet"

# Plain literals (the columns are AuditFacet.Field: event, tool, agent).
POSTGRES_FACETS_INSTALL = """
CREATE OR REPLACE FUNCTION audit_entry_facets_add() RETURNS trigger AS $$
BEGIN
    INSERT INTO audit_auditfacet (field, value)
    SELECT DISTINCT f.field, f.value
    FROM added, LATERAL (VALUES ('event', added.event), ('tool', added.tool),
                                ('agent', added.agent)) AS f(field, value)
    WHERE f.value <> '' AND NOT EXISTS (
        SELECT 1 FROM audit_auditfacet s WHERE s.field = f.field AND s.value = f.value
    )
    ON CONFLICT (field, value) DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_entry_facets ON audit_auditentry;
CREATE TRIGGER audit_entry_facets AFTER INSERT ON audit_auditentry
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_facets_add();
"""
POSTGRES_FACETS_UNINSTALL = """
DROP TRIGGER IF EXISTS audit_entry_facets ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_facets_add();
"""
SQLITE_FACETS_INSTALL = [
    """CREATE TRIGGER IF NOT EXISTS audit_entry_facets AFTER INSERT ON audit_auditentry
    BEGIN
        INSERT OR IGNORE INTO audit_auditfacet (field, value)
        SELECT 'event', NEW.event WHERE NEW.event <> ''
        UNION ALL SELECT 'tool', NEW.tool WHERE NEW.tool <> ''
        UNION ALL SELECT 'agent', NEW.agent WHERE NEW.agent <> '';
    END"""
]
SQLITE_FACETS_UNINSTALL = ["DROP TRIGGER IF EXISTS audit_entry_facets"]
# The values already in the log when the facet table came (run once, by its migration).
FACETS_BACKFILL = """
INSERT INTO audit_auditfacet (field, value)
SELECT DISTINCT 'event', event FROM audit_auditentry WHERE event <> ''
UNION SELECT DISTINCT 'tool', tool FROM audit_auditentry WHERE tool <> ''
UNION SELECT DISTINCT 'agent', agent FROM audit_auditentry WHERE agent <> ''
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
    """Create the append-only triggers, and the facet trigger once its table
    exists (idempotent)."""
    with_facets = FACET_TABLE in connection.introspection.table_names()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_INSTALL)
            if with_facets:
                cursor.execute(POSTGRES_FACETS_INSTALL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_INSTALL + (SQLITE_FACETS_INSTALL if with_facets else []):
                cursor.execute(statement)


def facets_backfill(connection: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(FACETS_BACKFILL)


def facets_uninstall(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FACETS_UNINSTALL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_FACETS_UNINSTALL:
                cursor.execute(statement)


def triggers_uninstall(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_UNINSTALL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_UNINSTALL:
                cursor.execute(statement)
