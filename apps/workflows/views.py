"""Workflow pages: list and create, detail with the definition editor and
versions, runs, and a run page whose steps refresh by htmx polling."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.workflows import selectors
from apps.workflows.engine import StepRetryError, step_retry
from apps.workflows.models import Workflow, WorkflowRun
from apps.workflows.services import (
    WorkflowInvalid,
    WorkflowStartError,
    workflow_create,
    workflow_run_start,
    workflow_update,
)
from apps.workflows.validation import MODES, StepError

PER_PAGE = 20
EXAMPLE_STEPS = json.dumps(
    [{"step_id": "stock", "action": "check_stock_levels", "parameters": {}, "depends_on": []}],
    indent=2,
)


def _operator(request: HttpRequest) -> None:
    if not selectors.may_operate(request.user):
        raise PermissionDenied("You may not manage or start workflows.")


def _workflow_or_404(slug: str) -> Workflow:
    workflow = selectors.workflow_get(slug=slug)
    if workflow is None:
        raise Http404("no such workflow")
    return workflow


def _parse_steps(text: str) -> tuple[Any, list[StepError]]:
    try:
        return json.loads(text), []
    except ValueError as exc:
        return None, [StepError("", "steps", f"not valid JSON: {exc}")]


@login_required
def workflow_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    page = Paginator(selectors.workflow_list(q=q), PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "q": q, "modes": MODES, "form": {"steps": EXAMPLE_STEPS}, "errors": []}
    if request.method == "POST":
        _operator(request)
        return _create(request, context)
    return render(request, "workflows/workflow_list.html", context)


def _create(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    form = {k: request.POST.get(k, "").strip() for k in ("slug", "name", "execution_mode", "steps")}
    steps, errors = _parse_steps(form["steps"] or "[]")
    if not form["slug"] or not form["name"]:
        errors.append(StepError("", "slug", "slug and name are required"))
    elif Workflow.objects.filter(slug=form["slug"]).exists():
        errors.append(StepError("", "slug", "a workflow with this slug exists"))
    if not errors:
        try:
            workflow = workflow_create(
                slug=form["slug"],
                name=form["name"],
                steps=steps,
                execution_mode=form["execution_mode"] or "sequential",
                created_by=request.user,
            )
        except WorkflowInvalid as exc:
            errors = exc.errors
        else:
            messages.success(request, f"Workflow {workflow.name} created.")
            return redirect("workflows:detail", workflow.slug)
    context.update(form=form, errors=errors)
    return render(request, "workflows/workflow_list.html", context, status=400)


@login_required
def workflow_detail(request: HttpRequest, slug: str) -> HttpResponse:
    workflow = _workflow_or_404(slug)
    steps = workflow.current_version.steps if workflow.current_version else []
    text, errors = json.dumps(steps, indent=2), []
    if request.method == "POST":
        _operator(request)
        text = request.POST.get("steps", "")
        parsed, errors = _parse_steps(text)
        mode = request.POST.get("execution_mode") or workflow.execution_mode
        if not errors:
            try:
                workflow_update(
                    workflow=workflow, user=request.user, steps=parsed, execution_mode=mode
                )
            except WorkflowInvalid as exc:
                errors = exc.errors
            else:
                messages.success(request, "Saved.")
                return redirect("workflows:detail", workflow.slug)
    return render(
        request,
        "workflows/workflow_detail.html",
        {
            "workflow": workflow,
            "steps_text": text,
            "errors": errors,
            "modes": MODES,
            "versions": workflow.versions.select_related("created_by")[:20],
            "runs": selectors.run_list(workflow=workflow)[:10],
            "may_operate": selectors.may_operate(request.user),
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def workflow_start(request: HttpRequest, slug: str) -> HttpResponse:
    _operator(request)
    try:
        run = workflow_run_start(workflow=_workflow_or_404(slug), user=request.user)
    except WorkflowStartError as exc:
        messages.error(request, str(exc))
        return redirect("workflows:detail", slug)
    return redirect("workflows:run", run.pk)


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    runs = selectors.run_list(status=status)
    page = Paginator(runs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "workflows/run_list.html",
        {
            "page": page,
            "status": status,
            "statuses": WorkflowRun.Status.choices,
        },
    )


def _run_or_404(pk: int) -> WorkflowRun:
    run = selectors.run_get(pk=pk)
    if run is None:
        raise Http404("no such workflow run")
    return run


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    template = "workflows/run_detail.html"
    if request.headers.get("HX-Request"):
        template += "#steps"
    return render(
        request,
        template,
        {
            "run": run,
            "steps": run.steps.all(),
            "may_operate": selectors.may_operate(request.user),
            "polling": not run.is_finished,
        },
    )


@login_required
@require_POST
def step_retry_view(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    _operator(request)
    run = _run_or_404(pk)
    step = selectors.step_get(run=run, step_id=step_id)
    if step is None:
        raise Http404("no such step")
    try:
        step_retry(step=step, user=request.user)
        messages.success(request, f"Step {step_id} queued again.")
    except StepRetryError as exc:
        messages.error(request, str(exc))
    return redirect("workflows:run", run.pk)
