"""/ws/runs/<id>/: a run's live events, in order, without gaps.

The consumer authorises before joining the group, replays persisted events
after the client's last seq (`?after=N` or a {"type": "resync", "after": N}
message), and fills any gap from the database before forwarding a live one."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.agents.events import register_server_loop, run_events_after, run_group
from apps.agents.selectors import run_for_user

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def _int(value: Any, default: int = 0) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


class ForwardingConsumer(AsyncJsonWebsocketConsumer):
    """A consumer whose channel-layer handlers (`forwarded`) only pass an event
    on. Channels hops to a thread to close stale database connections before
    every handler; with hundreds of clients those hops, queued on one thread,
    were most of an event's latency. A forwarder touches no database, and its
    rare database work (a replay) goes through database_sync_to_async, which
    cleans up itself."""

    forwarded: frozenset[str] = frozenset()

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") in self.forwarded:
            await getattr(self, message["type"].replace(".", "_"))(message)
        else:
            await super().dispatch(message)

    async def forward(self, message: dict[str, Any]) -> None:
        """Send a broadcast's event, as encoded once by `broadcast`."""
        text = message.get("text")
        if text is None:
            await self.send_json(message["event"])
        else:
            await self.send(text_data=text)


class RunConsumer(ForwardingConsumer):
    forwarded = frozenset({"run.event"})
    run_id: str
    group: str
    last_seq: int

    async def connect(self) -> None:
        register_server_loop(asyncio.get_running_loop())
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.run_id = str(self.scope["url_route"]["kwargs"]["run_id"])
        run = await database_sync_to_async(run_for_user)(user=user, run_id=self.run_id)
        if run is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        query = dict(
            part.split("=", 1)
            for part in self.scope["query_string"].decode().split("&")
            if "=" in part
        )
        self.last_seq = _int(query.get("after"))
        self.group = run_group(self.run_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._replay()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "resync":
            self.last_seq = _int(content.get("after"), self.last_seq)
            # Join again: a Redis that restarted while this socket stayed open
            # forgot the group. Clients resync periodically for that reason.
            await self.channel_layer.group_add(self.group, self.channel_name)
            await self._replay()
        elif isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "seq": self.last_seq})

    async def run_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if event["seq"] <= self.last_seq:
            return
        if event["seq"] > self.last_seq + 1:
            await self._replay()  # a gap: catch up from the database, in order
            return
        await self.forward(message)
        self.last_seq = event["seq"]

    async def _replay(self) -> None:
        while True:
            events = await database_sync_to_async(run_events_after)(
                run_id=self.run_id, after=self.last_seq
            )
            for event in events:
                await self.send_json(event)
                self.last_seq = event["seq"]
            if len(events) < 500:
                return


class ApprovalsConsumer(ForwardingConsumer):
    """/ws/approvals/: approvers hear about every approval requested or decided."""

    forwarded = frozenset({"approvals.event"})

    async def connect(self) -> None:
        register_server_loop(asyncio.get_running_loop())
        from apps.tools.approvals import APPROVALS_GROUP, may_decide

        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await database_sync_to_async(may_decide)(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = APPROVALS_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def approvals_event(self, message: dict[str, Any]) -> None:
        await self.forward(message)
