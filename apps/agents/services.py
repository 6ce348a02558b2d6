"""Runs: create one, execute it (the loop wired to the database), recover
unfinished ones after a restart."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.agents.events import run_event_publish
from apps.agents.llm import ChatClient, Completion, Message, ToolCallRequest
from apps.agents.loop import LoopResult, PauseRun, run_loop
from apps.agents.models import Agent, Run
from apps.agents.models import Message as MessageRow
from apps.tools.policy import visible_tools
from apps.tools.registry import registry
from apps.tools.services import tool_run

logger = logging.getLogger(__name__)

MAX_INPUT_CHARS = 8000


class RunInputError(ValueError):
    """The request cannot start a run (empty, too long, agent disabled)."""


def llm_client() -> ChatClient:
    """The configured OpenAI-compatible endpoint, or the offline planner."""
    if settings.OWM_LLM_BASE_URL:
        from apps.agents.providers.openai_compat import client_from_settings

        return client_from_settings()
    from apps.agents.providers.offline import OfflinePlanner

    return OfflinePlanner()


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
    client = llm_client()
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
    from apps.agents.tasks import run_agent

    run_agent.delay(str(run_id))


def run_execute(*, run_id: str) -> Run | None:
    """Execute (or resume) a run. Safe to call twice: finished runs are left
    alone and finished tool calls are never executed again."""
    run = Run.objects.select_related("agent", "user").filter(pk=run_id).first()
    if run is None or run.is_finished:
        return run
    resumed = run.started_at is not None
    claimed = Run.objects.filter(
        pk=run.pk, status__in=[Run.Status.QUEUED, Run.Status.RUNNING]
    ).update(status=Run.Status.RUNNING, started_at=Coalesce(F("started_at"), timezone.now()))
    if not claimed:  # waiting for a human: the decision queues it again
        return run
    run.refresh_from_db()
    run_event_publish(
        run=run,
        event_type="run.resumed" if resumed else "run.started",
        data={"agent": run.agent.slug, "provider": run.provider, "model": run.model},
    )
    try:
        result = _run_loop_for(run)
    except Exception as exc:  # a crash in one run must not kill the worker
        logger.exception("run %s crashed", run.pk)
        result = LoopResult(status="failed", error=f"internal error: {type(exc).__name__}: {exc}")
    return _run_finish(run, result)


def _run_loop_for(run: Run) -> LoopResult:
    client = llm_client()
    specs = visible_tools(actor=run.user, specs=registry.subset(run.agent.tool_names))
    history: list[Message] = [m.as_openai() for m in run.messages.order_by("index")]
    next_index = len(history)
    stream = _TextStream(run)

    def on_message(message: Message, completion: Completion | None) -> None:
        nonlocal next_index
        stream.flush()
        _message_save(run, next_index, message, completion)
        next_index += 1

    def execute(call: ToolCallRequest) -> dict[str, Any]:
        outcome = tool_run(
            actor=run.user,
            name=call.name,
            arguments=call.arguments,
            source="agent",
            run=run,
            tool_call_id=call.id,
        )
        if outcome.waiting:
            raise PauseRun(outcome.result["approval_id"])
        return outcome.result

    return run_loop(
        client=client,
        messages=history,
        tools=[spec.openai_schema() for spec in specs],
        execute=execute,
        on_message=on_message,
        on_text=stream.write,
        max_iterations=run.agent.max_iterations,
    )


def _message_save(run: Run, index: int, message: Message, completion: Completion | None) -> None:
    usage = completion.usage if completion else None
    MessageRow.objects.create(
        run=run,
        index=index,
        role=message["role"],
        content=message.get("content"),
        tool_calls=message.get("tool_calls"),
        tool_call_id=message.get("tool_call_id", ""),
        name=message.get("name", ""),
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
    )
    if completion is None:
        return
    Run.objects.filter(pk=run.pk).update(
        iterations=F("iterations") + 1,
        prompt_tokens=F("prompt_tokens") + completion.usage.prompt_tokens,
        completion_tokens=F("completion_tokens") + completion.usage.completion_tokens,
    )
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
                "prompt_tokens": completion.usage.prompt_tokens,
                "completion_tokens": completion.usage.completion_tokens,
            },
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


def _run_pause(run: Run, approval_id: int) -> Run:
    """Park the run until the approval is decided; if it already was (a fast
    approver), queue it again at once. Conditional updates make exactly one
    of this and the decision's resume win."""
    from apps.tools.models import Approval

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


def _run_finish(run: Run, result: LoopResult) -> Run:
    if result.status == "waiting_approval":
        return _run_pause(run, int(result.error))
    Run.objects.filter(pk=run.pk).update(
        status=result.status,
        final_answer=result.final_answer,
        error=result.error,
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
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
