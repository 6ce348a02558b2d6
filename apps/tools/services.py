"""The one door for running a tool: `tool_run`.

Every caller (agent loop, API, dashboard form, workflow engine, webhooks)
goes through it: look up, parse, authorize, validate, execute with a time
limit, record, publish, count. It never raises for a bad call: the caller
gets a structured error result it can hand to a model."""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from apps.core.db import commit_unflushed, counters_add
from apps.tools.models import Approval, ToolCall, ToolDailyStats
from apps.tools.policy import authorize
from apps.tools.registry import ToolContext, ToolError, ToolSpec, registry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from apps.agents.models import Run

logger = logging.getLogger(__name__)

# Tools run here so a hung tool can be abandoned after its time limit. Python
# cannot kill a thread: an abandoned call finishes in the background, which is
# why tools do their own I/O with timeouts too.
_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="owm-tool")


# A call in these states has not finished: a resumed run must not reuse its result.
_OPEN_STATUSES = (ToolCall.Status.RUNNING, ToolCall.Status.WAITING)
# The error kind of an attempt whose worker died during the call (it is run again).
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class ToolOutcome:
    call: ToolCall
    result: dict[str, Any]  # what the caller (or model) receives

    @property
    def ok(self) -> bool:
        return self.call.status == ToolCall.Status.SUCCEEDED

    @property
    def waiting(self) -> bool:
        return self.call.status == ToolCall.Status.WAITING


