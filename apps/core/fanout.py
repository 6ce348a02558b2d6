"""One channel-layer subscription per group per server process, fanned out
in memory to the websocket consumers of that process that watch the group.

With a channel per consumer, an event for a run watched by N clients cost N
channel-layer messages: N Redis list pushes and N pops (one round trip each)
in Redis mode, N queue puts and N task wake-ups in embedded mode, N
dispatches. At 100+ watchers per run that was most of an event's latency.
Here the layer carries one message per process; the process hands it to each
subscriber in turn, in the order the layer delivered it.

A subscriber is anything with `async deliver(message)` (called for every
message, in order; it should not block for long) and `async fanout_lost()`
(the subscription failed, e.g. Redis restarted: close the socket so that the
client reconnects and catches up from the database)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class Subscriber(Protocol):
    async def deliver(self, message: dict[str, Any]) -> None: ...

    async def fanout_lost(self) -> None: ...


@dataclass(eq=False)
class _Subscription:
    channel: str
    joined: asyncio.Future[None]
    subscribers: set[Subscriber] = field(default_factory=set)
    reader: asyncio.Task[None] | None = None


class Fanout:
    """The subscriptions of one event loop (a server process has one)."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self._groups: dict[str, _Subscription] = {}

    def subscribers(self, group: str) -> int:
        entry = self._groups.get(group)
        return len(entry.subscribers) if entry else 0

    async def subscribe(self, group: str, subscriber: Subscriber) -> None:
        """Join `group` (the first subscriber of the process joins the layer's
        group; later ones wait for that join). Raises if the join fails."""
        entry = self._groups.get(group)
        if entry is None:
            # the layer's default prefix: channels-redis receives every
            # process-local channel through one Redis list of that prefix
            channel = await self.layer.new_channel()
            entry = _Subscription(channel, asyncio.get_running_loop().create_future())
            self._groups[group] = entry
            entry.subscribers.add(subscriber)
            try:
                await self.layer.group_add(group, channel)
            except BaseException as exc:
                self._drop(group, entry)
                if isinstance(exc, Exception):
                    entry.joined.set_exception(exc)
                    entry.joined.exception()  # retrieved: each waiter re-raises it
                else:
                    entry.joined.cancel()
                raise
            entry.reader = asyncio.create_task(self._read(group, entry))
            entry.joined.set_result(None)
            return
        entry.subscribers.add(subscriber)
        try:
            await asyncio.shield(entry.joined)
        except BaseException:
            entry.subscribers.discard(subscriber)
            raise

    async def unsubscribe(self, group: str, subscriber: Subscriber) -> None:
        entry = self._groups.get(group)
        if entry is None or subscriber not in entry.subscribers:
            return
        entry.subscribers.discard(subscriber)
        if entry.subscribers or not entry.joined.done():
            return
        self._drop(group, entry)
        with contextlib.suppress(Exception):  # the membership expires on its own
            await self.layer.group_discard(group, entry.channel)

    async def rejoin(self, group: str) -> None:
        """Join the layer's group again: a Redis that restarted forgot it."""
        entry = self._groups.get(group)  # a failed join is no longer here
        if entry is not None and entry.joined.done():
            await self.layer.group_add(group, entry.channel)

    def _drop(self, group: str, entry: _Subscription) -> None:
        if self._groups.get(group) is entry:
            del self._groups[group]
        if entry.reader is not None and entry.reader is not asyncio.current_task():
            entry.reader.cancel()

    async def _read(self, group: str, entry: _Subscription) -> None:
        while True:
            try:
                message = await self.layer.receive(entry.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("lost the subscription to %s; closing its sockets", group)
                self._drop(group, entry)
                for subscriber in list(entry.subscribers):
                    with contextlib.suppress(Exception):
                        await subscriber.fanout_lost()
                return
            for subscriber in list(entry.subscribers):
                try:
                    await subscriber.deliver(message)
                except Exception:  # one broken socket must not starve the others
                    logger.warning("could not deliver to a subscriber of %s", group, exc_info=True)


_fanouts: dict[asyncio.AbstractEventLoop, Fanout] = {}


def fanout_for(layer: Any) -> Fanout:
    """This event loop's fan-out over `layer` (tests run one loop per test)."""
    loop = asyncio.get_running_loop()
    fanout = _fanouts.get(loop)
    if fanout is None or fanout.layer is not layer:
        for old in [old for old in _fanouts if old.is_closed()]:
            del _fanouts[old]
        fanout = _fanouts[loop] = Fanout(layer)
    return fanout
