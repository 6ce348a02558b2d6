"""Writing the chain: hashes, links, redaction, immutability, log-in signals."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from apps.audit import chain
from apps.audit.models import AuditEntry, AuditImmutableError
from apps.audit.selectors import audit_chain_verify
from apps.audit.services import audit_record

pytestmark = pytest.mark.django_db


def record_some(count: int = 3) -> list[AuditEntry]:
    return [
        audit_record(event="tool.call", tool="check_stock_levels", arguments={"n": i}, result=i)
        for i in range(count)
    ]


def test_entries_form_a_gapless_chain_from_the_genesis_hash():
    first, second, third = record_some()
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == chain.GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash


def test_the_stored_hash_is_recomputable_from_what_the_database_returns():
    audit_record(
        event="tool.call", arguments={"b": 1.5, "a": [1, {"z": None}], "k": "한국어"},
        result={"rows": [1, 2]}, duration_ms=12.25, ip="::1", run_id="7c0d", detail={"x": 1},
    )  # fmt: skip
    row = AuditEntry.objects.values(*chain.CONTENT_FIELDS, "hash").get()
    assert chain.entry_hash(row) == row["hash"]


def test_the_hash_covers_the_canonical_content_and_the_previous_hash():
    entry = audit_record(event="auth.login", ip="10.0.0.1")
    content = {name: getattr(entry, name) for name in chain.CONTENT_FIELDS}
    content["at"] = entry.at.astimezone(chain.dt.UTC).isoformat()
    expected = chain.hashlib.sha256(
        chain.json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        .encode()
    ).hexdigest()  # fmt: skip
    assert entry.hash == expected


def test_time_never_runs_backwards_along_the_chain_when_a_clock_steps_back(monkeypatch):
    import datetime as dt

    from apps.audit import services

    first = audit_record(event="test.clock")
    behind = first.at - dt.timedelta(seconds=30)  # another host, its clock 30 s slow
    monkeypatch.setattr(services.timezone, "now", lambda: behind)
    second = audit_record(event="test.clock")
    assert second.at == first.at
    assert audit_chain_verify().ok


def test_the_result_is_kept_only_as_its_digest():
    entry = audit_record(event="tool.call", result={"summary": "18 units", "rows": []})
    assert entry.result_digest == chain.digest({"rows": [], "summary": "18 units"})
    assert audit_record(event="tool.call").result_digest == ""


def test_secrets_are_redacted_at_any_depth():
    entry = audit_record(
        event="tool.call",
        arguments={
            "password": "hunter2", "query": "ok",
            "headers": {"Authorization": "Bearer x", "X-Api-Key": "k"},
            "items": [{"client_secret": "s", "name": "n"}, {"refresh_token": "t"}],
            "OPENAI_APIKEY": "sk", "db_credentials": {"user": "u"},
        },
        detail={"nested": {"access_token": "t"}},
    )  # fmt: skip
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.arguments == {
        "password": "[REDACTED]", "query": "ok",
        "headers": {"Authorization": "[REDACTED]", "X-Api-Key": "[REDACTED]"},
        "items": [{"client_secret": "[REDACTED]", "name": "n"}, {"refresh_token": "[REDACTED]"}],
        "OPENAI_APIKEY": "[REDACTED]", "db_credentials": "[REDACTED]",
    }  # fmt: skip
    assert entry.detail == {"nested": {"access_token": "[REDACTED]"}}


def test_the_actor_is_kept_as_a_name_and_id_that_outlive_the_user(scenario):
    entry = audit_record(event="tool.call", actor=scenario.operator, on_behalf_of="bob")
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor, entry.actor_id, entry.on_behalf_of) == (
        "alice",
        scenario.operator.pk,
        "bob",
    )
    # No foreign key: deleting the user neither cascades to nor blocks on the log.
    assert not any(field.is_relation for field in AuditEntry._meta.get_fields())


def test_the_app_refuses_to_change_an_entry():
    entry = record_some(1)[0]
    entry.status = "forged"
    with pytest.raises(AuditImmutableError):
        entry.save()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(status="forged")


def test_the_app_refuses_to_delete_an_entry():
    entry = record_some(1)[0]
    with pytest.raises(AuditImmutableError):
        entry.delete()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 1


def test_the_database_refuses_an_update_behind_the_apps_back():
    record_some(3)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditentry SET status = 'forged' WHERE seq = 1")
    assert not AuditEntry.objects.filter(status="forged").exists()


@pytest.mark.parametrize("seq", [2, 3])
def test_the_database_refuses_deleting_an_entry_behind_the_apps_back(seq):
    record_some(3)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [seq])
    assert AuditEntry.objects.count() == 3


def test_postgresql_refuses_deleting_even_the_first_entry():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets the first entry go so that test flushes work (see triggers.py)")
    record_some(2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = 1")


def test_a_rolled_back_entry_leaves_no_gap():
    record_some(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(event="tool.call")
        raise RuntimeError("the caller's work failed")
    assert audit_record(event="tool.call").seq == 2
    assert audit_chain_verify().ok


def test_a_login_is_recorded_with_the_ip_and_never_the_password(scenario):
    client = Client(REMOTE_ADDR="198.51.100.4")
    response = client.post("/login/", {"username": "alice", "password": "alice-pass"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(event="auth.login")
    assert (entry.actor, entry.actor_id, entry.ip) == (
        "alice",
        scenario.operator.pk,
        "198.51.100.4",
    )
    assert "alice-pass" not in chain.canonical(entry.detail) + chain.canonical(entry.arguments)


def test_a_failed_login_is_recorded_with_the_username_tried(scenario):
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.post("/login/", {"username": "alice", "password": "wrong-guess"})
    entry = AuditEntry.objects.get(event="auth.login_failed")
    assert (entry.actor, entry.ip, entry.status) == ("", "203.0.113.9", "failed")
    assert entry.detail == {"username": "alice"}
    assert "wrong-guess" not in chain.canonical(entry.detail)


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_still_flush_the_log():
    # Teardown flushes every table (DELETE on SQLite, TRUNCATE on PostgreSQL):
    # the append-only triggers must let that through.
    record_some(5)
    assert AuditEntry.objects.count() == 5
