from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.rules import selectors, services
from apps.rules.access import may_manage_rules
from apps.rules.actions import ACTION_NAMES
from apps.rules.forms import RuleForm, RuleTestForm
from apps.rules.metrics import known_metric_names
from apps.rules.models import Rule, RuleFiring

PER_PAGE = 25


def _require_manager(request: HttpRequest) -> None:
    if not may_manage_rules(request.user):
        raise PermissionDenied("only admins and managers change business rules")


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.rule_list(), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "rules/rule_list.html",
        {"page": page, "may_manage": may_manage_rules(request.user)},
    )


@login_required
@require_POST
def rule_toggle(request: HttpRequest, name: str) -> HttpResponse:
    _require_manager(request)
    rule = get_object_or_404(Rule, name=name)
    services.rule_enabled_set(rule=rule, enabled=not rule.enabled)
    messages.success(request, f"Rule {rule.name} {'enabled' if rule.enabled else 'disabled'}.")
    return redirect("rules:list")


def _save(form: RuleForm, rule: Rule | None) -> Rule | None:
    """Create or update from a valid form; errors land on the form."""
    data = {k: v for k, v in form.cleaned_data.items() if k != "name"}
    try:
        if rule is None:
            return services.rule_create(name=form.cleaned_data["name"], **data)
        return services.rule_update(rule=rule, **data)
    except ValidationError as exc:
        found = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        for field, errors in found.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return None


def _editor(request: HttpRequest, form: RuleForm, rule: Rule | None, **extra: Any) -> HttpResponse:
    context = {
        "form": form,
        "rule": rule,
        "test_form": extra.pop("test_form", RuleTestForm()),
        "metric_names": known_metric_names(),
        "action_names": ACTION_NAMES,
        "may_manage": may_manage_rules(request.user),
        **extra,
    }
    return render(request, "rules/rule_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = RuleForm(request.POST or None, initial={"actions": "[]"})
    if request.method == "POST" and form.is_valid() and (rule := _save(form, None)):
        messages.success(request, f"Rule {rule.name} created.")
        return redirect("rules:edit", name=rule.name)
    return _editor(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, name: str) -> HttpResponse:
    rule = get_object_or_404(Rule, name=name)
    if request.method == "POST":
        _require_manager(request)
    form = RuleForm.for_rule(rule, request.POST or None)
    if request.method == "POST" and form.is_valid() and _save(form, rule):
        messages.success(request, f"Rule {rule.name} saved.")
        return redirect("rules:edit", name=rule.name)
    firings = rule.firings.order_by("-fired_at", "-id")[:5]
    return _editor(request, form, rule, firings=firings)


@login_required
@require_POST
def rule_test(request: HttpRequest, name: str) -> HttpResponse:
    """Evaluate the rule over the given values without running anything."""
    rule = get_object_or_404(Rule, name=name)
    test_form = RuleTestForm(request.POST)
    result = None
    if test_form.is_valid():
        result = services.rules_check(metrics=test_form.cleaned_data["metrics"], rules=[rule])[0]
    return _editor(request, RuleForm.for_rule(rule), rule, test_form=test_form, test_result=result)


@login_required
def firing_list(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "").strip() for key in ("rule", "status", "subject")}
    firings = selectors.firing_list(**filters)
    page = Paginator(firings, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "rules/firing_list.html",
        {
            "page": page,
            "filters": filters,
            "query": query,
            "rule_names": Rule.objects.values_list("name", flat=True),
            "statuses": RuleFiring.Status.choices,
        },
    )


@login_required
def firing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    firing = get_object_or_404(RuleFiring.objects.select_related("rule"), pk=pk)
    return render(request, "rules/firing_detail.html", {"firing": firing})
