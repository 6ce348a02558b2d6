"""ws/support/queue/: new tickets for the on-call support queue, live."""

from __future__ import annotations

import asyncio
from typing import Any

from apps.agents.events import register_server_loop
from apps.core.consumers import GroupConsumer
from apps.customerservice.events import QUEUE_GROUP

CLOSE_UNAUTHENTICATED = 4401


class SupportQueueConsumer(GroupConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        register_server_loop(asyncio.get_running_loop())
        await self.subscribe(QUEUE_GROUP)
        await self.accept()

    async def deliver(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "ticket.created", "ticket": message["event"]})
