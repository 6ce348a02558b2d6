"""The channel layers of apps.core.channel_layers: the embedded mode's fan-out
and the Redis mode's connection pool."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings
from redis.asyncio import BlockingConnectionPool

from apps.core import channel_layers
from apps.core.channel_layers import InMemoryChannelLayer, RedisChannelLayer


async def test_a_group_message_reaches_every_member_once():
    layer = InMemoryChannelLayer()
    members = [await layer.new_channel() for _ in range(3)]
    outsider = await layer.new_channel()
    for channel in members:
        await layer.group_add("run-1", channel)
    await layer.group_send("run-1", {"type": "run.event", "text": "{}"})
    for channel in members:
        assert await layer.receive(channel) == {"type": "run.event", "text": "{}"}
        assert layer.channels.get(channel) is None  # nothing more queued
    assert outsider not in layer.channels


async def test_a_full_channel_misses_the_message_and_the_others_still_get_it():
    layer = InMemoryChannelLayer(capacity=1)
    full, free = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("g", full)
    await layer.group_add("g", free)
    await layer.send(full, {"type": "first"})
    await layer.group_send("g", {"type": "second"})
    assert (await layer.receive(full))["type"] == "first"
    assert (await layer.receive(free))["type"] == "second"
    assert layer.channels.get(full) is None


async def test_an_expired_message_still_drops_its_channel_from_the_groups(monkeypatch):
    monkeypatch.setattr(channel_layers, "SWEEP_INTERVAL_S", 0)
    layer = InMemoryChannelLayer(expiry=0)
    gone, alive = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("g", gone)
    await layer.send(gone, {"type": "never read"})
    await asyncio.sleep(0.01)
    await layer.group_add("g", alive)
    await layer.group_send("g", {"type": "hello"})
    assert gone not in layer.groups["g"]
    assert list(layer.groups["g"]) == [alive]


def test_the_redis_layer_pool_waits_for_a_connection_instead_of_failing():
    layer = RedisChannelLayer(hosts=[{"address": "redis://127.0.0.1:6379/0", "socket_timeout": 15}])
    pool = layer.create_pool(0)
    assert isinstance(pool, BlockingConnectionPool)
    assert pool.max_connections == channel_layers.REDIS_MAX_CONNECTIONS
    assert pool.connection_kwargs["socket_timeout"] == 15


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (Redis mode)")
async def test_hundreds_of_clients_joining_at_once_all_get_in():
    # channels-redis's own layer fails this with MaxConnectionsError past 100
    layer = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix="owm-test-crowd")
    channels = [await layer.new_channel() for _ in range(300)]
    try:
        await asyncio.gather(*(layer.group_add("crowd", c) for c in channels))
        await asyncio.gather(*(layer.group_discard("crowd", c) for c in channels))
    finally:
        await layer.flush()  # only this prefix's keys
