"""ws/support/queue/: new tickets for the on-call support queue, live."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.agents.events import register_server_loop
from apps.customerservice.events import QUEUE_GROUP

CLOSE_UNAUTHENTICATED = 4401


class SupportQueueConsumer(AsyncJsonWebsocketConsumer):
    joined = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        register_server_loop(asyncio.get_running_loop())
        await self.channel_layer.group_add(QUEUE_GROUP, self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await self.channel_layer.group_discard(QUEUE_GROUP, self.channel_name)

    async def ticket_created(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "ticket.created", "ticket": message["event"]})
