"""A websocket consumer that hears its channel-layer group through the
process's fan-out (apps.core.fanout): one subscription per group per process,
not one channel per client."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

from apps.core.fanout import Fanout, fanout_for

CLOSE_SUBSCRIPTION_LOST = 4500  # the client reconnects and catches up


class GroupConsumer(AsyncJsonWebsocketConsumer):
    """A consumer that hears its group through the process's fan-out, not
    through channels' per-consumer dispatch (which also hopped to a thread
    before every handler to close stale database connections). Its rare
    database work (a replay) goes through database_sync_to_async."""

    group: str | None = None
    # An alias no layer is configured under: channels then gives the consumer
    # no channel (and no receive loop) of its own; everything it hears comes
    # through the fan-out, so a process receives once per group from the layer.
    channel_layer_alias = "owm.fanout-only"

    @property
    def fanout(self) -> Fanout:
        return fanout_for(get_channel_layer())

    async def subscribe(self, group: str) -> None:
        self.group = group
        await self.fanout.subscribe(group, self)

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.fanout.unsubscribe(self.group, self)

    async def deliver(self, message: dict[str, Any]) -> None:
        await self.forward(message)

    async def fanout_lost(self) -> None:
        await self.close(code=CLOSE_SUBSCRIPTION_LOST)

    async def forward(self, message: dict[str, Any]) -> None:
        """Send a broadcast's event, as encoded once by `broadcast`."""
        await self.send(text_data=message["text"])
