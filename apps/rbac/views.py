"""Staff pages: the role-by-tool matrix (edited in place with htmx) and roles."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from apps.rbac import selectors, services
from apps.rbac.models import Grant
from apps.rbac.selectors import Cell
from apps.tools.registry import ToolSpec, registry

ROLES_PER_PAGE = 25


def _require_staff(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("Only staff may manage tool access.")


def _cell_target(role_id: int, tool_name: str) -> tuple[Group, ToolSpec]:
    spec = registry.get(tool_name)
    if spec is None:
        raise Http404(f"unknown tool {tool_name!r}")
    return get_object_or_404(Group, pk=role_id), spec


@login_required
def matrix(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    category = request.GET.get("category", "")
    query = request.GET.get("q", "").strip()
    context = selectors.matrix(category=category, query=query)
    context.update(category=category, q=query, decisions=Grant.Decision.choices)
    return render(request, "rbac/matrix.html", context)


def _form_context(cell: Cell, **overrides: Any) -> dict[str, Any]:
    grant = cell.grant
    context: dict[str, Any] = {
        "cell": cell,
        "decisions": Grant.Decision.choices,
        "decision": grant.decision if grant else "",
        "limits_json": json.dumps(grant.limits if grant else [], indent=2, ensure_ascii=False),
        "errors": [],
    }
    context.update(overrides)
    return context


@login_required
def cell_edit(request: HttpRequest, role_id: int, tool_name: str) -> HttpResponse:
    _require_staff(request)
    role, spec = _cell_target(role_id, tool_name)
    context = _form_context(selectors.matrix_cell(role=role, spec=spec))
    template = "rbac/matrix.html#cell-form" if request.htmx else "rbac/cell_edit.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def cell(request: HttpRequest, role_id: int, tool_name: str) -> HttpResponse:
    """GET: the cell as shown in the matrix. POST: save the role's grant for the tool."""
    _require_staff(request)
    role, spec = _cell_target(role_id, tool_name)
    if request.method == "GET":
        if not request.htmx:
            return redirect("rbac:matrix")
        return render(
            request, "rbac/matrix.html#cell", {"cell": selectors.matrix_cell(role=role, spec=spec)}
        )
    decision = request.POST.get("decision", "")
    raw = request.POST.get("limits", "").strip() or "[]"
    errors = _save_cell(request, role=role, spec=spec, decision=decision, raw=raw)
    cell_now = selectors.matrix_cell(role=role, spec=spec)
    if errors:
        context = _form_context(cell_now, decision=decision, limits_json=raw, errors=errors)
        template = "rbac/matrix.html#cell-form" if request.htmx else "rbac/cell_edit.html"
        return render(request, template, context, status=200 if request.htmx else 400)
    if not request.htmx:
        messages.success(request, f"Saved: {role.name} → {spec.name}.")
        return redirect("rbac:matrix")
    return render(request, "rbac/matrix.html#cell", {"cell": cell_now, "saved": True})


def _save_cell(
    request: HttpRequest, *, role: Group, spec: ToolSpec, decision: str, raw: str
) -> list[str]:
    try:
        limits = json.loads(raw)
    except ValueError as exc:
        return [f"Limits are not valid JSON: {exc}"]
    try:
        services.grant_set(
            role=role, tool_name=spec.name, decision=decision, limits=limits, actor=request.user
        )
    except ValidationError as exc:
        return [msg for msgs in exc.message_dict.values() for msg in msgs]
    return []


@login_required
@require_http_methods(["GET", "POST"])
def roles(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    name, errors = "", []
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            role = services.role_create(name=name, actor=request.user)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, f"Role {role.name} added. It grants nothing until you say.")
            return redirect("rbac:matrix")
    page = Paginator(selectors.role_list(), ROLES_PER_PAGE).get_page(request.GET.get("page"))
    status = 400 if errors else 200
    return render(
        request, "rbac/roles.html", {"page": page, "name": name, "errors": errors}, status=status
    )