def error_result(kind: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"kind": kind, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def schema_errors(spec: ToolSpec, arguments: dict[str, Any]) -> list[dict[str, str]]:
    errors = sorted(spec.validator.iter_errors(arguments), key=lambda e: list(e.absolute_path))
    return [
        {"path": "/".join(str(p) for p in err.absolute_path) or "(root)", "message": err.message}
        for err in errors
    ]


def _parse_arguments(raw: dict[str, Any] | str | None) -> tuple[dict[str, Any] | None, str]:
    if raw is None or raw == "":
        return {}, ""
    if isinstance(raw, dict):
        return raw, ""
    try:
        parsed = json.loads(raw)
    except (TypeError, ValueError) as exc:
        return None, f"arguments are not valid JSON: {exc}"
    if not isinstance(parsed, dict):
        return None, "arguments must be a JSON object"
    return parsed, ""


def tool_run(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    arguments: dict[str, Any] | str | None,
    source: str,
    run: Run | None = None,
    tool_call_id: str = "",
    idempotency_key: str | None = None,
    approval: Approval | None = None,
    first_attempt: bool = False,
) -> ToolOutcome:
    """Run one tool call. `first_attempt`: the caller knows that no ToolCall of
    `run` has this `tool_call_id` yet, so the resume lookup can be skipped."""
    interrupted: list[ToolCall] = []
    if run is not None and tool_call_id and not first_attempt:
        earlier = list(ToolCall.objects.filter(run=run, tool_call_id=tool_call_id).order_by("-id"))
        done = next(
            (c for c in earlier if c.status not in _OPEN_STATUSES and c.error_kind != INTERRUPTED),
            None,
        )
        if done is not None:  # a resumed run never executes a finished call twice
            return ToolOutcome(call=done, result=_model_result(done))
        if earlier and approval is None:  # only a recorded call can have an approval
            approval = (
                Approval.objects.filter(run=run, tool_call__tool_call_id=tool_call_id)
                .select_related("tool_call", "decided_by")
                .first()
            )
        interrupted = [c for c in earlier if c.status == ToolCall.Status.RUNNING]
    if approval is not None:
        return _after_approval(approval, actor=actor, run=run)
    for stale in interrupted:  # its worker died mid-call: say so before running it again
        _call_interrupted(stale, run=run)
    if idempotency_key:
        done = ToolCall.objects.filter(
            tool_name=name, idempotency_key=idempotency_key, status=ToolCall.Status.SUCCEEDED
        ).first()
        if done is not None:
            return ToolOutcome(call=done, result=_model_result(done))

    spec = registry.get(name)
    parsed, parse_error = _parse_arguments(arguments)
    with transaction.atomic(savepoint=False):  # committed before the tool runs
        commit_unflushed()  # the tool's own commit, or the result's, flushes it
        call = _call_open(
            name=name,
            source=source,
            actor=actor,
            run=run,
            tool_call_id=tool_call_id,
            idempotency_key=idempotency_key,
            arguments=parsed if parsed is not None else {"_raw": str(arguments)[:2000]},
        )
        _publish(run, "tool.started", call)

    if spec is None:
        known = ", ".join(s.name for s in registry.all())
        return _call_close(
            call,
            ToolCall.Status.UNKNOWN,
            error=("unknown_tool", f"unknown tool {name!r}; known: {known}"),
            run=run,
        )
    if parsed is None:
        return _call_close(
            call, ToolCall.Status.INVALID, error=("invalid_arguments", parse_error), run=run
        )
    decision = authorize(actor=actor, spec=spec, arguments=parsed)
    if not decision.allowed:
        return _call_close(call, ToolCall.Status.DENIED, error=("denied", decision.reason), run=run)
    problems = schema_errors(spec, parsed)
    if problems:
        message = "arguments do not match the schema of " + name
        return _call_close(
            call,
            ToolCall.Status.INVALID,
            error=("invalid_arguments", message),
            details=problems,
            run=run,
        )

    if decision.requires_approval:
        return _wait_for_approval(
            call, run=run, actor=actor, arguments=parsed, reason=decision.reason
        )
    return _execute_and_close(spec, call, actor=actor, run=run, arguments=parsed)


def _execute_and_close(
    spec: ToolSpec,
    call: ToolCall,
    *,
    actor: AbstractBaseUser | None,
    run: Run | None,
    arguments: dict[str, Any],
    approval: Approval | None = None,
) -> ToolOutcome:
    context = ToolContext(
        actor=actor,
        source=call.source,
        run_id=str(run.pk) if run is not None else None,
        tool_call_id=call.tool_call_id,
        idempotency_key=call.idempotency_key,
    )
    status, result, error, details = _execute(spec, context, arguments)
    return _call_close(
        call, status, result=result, error=error, details=details, run=run, approval=approval
    )


def _wait_for_approval(
    call: ToolCall,
    *,
    run: Run | None,
    actor: AbstractBaseUser | None,
    arguments: dict[str, Any],
    reason: str,
) -> ToolOutcome:
    from apps.tools.approvals import approval_request

    call.status = ToolCall.Status.WAITING
    call.save(update_fields=["status"])
    approval = approval_request(call=call, run=run, actor=actor, arguments=arguments, reason=reason)
    return ToolOutcome(call=call, result=_waiting_result(approval))


def _waiting_result(approval: Approval) -> dict[str, Any]:
    return {
        "waiting_for_approval": True,
        "approval_id": approval.pk,
        "expires_at": approval.expires_at.isoformat(),
        "summary": f"{approval.tool_name} needs a human's approval before it runs.",
    }


def _after_approval(
    approval: Approval, *, actor: AbstractBaseUser | None, run: Run | None
) -> ToolOutcome:
    """Finish a gated call from its persisted approval (after a decision or a restart)."""
    from apps.tools.approvals import approval_expire_if_due

    approval = approval_expire_if_due(approval)
    call = approval.tool_call
    call._t0 = time.perf_counter()  # type: ignore[attr-defined]
    # RUNNING: a worker started the approved call and died in it; the run holds
    # its lock now, so run it again (side-effecting tools are idempotent on the
    # run and tool call id). Any other state has finished.
    if call.status not in (ToolCall.Status.WAITING, ToolCall.Status.RUNNING):
        return ToolOutcome(call=call, result=_model_result(call))
    if approval.is_pending:
        return ToolOutcome(call=call, result=_waiting_result(approval))
    who = approval.decided_by.get_username() if approval.decided_by else "nobody"
    if approval.status == Approval.Status.REJECTED:
        note = f": {approval.note}" if approval.note else ""
        return _call_close(
            call,
            ToolCall.Status.REJECTED,
            error=("rejected", f"rejected by {who}{note}"),
            run=run,
            approval=approval,
        )
    if approval.status == Approval.Status.EXPIRED:
        message = f"{call.tool_name} was not approved in time; the request expired"
        return _call_close(
            call,
            ToolCall.Status.REJECTED,
            error=("approval_expired", message),
            run=run,
            approval=approval,
        )
    spec = registry.get(call.tool_name)
    if spec is None:
        message = f"unknown tool {call.tool_name!r}"
        return _call_close(
            call,
            ToolCall.Status.UNKNOWN,
            error=("unknown_tool", message),
            run=run,
            approval=approval,
        )
    call.arguments = approval.final_arguments
    call.status = ToolCall.Status.RUNNING
    call.save(update_fields=["arguments", "status"])
    return _execute_and_close(
        spec, call, actor=actor, run=run, arguments=call.arguments, approval=approval
    )


def _execute(
    spec: ToolSpec, context: ToolContext, arguments: dict[str, Any]
) -> tuple[str, dict[str, Any] | None, tuple[str, str] | None, Any]:
    timeout = spec.timeout_s or settings.OWM_TOOL_TIMEOUT
    try:
        if settings.OWM_TOOL_ISOLATION == "thread":
            result = _pool.submit(_in_thread, spec, context, arguments).result(timeout=timeout)
        else:
            result = _invoke(spec, context, arguments)
    except FutureTimeout:
        return (
            ToolCall.Status.TIMEOUT,
            None,
            ("timeout", f"{spec.name} took longer than {timeout:g}s"),
            None,
        )
    except ToolError as exc:
        return ToolCall.Status.FAILED, None, (exc.kind, str(exc)), exc.details
    except Exception as exc:  # a crashing tool must never take the caller down
        logger.exception("tool %s crashed", spec.name)
        return (
            ToolCall.Status.FAILED,
            None,
            ("crashed", f"{spec.name} failed: {type(exc).__name__}: {exc}"),
            None,
        )
    if not isinstance(result, dict):
        result = {"result": result}
    try:
        json.dumps(result)
    except (TypeError, ValueError) as exc:
        return (
            ToolCall.Status.FAILED,
            None,
            ("crashed", f"{spec.name} returned non-JSON data: {exc}"),
            None,
        )
    return ToolCall.Status.SUCCEEDED, result, None, None


def _invoke(spec: ToolSpec, context: ToolContext, arguments: dict[str, Any]) -> Any:
    if not spec.atomic:
        return spec.func(context, **arguments)
    with transaction.atomic():  # a tool's writes land whole or not at all
        return spec.func(context, **arguments)


def _in_thread(spec: ToolSpec, context: ToolContext, arguments: dict[str, Any]) -> Any:
    close_old_connections()
    try:
        return _invoke(spec, context, arguments)
    finally:
        close_old_connections()


def _call_open(
    *,
    name: str,
    source: str,
    actor: AbstractBaseUser | None,
    run: Run | None,
    tool_call_id: str,
    idempotency_key: str | None,
    arguments: dict[str, Any],
) -> ToolCall:
    fields: dict[str, Any] = {
        "source": source,
        "actor": actor if actor is not None and actor.is_authenticated else None,
        "run": run,
        "tool_call_id": tool_call_id,
        "arguments": arguments,
    }
    if idempotency_key:
        # A retried side-effecting call reuses its record instead of adding one.
        call, _ = ToolCall.objects.update_or_create(
            tool_name=name,
            idempotency_key=idempotency_key,
            defaults={
                **fields,
                "started_at": timezone.now(),
                "status": ToolCall.Status.RUNNING,
                "result": None,
                "error": "",
                "error_kind": "",
            },
        )
    else:
        call = ToolCall.objects.create(tool_name=name, **fields)
    call._t0 = time.perf_counter()  # type: ignore[attr-defined]  # duration from here
    return call


def _call_close(
    call: ToolCall,
    status: str,
    *,
    result: dict[str, Any] | None = None,
    error: tuple[str, str] | None = None,
    details: Any = None,
    run: Run | None,
    approval: Approval | None = None,
) -> ToolOutcome:
    finished = timezone.now()
    call.status = status
    call.result = result if error is None else error_result(error[0], error[1], details)
    call.error_kind, call.error = error if error else ("", "")
    call.finished_at = finished
    call.duration_ms = round((time.perf_counter() - call._t0) * 1000, 3)
    # The record, its counts, its live event and its audit entry land together
    # or not at all; the audit append (which serializes writers) goes last so
    # its lock is held for the shortest time.
    with transaction.atomic(savepoint=False):
        call.save(
            update_fields=["status", "result", "error_kind", "error", "finished_at", "duration_ms"]
        )
        _count(call)
        _publish(run, "tool.finished", call)
        _audit(call, run, approval)
    return ToolOutcome(call=call, result=_model_result(call))


def _call_interrupted(call: ToolCall, *, run: Run | None, then: str = "it is run again") -> None:
    """Close an attempt that a dead worker left running: failed, counted,
    audited and announced like any other call, so no record stays "running"."""
    elapsed = (timezone.now() - call.started_at).total_seconds()
    call._t0 = time.perf_counter() - elapsed  # type: ignore[attr-defined]
    message = f"{call.tool_name} was interrupted (its worker stopped); {then}"
    _call_close(call, ToolCall.Status.FAILED, error=(INTERRUPTED, message), run=run)


def calls_interrupted_close(*, run: Run) -> int:
    """Close as interrupted the calls of a run that is given up, which its dead
    workers left running. Returns how many."""
    stale = list(ToolCall.objects.filter(run=run, status=ToolCall.Status.RUNNING))
    for call in stale:
        _call_interrupted(call, run=run, then="the run is given up")
    return len(stale)


def _audit(call: ToolCall, run: Run | None, approval: Approval | None) -> None:
    """Every call lands in the hash-chained audit log: who, for what, the decision.
    `approval` is the one a gated call ran under (the caller has it: no lookup)."""
    from apps.audit.services import audit_record

    if call.status == ToolCall.Status.DENIED:
        decision = "denied"
    elif call.status == ToolCall.Status.REJECTED:
        decision = "rejected"
    elif approval is not None and approval.status == Approval.Status.APPROVED:
        decision = "approved"
    elif call.status in (ToolCall.Status.UNKNOWN, ToolCall.Status.INVALID):
        decision = ""
    else:
        decision = "allowed"
    audit_record(
        event="tool.call",
        actor=call.actor,
        on_behalf_of=f"{call.source}:{run.agent.slug}" if run is not None else call.source,
        run_id=run.pk if run is not None else None,
        agent=run.agent.slug if run is not None else "",
        tool=call.tool_name,
        tool_call_id=call.tool_call_id,
        arguments=call.arguments,
        result=call.result,
        decision=decision,
        approved_by=approval.decided_by.get_username() if approval and approval.decided_by else "",
        status=call.status,
        duration_ms=call.duration_ms,
        detail={"call_id": call.pk, "error": call.error[:500]}
        if call.error
        else {"call_id": call.pk},
    )


def _model_result(call: ToolCall) -> dict[str, Any]:
    """The stored result, bounded so one huge output cannot flood the context."""
    result = call.result or {}
    limit = settings.OWM_TOOL_RESULT_MAX_CHARS
    text = json.dumps(result, default=str)
    if len(text) <= limit:
        return result
    return {
        "truncated": True,
        "original_chars": len(text),
        "preview": text[:limit],
        "note": f"result cut to {limit} characters; narrow the request for the rest",
    }


def _count(call: ToolCall) -> None:
    ok = call.status == ToolCall.Status.SUCCEEDED
    counters_add(
        ToolDailyStats,
        key={"tool_name": call.tool_name, "day": timezone.localdate(call.started_at)},
        increments={
            "calls": 1,
            "successes": int(ok),
            "errors": int(not ok),
            "total_ms": call.duration_ms or 0,
        },
    )


def _publish(run: Run | None, event_type: str, call: ToolCall) -> None:
    if run is None:
        return
    from apps.agents.events import run_event_publish

    data: dict[str, Any] = {
        "tool_call_id": call.tool_call_id,
        "call_id": call.pk,
        "name": call.tool_name,
        "arguments": call.arguments,
    }
    if event_type == "tool.finished":
        data.update(
            status=call.status,
            ok=call.status == ToolCall.Status.SUCCEEDED,
            result=_model_result(call),
            duration_ms=call.duration_ms,
        )
    run_event_publish(run=run, event_type=event_type, data=data)
