"""/ws/runs/<id>/: a run's live events, in order, without gaps.

The consumer authorises before subscribing, replays persisted events after
the client's last seq (`?after=N` or a {"type": "resync", "after": N}
message), and fills any gap from the database before forwarding a live one.
Group events reach consumers through the process's fan-out
(apps.core.fanout): one channel-layer subscription per run per process, not
one per client."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async

from apps.agents.events import EVENTS_PAGE, register_server_loop, run_events_after, run_group
from apps.agents.selectors import run_for_user
from apps.core.consumers import GroupConsumer

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def _int(value: Any, default: int = 0) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


class RunConsumer(GroupConsumer):
    run_id: str
    last_seq: int
    # While catching up from the database, live events wait here in order
    # (at most PENDING_MAX; past that they are read from the database too).
    _catching_up = False
    _pending: list[dict[str, Any]]
    _reread = False  # read the database once more before finishing
    _catch_up_task: asyncio.Task[None] | None = None
    PENDING_MAX = 1000

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
        self._pending = []
        self._catching_up = True  # subscribed first, so nothing falls between
        await self.subscribe(run_group(self.run_id))
        await self.accept()
        await self._catch_up()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "resync":
            # Join again: a Redis that restarted while this socket stayed open
            # forgot the group. Clients resync periodically for that reason.
            await self.fanout.rejoin(run_group(self.run_id))
            if self._catching_up:
                self._reread = True
                return
            self.last_seq = _int(content.get("after"), self.last_seq)
            self._catching_up = True
            await self._catch_up()
        elif isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "seq": self.last_seq})

    async def deliver(self, message: dict[str, Any]) -> None:
        """Called by the fan-out for each live event, in order."""
        if self._catching_up:
            if len(self._pending) < self.PENDING_MAX:
                self._pending.append(message)
            else:
                self._reread = True
            return
        seq = message["event"]["seq"]
        if seq == self.last_seq + 1:
            await self.forward(message)
            self.last_seq = seq
        elif seq > self.last_seq + 1:  # a gap: catch up from the database, in order
            self._catching_up = True
            self._pending.append(message)
            self._catch_up_task = asyncio.create_task(self._catch_up_quietly())

    async def disconnect(self, code: int) -> None:
        if self._catch_up_task is not None:
            self._catch_up_task.cancel()
        await super().disconnect(code)

    async def _catch_up_quietly(self) -> None:
        try:
            await self._catch_up()
        except Exception:  # the socket went away meanwhile; its client reconnects
            logger.info("catch-up for run %s stopped", self.run_id, exc_info=True)

    async def _catch_up(self) -> None:
        """Send what the database holds after last_seq, then the live events
        that arrived meanwhile; back to the database on a gap among those."""
        try:
            while True:
                self._reread = False
                events = await database_sync_to_async(run_events_after)(
                    run_id=self.run_id, after=self.last_seq
                )
                for event in events:
                    await self.send_json(event)
                    self.last_seq = event["seq"]
                if len(events) == EVENTS_PAGE:
                    continue
                # An event past a gap that the database cannot fill (it was
                # never stored) is dropped, as the old replay did, not retried.
                gap = await self._send_pending(drop_gap=not events)
                if not gap and not self._reread:
                    return
        finally:
            self._catching_up = False
            self._pending.clear()

    async def _send_pending(self, *, drop_gap: bool) -> bool:
        """Forward the waiting live events in order; True if one is past a gap."""
        while self._pending:
            message = self._pending.pop(0)
            seq = message["event"]["seq"]
            if seq > self.last_seq + 1:
                if drop_gap:
                    continue
                self._pending.insert(0, message)
                return True
            if seq == self.last_seq + 1:
                await self.forward(message)
                self.last_seq = seq
        return False


class ApprovalsConsumer(GroupConsumer):
    """/ws/approvals/: approvers hear about every approval requested or decided."""

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
        await self.subscribe(APPROVALS_GROUP)
        await self.accept()
