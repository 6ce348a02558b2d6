"""audit_verify finds the first altered, deleted or reordered entry."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.audit.selectors import audit_chain_last_result, audit_chain_verify
from apps.audit.services import audit_record
from tests.audit.conftest import triggers_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_entries() -> None:
    for i in range(1, 6):
        audit_record(event="tool.call", tool="predict_demand", arguments={"i": i}, status="ok")


def sql(statement: str, params: list | None = None) -> None:  # type: ignore[type-arg]
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def verify_fails() -> CommandError:
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")
    assert failure.value.returncode == 1
    return failure.value


def test_an_intact_chain_verifies_with_a_summary_and_exit_0(five_entries, capsys):
    call_command("audit_verify")
    assert "5 entries, chain intact" in capsys.readouterr().out


def test_an_empty_log_is_intact():
    result = audit_chain_verify()
    assert (result.ok, result.checked, result.summary) == (True, 0, "0 entries, chain intact")


def test_an_edited_field_is_reported_as_altered_at_its_seq(five_entries):
    sql("UPDATE audit_auditentry SET status = 'forged' WHERE seq = 3")
    failure = verify_fails()
    assert "seq 3 (altered)" in str(failure)


def test_edited_arguments_are_reported_as_altered(five_entries):
    sql("UPDATE audit_auditentry SET arguments = %s WHERE seq = 2", ['{"i": 99}'])
    assert "seq 2 (altered)" in str(verify_fails())


def test_a_rewritten_entry_with_a_recomputed_hash_is_caught_by_the_next_link(five_entries):
    from apps.audit import chain
    from apps.audit.models import AuditEntry

    row = AuditEntry.objects.values(*chain.CONTENT_FIELDS).get(seq=2)
    row["status"] = "forged"
    sql(
        "UPDATE audit_auditentry SET status = 'forged', hash = %s WHERE seq = 2",
        [chain.entry_hash(row)],
    )
    result = audit_chain_verify()
    assert (result.ok, result.broken_seq, result.problem) == (False, 3, "altered")
    assert "entry 2 was rewritten" in result.message


def test_a_deleted_entry_is_reported_with_the_missing_seq(five_entries):
    sql("DELETE FROM audit_auditentry WHERE seq = 4")
    failure = verify_fails()
    assert "seq 4 (deleted)" in str(failure)
    assert "seq 4 missing" in str(failure)


def test_a_deleted_first_entry_is_reported(five_entries):
    sql("DELETE FROM audit_auditentry WHERE seq = 1")
    assert "seq 1 (deleted)" in str(verify_fails())


def test_two_swapped_entries_are_reported_as_reordered_at_the_first(five_entries):
    # Swap the contents of entries 2 and 5 (everything but id and seq), each with
    # its own stored hash, as someone moving history around would. A plain
    # QuerySet writes the SQL that the guarded manager refuses to.
    from django.db.models import QuerySet

    from apps.audit.models import AuditEntry

    raw = QuerySet(AuditEntry)
    columns = ["at", "event", "arguments", "status", "prev_hash", "hash"]
    two, five = (raw.values(*columns).get(seq=s) for s in (2, 5))
    with triggers_disabled():
        raw.filter(seq=2).update(hash="moving")
        raw.filter(seq=5).update(**two)
        raw.filter(seq=2).update(**five)
    result = audit_chain_verify()
    assert (result.ok, result.broken_seq, result.problem) == (False, 2, "reordered")
    assert "seq 2 (reordered)" in str(verify_fails())


def test_the_last_result_is_remembered_with_its_time(five_entries):
    assert audit_chain_last_result() is None
    audit_chain_verify()
    last = audit_chain_last_result()
    assert last is not None and last["ok"] and last["checked"] == 5 and last["checked_at"]


def test_verify_walks_the_chain_in_batches(five_entries, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr("apps.audit.selectors.VERIFY_BATCH", 2)
    with django_assert_num_queries(4):  # 2 + 2 + 1 + the empty batch that ends it
        assert audit_chain_verify().checked == 5


def test_verify_with_a_limit_checks_only_that_many(five_entries):
    assert audit_chain_verify(limit=3).summary == "3 entries, chain intact"
