from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from apps.dashboard.schema_form import form_arguments, form_fields
from apps.rbac.selectors import matrix
from apps.tools.registry import registry
from apps.tools.services import tool_run


@login_required
def tool_list(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "")
    query = request.GET.get("q", "").strip()
    table = matrix(category=category, query=query)
    for _, rows in table["groups"]:
        for row in rows:
            row.schema_json = json.dumps(row.spec.parameters, indent=2, sort_keys=True)
    context = {**table, "category": category, "q": query}
    return render(request, "dashboard/tools.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def tool_detail(request: HttpRequest, name: str) -> HttpResponse:
    spec = registry.get(name)
    if spec is None:
        raise Http404(f"No tool named {name}.")
    may_use = request.user.has_perm("tools.use_tools")
    context: dict[str, object] = {
        "spec": spec,
        "may_use": may_use,
        "schema_json": json.dumps(spec.parameters, indent=2, sort_keys=True),
    }
    if request.method == "POST":
        if not may_use:
            raise PermissionDenied("Your role may not run tools.")
        fields = form_fields(spec.parameters, request.POST)
        arguments, valid = form_arguments(fields)
        context.update(fields=fields, arguments=arguments)
        if valid:
            outcome = tool_run(
                actor=request.user, name=spec.name, arguments=arguments, source="dashboard"
            )
            context.update(
                outcome=outcome,
                result_json=json.dumps(outcome.result, indent=2, sort_keys=True, default=str),
            )
        template = "dashboard/tool.html#invoke" if request.htmx else "dashboard/tool.html"
        return render(request, template, context)
    context["fields"] = form_fields(spec.parameters)
    return render(request, "dashboard/tool.html", context)
