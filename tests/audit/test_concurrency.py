"""Concurrent writers on PostgreSQL still build one gapless, intact chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.audit.models import AuditEntry
from apps.audit.selectors import audit_chain_verify
from apps.audit.services import audit_record
from tests.audit.conftest import on_postgresql

WRITERS = 8
PER_WRITER = 25


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_build_one_gapless_intact_chain():
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(PER_WRITER):
                audit_record(event="tool.call", tool=f"writer-{n}", arguments={"i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = WRITERS * PER_WRITER
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    result = audit_chain_verify()
    assert (result.ok, result.checked) == (True, total)
