from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from apps.agents.models import Run
from apps.agents.selectors import agents_enabled, run_for_user, runs_visible_to
from apps.agents.services import RunInputError, llm_client, run_create
from apps.tools.approvals import ApprovalError, approval_decide, may_decide
from apps.tools.models import Approval
from apps.tools.registry import registry
from apps.tools.selectors import approvals_pending, approvals_recent_decided

RUNS_PER_PAGE = 20


@login_required
def agent_list(request: HttpRequest) -> HttpResponse:
    agents = list(agents_enabled())
    for agent in agents:
        agent.tools = registry.subset(agent.tool_names)  # type: ignore[attr-defined]
    recent = runs_visible_to(request.user)[:8]
    return render(request, "dashboard/agents.html", {"agents": agents, "recent_runs": recent})


@login_required
@require_http_methods(["GET", "POST"])
def agent_console(request: HttpRequest, slug: str) -> HttpResponse:
    agent = get_object_or_404(agents_enabled(), slug=slug)
    text = ""
    if request.method == "POST":
        text = request.POST.get("input", "")
        try:
            run = run_create(agent=agent, user=request.user, text=text)
        except RunInputError as exc:
            messages.error(request, str(exc))
        else:
            return redirect("dashboard:run", run_id=run.pk)
    client = llm_client(agent)
    runs = runs_visible_to(request.user).filter(agent=agent)[:10]
    return render(
        request,
        "dashboard/console.html",
        {
            "agent": agent,
            "tools": registry.subset(agent.tool_names),
            "runs": runs,
            "text": text,
            "provider": client.provider,
            "model": client.model,
        },
    )


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    runs = runs_visible_to(request.user)
    agent = request.GET.get("agent", "")
    status = request.GET.get("status", "")
    if agent:
        runs = runs.filter(agent__slug=agent)
    if status:
        runs = runs.filter(status=status)
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/runs.html",
        {
            "page": page,
            "agents": agents_enabled(),
            "statuses": Run.Status.choices,
            "agent": agent,
            "status": status,
        },
    )


@login_required
def run_detail(request: HttpRequest, run_id: str) -> HttpResponse:
    run = run_for_user(user=request.user, run_id=run_id)
    if run is None:
        raise Http404("No such run, or you may not see it.")
    return render(request, "dashboard/run.html", {"run": run})


@login_required
def approvals_inbox(request: HttpRequest) -> HttpResponse:
    if not may_decide(request.user):
        raise PermissionDenied("Only approvers (admins and managers) see the approvals inbox.")
    pending = approvals_pending()
    decided = approvals_recent_decided()[:20]
    template = "dashboard/approvals.html"
    if request.htmx and request.GET.get("part") == "pending":
        template += "#pending-list"
    return render(request, template, {"pending": pending, "decided": decided})


@login_required
@require_http_methods(["POST"])
def approval_decide_view(request: HttpRequest, approval_id: int) -> HttpResponse:
    approve = request.POST.get("decision") == "approve"
    error = ""
    arguments = None
    raw = request.POST.get("arguments", "").strip()
    if approve and raw:
        try:
            arguments = json.loads(raw)
        except ValueError as exc:
            error = f"The arguments are not valid JSON: {exc}"
        else:
            if not isinstance(arguments, dict):
                error = "The arguments must be a JSON object."
    approval = get_object_or_404(
        Approval.objects.select_related("run", "tool_call"), pk=approval_id
    )
    if not error:
        try:
            approval = approval_decide(
                approval_id=approval.pk,
                user=request.user,
                approve=approve,
                arguments=arguments,
                note=request.POST.get("note", ""),
            )
        except ApprovalError as exc:
            error = str(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("dashboard:approvals")
    context = {"approval": approval, "error": error, "raw_arguments": raw}
    return render(request, "dashboard/approvals.html#approval-item", context)
