"""Small database helpers for hot paths, where the ORM would need several
round trips for what SQL says in one statement."""

from __future__ import annotations

from typing import Any

from django.db import connection, models


def commit_unflushed() -> None:
    """Inside a transaction: let PostgreSQL acknowledge its commit before the
    WAL reaches the disk (synchronous_commit off, for this transaction only).

    For a run's bookkeeping (its claim, a model turn, a tool call's open
    record): the WAL is flushed in order, so the next synchronous commit (a
    tool's own writes, a call's result with its audit entry, the run's finish)
    makes it durable too. Only a crash of PostgreSQL itself, within ~0.6 s,
    can lose it, and then it goes together with everything after it: the run
    resumes from the last durable point. A worker that dies loses nothing.
    A no-op on SQLite."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def counters_add(
    model: type[models.Model], *, key: dict[str, Any], increments: dict[str, Any]
) -> None:
    """Add `increments` to the row of `model` that `key` names (the columns of a
    unique constraint), creating the row when it is missing.

    One `INSERT ... ON CONFLICT (key) DO UPDATE` statement (SQLite >= 3.24 and
    PostgreSQL): no read-modify-write, so concurrent writers never lose a count
    and never race to create the row."""
    meta = model._meta
    quote = connection.ops.quote_name
    values: dict[str, Any] = {}
    for field in meta.concrete_fields:  # unnamed columns get their Python defaults
        if field.primary_key:
            continue
        if field.name in key:
            value = key[field.name]
        elif field.name in increments:
            value = increments[field.name]
        else:
            value = field.get_default()
        values[field.column] = field.get_db_prep_save(value, connection)
    table = quote(meta.db_table)
    columns = ", ".join(quote(column) for column in values)
    placeholders = ", ".join(["%s"] * len(values))
    target = ", ".join(quote(meta.get_field(name).column) for name in key)
    updates = ", ".join(
        f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}"
        for c in (meta.get_field(name).column for name in increments)
    )
    # identifiers come from model metadata, quoted; values are parameters
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
    sql += f"ON CONFLICT ({target}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        cursor.execute(sql, list(values.values()))
