"""Channel layers that hold up with hundreds of websocket clients.

Redis mode: channels-redis builds redis-py connection pools, which since
redis-py 5 allow 100 connections and fail the 101st at once
(MaxConnectionsError) instead of waiting. A server whose clients all come or
go together (a deploy, a run finishing under 500 watchers) makes hundreds of
group_add / group_discard calls at once, and each one over the limit crashes
its consumer or leaves a dead channel in the group for a day. Here the pool
waits for a free connection (BlockingConnectionPool) instead.

Embedded mode: channels' in-memory layer, made to fan out to many clients.

channels' InMemoryChannelLayer sweeps every channel and every group
membership for expired messages on each `receive` and `group_send`, so one
event sent to a group of N costs O(N x all clients); it also deep-copies the
message and starts a task for every member. At 500 clients that was most of
an event's latency. Here the sweep runs at most once a second (messages live
for `expiry`, 60 s) and a group gets one copy of the message, shared by its
members as channels-redis shares one deserialized message among a process's
receivers: consumers must not mutate what they receive (ours do not)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from copy import deepcopy
from typing import Any

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer
from channels_redis.core import RedisChannelLayer as ChannelsRedisChannelLayer
from redis.asyncio import BlockingConnectionPool

SWEEP_INTERVAL_S = 1.0
REDIS_MAX_CONNECTIONS = 100  # per server process and event loop
REDIS_POOL_TIMEOUT_S = 20.0


class RedisChannelLayer(ChannelsRedisChannelLayer):
    def create_pool(self, index: int) -> BlockingConnectionPool:
        host = dict(self.hosts[index])
        if "address" not in host:  # a sentinel or a host/port dict: channels-redis's own
            return super().create_pool(index)
        host.setdefault("max_connections", REDIS_MAX_CONNECTIONS)
        host.setdefault("timeout", REDIS_POOL_TIMEOUT_S)
        return BlockingConnectionPool.from_url(host.pop("address"), **host)


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < SWEEP_INTERVAL_S:
            return
        self._swept_at = now
        super()._clean_expired()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        shared = (time.time() + self.expiry, deepcopy(message))
        for channel in list(self.groups.get(group, ())):
            queue = self.channels.setdefault(
                channel, asyncio.Queue(maxsize=self.get_capacity(channel))
            )
            with contextlib.suppress(asyncio.QueueFull):  # as channels: a full channel misses it
                queue.put_nowait(shared)
