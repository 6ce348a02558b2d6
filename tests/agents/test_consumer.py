"""/ws/runs/<id>/ through Channels' WebsocketCommunicator."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from apps.agents.events import run_event_publish
from apps.agents.models import Agent, Run
from owm.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

app = URLRouter(websocket_urlpatterns)


def make_run(user) -> Run:  # type: ignore[no-untyped-def]
    # transactional tests flush the data migrations' rows, so make the agent here
    agent, _ = Agent.objects.get_or_create(
        slug="ws-test", defaults={"name": "WS", "system_prompt": "-"}
    )
    return Run.objects.create(agent=agent, user=user, input="hi")


async def connect(run: Run, user, after: int = 0) -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
    communicator = WebsocketCommunicator(app, f"/ws/runs/{run.pk}/?after={after}")
    communicator.scope["user"] = user
    return communicator


async def test_a_client_gets_the_events_after_its_last_seq_then_live_ones(scenario):
    run = await sync_to_async(make_run)(scenario.operator)
    for n in range(3):
        await sync_to_async(run_event_publish)(run=run, event_type="tool.started", data={"n": n})
    communicator = await connect(run, scenario.operator, after=1)
    connected, _ = await communicator.connect()
    assert connected
    replayed = [await communicator.receive_json_from(timeout=2) for _ in range(2)]
    assert [e["seq"] for e in replayed] == [2, 3]
    await sync_to_async(run_event_publish)(run=run, event_type="run.finished", data={})
    live = await communicator.receive_json_from(timeout=2)
    assert (live["seq"], live["type"]) == (4, "run.finished")
    await communicator.send_json_to({"type": "resync", "after": 0})
    again = [await communicator.receive_json_from(timeout=2) for _ in range(4)]
    assert [e["seq"] for e in again] == [1, 2, 3, 4]
    await communicator.disconnect()


async def test_anonymous_clients_are_refused(scenario):
    from django.contrib.auth.models import AnonymousUser

    run = await sync_to_async(make_run)(scenario.operator)
    communicator = await connect(run, AnonymousUser())
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401


async def test_a_user_cannot_watch_another_users_run(scenario):
    run = await sync_to_async(make_run)(scenario.operator)
    communicator = await connect(run, scenario.other_operator)
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4403


async def test_staff_may_watch_any_run(scenario):
    run = await sync_to_async(make_run)(scenario.operator)
    await sync_to_async(run_event_publish)(run=run, event_type="run.queued", data={})
    communicator = await connect(run, scenario.admin)
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=2))["type"] == "run.queued"
    await communicator.disconnect()


async def test_a_gap_in_live_events_is_filled_from_the_database(scenario):
    from apps.agents.models import RunEvent

    run = await sync_to_async(make_run)(scenario.operator)
    communicator = await connect(run, scenario.operator)
    connected, _ = await communicator.connect()
    assert connected
    # An event persisted without a broadcast (e.g. a lost message), then a live one.
    await sync_to_async(RunEvent.objects.create)(run=run, seq=1, type="tool.started", data={})
    await sync_to_async(Run.objects.filter(pk=run.pk).update)(last_seq=1)
    await sync_to_async(run_event_publish)(run=run, event_type="tool.finished", data={})
    received = [await communicator.receive_json_from(timeout=2) for _ in range(2)]
    assert [e["seq"] for e in received] == [1, 2]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()
