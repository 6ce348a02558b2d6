"""Fan-out of live run events to many clients: an event is encoded once by
`broadcast` and forwarded as is, with no database hop per client; broadcasts
from a worker process share one event loop and keep their order."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from apps.agents import events
from apps.agents.events import run_event_publish, run_group
from apps.agents.models import Agent, Run
from owm.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

app = URLRouter(websocket_urlpatterns)


def make_run(user) -> Run:  # type: ignore[no-untyped-def]
    agent, _ = Agent.objects.get_or_create(
        slug="fanout-test", defaults={"name": "Fan-out", "system_prompt": "-"}
    )
    return Run.objects.create(agent=agent, user=user, input="hi")


async def watch(run: Run, user) -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
    communicator = WebsocketCommunicator(app, f"/ws/runs/{run.pk}/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_a_client_gets_the_event_text_broadcast_encoded_once(scenario):
    run = await sync_to_async(make_run)(scenario.operator)
    communicator = await watch(run, scenario.operator)
    event = {"run_id": str(run.pk), "seq": 1, "type": "tool.finished", "data": {}, "ts": "t"}
    text = json.dumps(event, indent=1)  # not what the consumer's own encoder would write
    await get_channel_layer().group_send(
        run_group(run.pk), {"type": "run.event", "event": event, "text": text}
    )
    assert await communicator.receive_from(timeout=2) == text
    await communicator.disconnect()


async def test_forwarding_events_costs_no_database_hop_per_client(scenario, monkeypatch):
    import channels.consumer

    hops = []

    async def counted() -> None:
        hops.append(1)

    run = await sync_to_async(make_run)(scenario.operator)
    clients = [await watch(run, scenario.operator) for _ in range(3)]
    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    for n in range(2):
        await sync_to_async(run_event_publish)(run=run, event_type="tool.started", data={"n": n})
    for client in clients:
        received = [await client.receive_json_from(timeout=2) for _ in range(2)]
        assert [e["seq"] for e in received] == [1, 2]
    assert hops == []
    for client in clients:
        await client.disconnect()


def test_broadcasts_from_a_worker_share_one_loop_and_keep_their_order(settings, monkeypatch):
    settings.EMBEDDED = False
    seen: list[tuple[int, str]] = []

    class Layer:
        async def group_send(self, group, message):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.01 if message["event"]["n"] == 0 else 0)
            seen.append((id(asyncio.get_running_loop()), message["text"]))

    monkeypatch.setattr(events, "get_channel_layer", lambda: Layer())
    for n in range(3):
        events.broadcast("run-x", {"n": n})
    done = threading.Event()
    threading.Thread(target=lambda: (events.broadcast("run-x", {"n": 3}), done.set())).start()
    assert done.wait(5)
    assert [text for _, text in seen] == [json.dumps({"n": n}) for n in range(4)]
    assert len({loop for loop, _ in seen}) == 1
