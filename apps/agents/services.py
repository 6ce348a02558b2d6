"""Runs: create one, execute it (the loop wired to the database), recover
unfinished ones after a restart."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.agents.endpoints import client_for_agent, completion_cost
from apps.agents.events import run_event_publish
from apps.agents.llm import ChatClient, Completion, Message, ToolCallRequest
from apps.agents.loop import LoopResult, PauseRun, StopRun, run_loop
from apps.agents.models import Agent, Run, UsageDaily
from apps.agents.models import Message as MessageRow
from apps.core.db import commit_unflushed, counters_add
from apps.tools.models import ToolCall
from apps.tools.policy import visible_tools
from apps.tools.registry import registry
from apps.tools.services import tool_run

logger = logging.getLogger(__name__)

MAX_INPUT_CHARS = 8000


class RunInputError(ValueError):
    """The request cannot start a run (empty, too long, agent disabled)."""


class RunLimitError(RunInputError):
    """The user is over a rate or concurrency limit; try again later."""


def llm_client(agent: Agent | None = None) -> ChatClient:
    """The model an agent talks to (see apps.agents.endpoints)."""
    if agent is not None:
        return client_for_agent(agent)
    return client_for_agent(Agent(slug="_", name="_"))


def _check_user_limits(user: AbstractBaseUser) -> None:
    if hasattr(user, "service_account"):
        return  # automations have their own rate limits (webhook endpoints, schedules)
    runs = Run.objects.filter(user=user)
    recent = runs.filter(created_at__gte=timezone.now() - timedelta(minutes=1)).count()
    if recent >= settings.OWM_USER_RUNS_PER_MINUTE:
        raise RunLimitError(
            f"You started {recent} runs in the last minute (limit "
            f"{settings.OWM_USER_RUNS_PER_MINUTE}); wait a moment and try again."
        )
    active = runs.filter(status__in=[Run.Status.QUEUED, Run.Status.RUNNING]).count()
    if active >= settings.OWM_USER_CONCURRENT_RUNS:
        raise RunLimitError(
            f"You have {active} runs in progress (limit {settings.OWM_USER_CONCURRENT_RUNS}); "
            "wait for one to finish."
        )


def run_create(*, agent: Agent, user: AbstractBaseUser, text: str) -> Run:
    text = (text or "").strip()
    if not text:
        raise RunInputError("Type a request for the agent.")
    if len(text) > MAX_INPUT_CHARS:
        raise RunInputError(
            f"The request is too long ({len(text)} > {MAX_INPUT_CHARS} characters)."
        )
    if not agent.enabled:
        raise RunInputError(f"The agent {agent.name} is disabled.")
    _check_user_limits(user)
    client = llm_client(agent)
    with transaction.atomic():
        run = Run.objects.create(
            agent=agent, user=user, input=text, provider=client.provider, model=client.model
        )
        MessageRow.objects.bulk_create(
            [
                MessageRow(run=run, index=0, role="system", content=agent.system_prompt),
                MessageRow(run=run, index=1, role="user", content=text),
            ]
        )
        run_event_publish(
            run=run,
            event_type="run.queued",
            data={"agent": agent.slug, "input": text, "provider": run.provider, "model": run.model},
        )
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: object) -> None:
    """Send the run to a worker. With the broker down the run is already stored
    as queued: the stale-run re-queue (apps.agents.recovery) sends it later, so
    the caller is not told of a failure that loses nothing."""
    from kombu.exceptions import OperationalError as BrokerError

    from apps.agents.tasks import run_agent

    try:
        run_agent.delay(str(run_id))
    except BrokerError:
        logger.warning("could not queue run %s (broker down); it is re-queued later", run_id)


def run_execute(*, run_id: str) -> Run | None:
    """Execute (or resume) a run. Safe to call twice: finished runs are left
    alone and finished tool calls are never executed again."""
    run = Run.objects.select_related("agent", "user").filter(pk=run_id).first()
    if run is None or run.is_finished:
        return run
    resumed = run.started_at is not None
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        commit_unflushed()
        claimed = Run.objects.filter(
            pk=run.pk, status__in=[Run.Status.QUEUED, Run.Status.RUNNING]
        ).update(status=Run.Status.RUNNING, started_at=Coalesce(F("started_at"), now))
        if not claimed:  # waiting for a human: the decision queues it again
            return run
        # What the UPDATE wrote, without reading the row (and its agent and
        # user) again: the worker holds the run's lock, nothing else writes it.
        run.status, run.started_at = Run.Status.RUNNING, run.started_at or now
        run_event_publish(
            run=run,
            event_type="run.resumed" if resumed else "run.started",
            data={"agent": run.agent.slug, "provider": run.provider, "model": run.model},
        )
    transcript = _Transcript(run)
    try:
        result = _run_loop_for(run, transcript, resumed=resumed)
    except (OperationalError, InterfaceError):
        # The database went away (or a transient error such as a deadlock):
        # the run is stored up to its last commit and is not to blame, so it
        # is not failed. It stays running; its task retries it
        # (apps.agents.tasks.run_agent), the stale-run re-queue behind that.
        logger.warning("run %s stopped by a database error; it resumes later", run.pk)
        raise
    except Exception as exc:  # a crash in one run must not kill the worker
        logger.exception("run %s crashed", run.pk)
        result = LoopResult(status="failed", error=f"internal error: {type(exc).__name__}: {exc}")
    return _run_finish(run, result, transcript)


def _run_loop_for(run: Run, transcript: _Transcript, *, resumed: bool) -> LoopResult:
    client = llm_client(run.agent)
    # Tool call ids this run has recorded: only those need the executor's resume
    # lookup. A run that never started has none.
    recorded: set[str] = (
        set(ToolCall.objects.filter(run=run).values_list("tool_call_id", flat=True))
        if resumed
        else set()
    )
    specs = visible_tools(actor=run.user, specs=registry.subset(run.agent.tool_names))
    history: list[Message] = [m.as_openai() for m in run.messages.order_by("index")]
    transcript.next_index = len(history)
    stream = _TextStream(run)

    def on_message(message: Message, completion: Completion | None) -> None:
        stream.flush()
        cost = completion_cost(client, completion) if completion is not None else Decimal(0)
        transcript.add(message, completion, cost)

    deadline = time.monotonic() + run.agent.max_run_seconds
    invalid_streak = 0

    def check(completion: Completion) -> str | None:
        if run.total_tokens > run.agent.max_run_tokens:
            return (
                f"stopped: the run used {run.total_tokens} tokens, over its budget of "
                f"{run.agent.max_run_tokens}"
            )
        if time.monotonic() > deadline:
            return f"stopped: the run took longer than {run.agent.max_run_seconds}s"
        return None

    def execute(call: ToolCallRequest) -> dict[str, Any]:
        nonlocal invalid_streak
        outcome = tool_run(
            actor=run.user,
            name=call.name,
            arguments=call.arguments,
            source="agent",
            run=run,
            tool_call_id=call.id,
            first_attempt=call.id not in recorded,
        )
        recorded.add(call.id)
        if outcome.waiting:
            raise PauseRun(outcome.result["approval_id"])
        invalid = outcome.call.status == ToolCall.Status.INVALID
        invalid_streak = invalid_streak + 1 if invalid else 0
        if invalid_streak > settings.OWM_MAX_INVALID_TOOL_CALLS:
            raise StopRun(
                f"stopped: the model sent invalid arguments {invalid_streak} times in a row "
                f"(last: {call.name}: {outcome.result['error']['message']})"
            )
        return outcome.result

    return run_loop(
        client=client,
        messages=history,
        tools=[spec.openai_schema() for spec in specs],
        execute=execute,
        on_message=on_message,
        on_text=stream.write,
        max_iterations=run.agent.max_iterations,
        check=check,
    )


class _Transcript:
    """A run's messages, stored in order. A tool result is stored with the next
    model turn (or when the run stops) instead of in a transaction of its own:
    its ToolCall row already holds it durably, and a run resumed after a crash
    gets a missing one back from there (the loop's pending tool calls go through
    the executor's resume lookup, which never runs a finished call again)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.next_index = 0
        self.pending: list[MessageRow] = []

    def add(self, message: Message, completion: Completion | None, cost: Decimal) -> None:
        usage = completion.usage if completion else None
        self.pending.append(
            MessageRow(
                run=self.run,
                index=self.next_index,
                role=message["role"],
                content=message.get("content"),
                tool_calls=message.get("tool_calls"),
                tool_call_id=message.get("tool_call_id", ""),
                name=message.get("name", ""),
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
            )
        )
        self.next_index += 1
        if completion is not None:
            _turn_record(self.run, message, completion, cost, self)

    @contextmanager
    def storing(self, *, flushed: bool = True) -> Iterator[None]:
        """A transaction that stores the pending messages along with the
        caller's writes. They stay pending if it fails, so a rollback loses none.
        `flushed=False`: bookkeeping (apps.core.db.commit_unflushed)."""
        with transaction.atomic(savepoint=False):
            if not flushed:
                commit_unflushed()
            stored = len(self.pending)
            if stored:
                MessageRow.objects.bulk_create(self.pending[:stored])
            yield
        self.pending = self.pending[stored:]


def _turn_record(
    run: Run, message: Message, completion: Completion, cost: Decimal, transcript: _Transcript
) -> None:
    """A model turn: its message (with the tool results before it), tokens and
    cost on the run and the daily roll-up, and its live event, in one
    transaction. The in-memory `run` keeps the totals, so the budget check
    needs no query."""
    usage = completion.usage
    with transcript.storing(flushed=False):
        Run.objects.filter(pk=run.pk).update(
            iterations=F("iterations") + 1,
            prompt_tokens=F("prompt_tokens") + usage.prompt_tokens,
            completion_tokens=F("completion_tokens") + usage.completion_tokens,
            cost=F("cost") + cost,
        )
        _usage_record(run, completion, cost)
        run_event_publish(
            run=run,
            event_type="llm.completed",
            data={
                "content": completion.content,
                "tool_calls": message.get("tool_calls") or [],
                "finish_reason": completion.finish_reason,
                "model": completion.model,
                "duration_ms": round(completion.duration_ms, 1),
                "usage": {
                    "prompt_tokens": usage.prompt_tokens,
                    "completion_tokens": usage.completion_tokens,
                },
            },
        )
    run.iterations += 1
    run.prompt_tokens += usage.prompt_tokens
    run.completion_tokens += usage.completion_tokens
    run.cost += cost


def _usage_record(run: Run, completion: Completion, cost: Decimal) -> None:
    """The daily roll-up per agent, user and model (one upsert)."""
    counters_add(
        UsageDaily,
        key={
            "day": timezone.localdate(),
            "agent": run.agent.slug,
            "user": run.user.get_username(),
            "model": completion.model or run.model,
        },
        increments={
            "model_turns": 1,
            "prompt_tokens": completion.usage.prompt_tokens,
            "completion_tokens": completion.usage.completion_tokens,
            "cost": cost,
        },
    )


class _TextStream:
    """Streamed assistant text, published in coalesced chunks (not per token)."""

    CHUNK_CHARS = 60

    def __init__(self, run: Run) -> None:
        self.run = run
        self.buffer: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.buffer.append(text)
        self.size += len(text)
        if self.size >= self.CHUNK_CHARS or "\n" in text:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        text, self.buffer, self.size = "".join(self.buffer), [], 0
        run_event_publish(run=self.run, event_type="llm.delta", data={"text": text})


def _run_pause(run: Run, approval_id: int, transcript: _Transcript) -> Run:
    """Park the run until the approval is decided; if it already was (a fast
    approver), queue it again at once. Conditional updates make exactly one
    of this and the decision's resume win."""
    from apps.tools.models import Approval

    with transcript.storing():
        Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).update(
            status=Run.Status.WAITING_APPROVAL
        )
        run.refresh_from_db()
        run_event_publish(run=run, event_type="run.waiting", data={"approval_id": approval_id})
    if Approval.objects.filter(pk=approval_id).exclude(status=Approval.Status.PENDING).exists():
        run_resume_if_waiting(run_id=run.pk)
    return run


