"""Fan-out of live run events to many clients: an event is encoded once by
`broadcast` and forwarded as is, with no database hop per client; broadcasts
from a worker process share one event loop and keep their order."""

from __future__ import annotations

import asyncio
import json
import threading
import time

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
    assert events.broadcasts_drain(timeout=5)
    assert [text for _, text in seen] == [json.dumps({"n": n}) for n in range(4)]
    assert len({loop for loop, _ in seen}) == 1


def test_a_worker_does_not_wait_for_a_slow_channel_layer(settings, monkeypatch):
    settings.EMBEDDED = False
    sent: list[int] = []

    class SlowLayer:
        async def group_send(self, group, message):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.2)  # a Redis round trip under heavy load, exaggerated
            sent.append(message["event"]["n"])

    monkeypatch.setattr(events, "get_channel_layer", lambda: SlowLayer())
    started = time.monotonic()
    for n in range(5):
        events.broadcast("run-x", {"n": n})
    queued_in = time.monotonic() - started
    assert queued_in < 0.2  # the caller went on at once (five sends take a second)
    assert events.broadcasts_drain(timeout=5)
    assert sent == [0, 1, 2, 3, 4]  # in order all the same


def test_a_full_backlog_drops_broadcasts_with_a_warning(settings, monkeypatch, caplog):
    settings.EMBEDDED = False
    release = threading.Event()

    class StuckLayer:
        async def group_send(self, group, message):  # type: ignore[no-untyped-def]
            await asyncio.get_running_loop().run_in_executor(None, release.wait, 5)

    monkeypatch.setattr(events, "get_channel_layer", lambda: StuckLayer())
    monkeypatch.setattr(events, "BROADCAST_BACKLOG", 3)
    with caplog.at_level("WARNING", logger=events.__name__):
        for n in range(5):
            events.broadcast("run-x", {"n": n, "type": "tool.started"})
    release.set()
    assert events.broadcasts_drain(timeout=5)
    dropped = [r for r in caplog.records if "are waiting for the channel layer" in r.getMessage()]
    assert len(dropped) == 2


async def members(group: str) -> int:
    """How many channels the layer holds in `group` (in memory or in Redis)."""
    layer = get_channel_layer()
    if hasattr(layer, "groups"):
        return len(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return await connection.zcard(layer._group_key(group))


async def test_a_process_subscribes_once_per_run_however_many_clients_watch(scenario):
    run = await sync_to_async(make_run)(scenario.operator)
    clients = [await watch(run, scenario.operator) for _ in range(4)]
    assert await members(run_group(run.pk)) == 1  # one channel, not one per client
    await sync_to_async(run_event_publish)(run=run, event_type="tool.started", data={})
    for client in clients:
        assert (await client.receive_json_from(timeout=2))["seq"] == 1
    for client in clients:
        await client.disconnect()
    assert await members(run_group(run.pk)) == 0  # the last one out leaves the group


async def test_live_events_during_a_catch_up_follow_it_in_order(scenario, monkeypatch):
    from apps.agents import consumers
    from apps.agents.models import RunEvent

    run = await sync_to_async(make_run)(scenario.operator)
    for seq in (1, 2):
        await sync_to_async(RunEvent.objects.create)(run=run, seq=seq, type="tool.started", data={})
    await sync_to_async(Run.objects.filter(pk=run.pk).update)(last_seq=2)
    real = consumers.run_events_after

    reads = []

    def read_then_publish(**kwargs):  # type: ignore[no-untyped-def]
        reads.append(kwargs["after"])
        stored = real(**kwargs)  # 1 and 2; then live events 3 and 4 arrive
        if kwargs["after"] == 0:
            for n in range(2):
                run_event_publish(run=run, event_type="tool.finished", data={"n": n})
            time.sleep(0.2)  # the fan-out hands them over while this read is in flight
        return stored

    monkeypatch.setattr(consumers, "run_events_after", read_then_publish)
    communicator = WebsocketCommunicator(app, f"/ws/runs/{run.pk}/")
    communicator.scope["user"] = scenario.operator
    assert (await communicator.connect(timeout=5))[0]
    received = [await communicator.receive_json_from(timeout=2) for _ in range(4)]
    assert [e["seq"] for e in received] == [1, 2, 3, 4]
    assert reads == [0]  # 3 and 4 came from the fan-out, held until 1 and 2 were sent
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


class Subscriber:
    def __init__(self, fail: bool = False) -> None:
        self.fail, self.got, self.lost = fail, [], False

    async def deliver(self, message):  # type: ignore[no-untyped-def]
        if self.fail:
            raise ConnectionError("socket gone")
        self.got.append(message["n"])

    async def fanout_lost(self) -> None:
        self.lost = True


async def test_one_broken_subscriber_does_not_starve_the_others():
    from apps.core.channel_layers import InMemoryChannelLayer
    from apps.core.fanout import Fanout

    layer = InMemoryChannelLayer()
    fanout = Fanout(layer)
    broken, healthy = Subscriber(fail=True), Subscriber()
    await fanout.subscribe("g", broken)
    await fanout.subscribe("g", healthy)
    for n in range(3):
        await layer.group_send("g", {"type": "x", "n": n})
    for _ in range(50):
        if len(healthy.got) == 3:
            break
        await asyncio.sleep(0.01)
    assert healthy.got == [0, 1, 2]
    await fanout.unsubscribe("g", broken)
    await fanout.unsubscribe("g", healthy)
    assert fanout.subscribers("g") == 0 and not layer.groups.get("g")


async def test_a_lost_subscription_closes_its_sockets_and_a_new_one_starts_over():
    from apps.core.channel_layers import InMemoryChannelLayer
    from apps.core.fanout import Fanout

    class Failing(InMemoryChannelLayer):
        async def receive(self, channel):  # type: ignore[no-untyped-def]
            raise ConnectionError("Redis restarted")

    fanout = Fanout(Failing())
    first, second = Subscriber(), Subscriber()
    await fanout.subscribe("g", first)
    await fanout.subscribe("g", second)
    for _ in range(50):
        if first.lost and second.lost:
            break
        await asyncio.sleep(0.01)
    assert first.lost and second.lost  # their clients reconnect and catch up
    assert fanout.subscribers("g") == 0  # the next subscriber joins afresh


async def test_a_failed_join_fails_every_waiting_subscriber():
    from apps.core.channel_layers import InMemoryChannelLayer
    from apps.core.fanout import Fanout

    class Down(InMemoryChannelLayer):
        async def group_add(self, group, channel):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.05)
            raise ConnectionError("Redis is down")

    fanout = Fanout(Down())
    joins = [asyncio.ensure_future(fanout.subscribe("g", Subscriber())) for _ in range(2)]
    results = await asyncio.gather(*joins, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert fanout.subscribers("g") == 0
