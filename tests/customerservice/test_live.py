"""New tickets reach the support queue live, after commit, over ws/support/queue/."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, Group
from django.db import connection
from django.urls import path

from apps.customerservice import events, services
from apps.customerservice.consumers import SupportQueueConsumer
from apps.customerservice.models import Inquiry, Ticket

app = URLRouter([path("ws/support/queue/", SupportQueueConsumer.as_asgi())])


def _escalate(user) -> Ticket:  # type: ignore[no-untyped-def]
    Group.objects.get_or_create(name="support")[0].user_set.add(user)
    inquiry, _ = services.inquiry_record(text="the app is down!!!", customer_tier="gold")
    ticket, _ = services.ticket_escalate(inquiry=inquiry, reason="outage", actor=user)
    return ticket


def _escalate_and_close(user) -> Ticket:  # type: ignore[no-untyped-def]
    try:
        return _escalate(user)
    finally:
        connection.close()  # the worker thread's connection would outlive the test database


@pytest.mark.django_db(transaction=True)
async def test_an_escalation_is_pushed_to_the_queue_after_commit(scenario):
    communicator = WebsocketCommunicator(app, "/ws/support/queue/")
    communicator.scope["user"] = scenario.operator
    connected, _ = await communicator.connect()
    assert connected
    ticket = await sync_to_async(_escalate_and_close)(scenario.operator)
    message = await communicator.receive_json_from(timeout=3)
    assert message["type"] == "ticket.created"
    assert message["ticket"]["code"] == ticket.code
    assert message["ticket"]["priority"] == "urgent"
    assert message["ticket"]["queue"] == "technical"
    assert message["ticket"]["assignee"] == "alice"
    assert message["ticket"]["url"] == f"/support/tickets/{ticket.code}/"
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_anonymous_clients_are_refused(scenario):
    communicator = WebsocketCommunicator(app, "/ws/support/queue/")
    communicator.scope["user"] = AnonymousUser()
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401


@pytest.mark.django_db
def test_nothing_is_sent_before_commit(scenario, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(events, "queue_broadcast", sent.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = _escalate(scenario.operator)
    assert sent == [] and len(callbacks) == 1
    callbacks[0]()
    assert sent[0]["ticket"]["code"] == ticket.code


@pytest.mark.django_db
def test_a_rolled_back_escalation_sends_nothing(scenario, monkeypatch):
    from django.db import transaction

    sent = []
    monkeypatch.setattr(events, "queue_broadcast", sent.append)
    with pytest.raises(RuntimeError), transaction.atomic():
        _escalate(scenario.operator)
        raise RuntimeError("boom")
    assert sent == [] and not Inquiry.objects.exists()


@pytest.mark.django_db
def test_a_broken_channel_layer_never_fails_the_escalation(
    scenario, settings, monkeypatch, django_capture_on_commit_callbacks
):
    class Broken:
        async def group_send(self, *args):  # type: ignore[no-untyped-def]
            raise ConnectionError("redis is down")

    settings.EMBEDDED = False
    from apps.agents import events as agent_events

    monkeypatch.setattr(agent_events, "get_channel_layer", lambda: Broken())
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _escalate(scenario.operator)
    assert Ticket.objects.filter(pk=ticket.pk).exists()


@pytest.mark.django_db
def test_without_a_channel_layer_nothing_is_sent(
    scenario, monkeypatch, django_capture_on_commit_callbacks
):
    from apps.agents import events as agent_events

    monkeypatch.setattr(agent_events, "get_channel_layer", lambda: None)
    with django_capture_on_commit_callbacks(execute=True):
        _escalate(scenario.operator)