def run_resume_if_waiting(*, run_id: object) -> bool:
    """Queue a run paused for approval again (called after a decision)."""
    requeued = Run.objects.filter(pk=run_id, status=Run.Status.WAITING_APPROVAL).update(
        status=Run.Status.QUEUED
    )
    if requeued:
        transaction.on_commit(lambda: _enqueue(run_id))
    return bool(requeued)


def _run_finish(run: Run, result: LoopResult, transcript: _Transcript) -> Run:
    if result.status == "waiting_approval":
        return _run_pause(run, int(result.error), transcript)
    with transcript.storing():
        run.status, run.final_answer, run.error = result.status, result.final_answer, result.error
        run.finished_at = timezone.now()
        Run.objects.filter(pk=run.pk).update(
            status=run.status,
            final_answer=run.final_answer,
            error=run.error,
            finished_at=run.finished_at,
        )
        # No read back: _turn_record keeps the run's totals in memory.
        run_event_publish(
            run=run,
            event_type="run.finished",
            data={
                "status": run.status,
                "final_answer": run.final_answer,
                "error": run.error,
                "iterations": run.iterations,
                "usage": {
                    "prompt_tokens": run.prompt_tokens,
                    "completion_tokens": run.completion_tokens,
                    "total_tokens": run.total_tokens,
                },
            },
        )
    return run


def run_give_up(*, run: Run, reason: str) -> Run:
    """Finish as failed a run that keeps being abandoned mid-way (see
    apps.agents.recovery), closing the calls its workers left running. The
    caller holds the run's lock."""
    from apps.tools.services import calls_interrupted_close

    calls_interrupted_close(run=run)
    result = LoopResult(status="failed", error=reason, iterations=run.iterations)
    return _run_finish(run, result, _Transcript(run))


def runs_waiting_unblock() -> int:
    """Queue again paused runs whose approvals were all decided: covers a
    decision whose resume message was lost in a crash."""
    from apps.tools.models import Approval

    waiting = Run.objects.filter(status=Run.Status.WAITING_APPROVAL).exclude(
        approvals__status=Approval.Status.PENDING
    )
    return sum(
        run_resume_if_waiting(run_id=run_id) for run_id in waiting.values_list("pk", flat=True)
    )


def runs_recover() -> int:
    """Queue again the runs a previous process left unfinished (embedded mode
    loses its in-memory queue on restart). Returns how many were queued."""
    runs_waiting_unblock()
    pending = list(
        Run.objects.filter(status__in=[Run.Status.QUEUED, Run.Status.RUNNING]).values_list(
            "pk", flat=True
        )
    )
    for run_id in pending:
        _enqueue(run_id)
    if pending:
        logger.info("re-queued %d unfinished run(s)", len(pending))
    return len(pending)
