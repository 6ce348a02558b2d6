"""Automations and their schedules in the dashboard (staff): create, edit
cron, enable or pause, and fire by hand."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.agents.models import Agent
from apps.workflows.models import Automation, Schedule, Workflow
from apps.workflows.triggers import (
    AutomationError,
    automation_create,
    automation_fire,
    cron_validate,
    schedule_create,
)


def _staff(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("Only staff manage automations and schedules.")


class AutomationForm(forms.Form):
    slug = forms.SlugField()
    name = forms.CharField(max_length=200)
    trigger_kind = forms.ChoiceField(choices=Automation.Trigger.choices)
    target_kind = forms.ChoiceField(choices=Automation.Target.choices)
    workflow = forms.ModelChoiceField(queryset=Workflow.objects.all(), required=False)
    agent_slug = forms.ChoiceField(required=False)
    prompt_template = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="filled from the payload, e.g. {order_id}; the payload is marked untrusted",
    )
    run_as = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True), required=False
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        agents = [("", "—")] + [(a.slug, a.name) for a in Agent.objects.all()]
        self.fields["agent_slug"].choices = agents


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=200)
    cron = forms.CharField(max_length=100, help_text="minute hour day month weekday")

    def clean_cron(self) -> str:
        cron = self.cleaned_data["cron"].strip()
        if problem := cron_validate(cron):
            raise forms.ValidationError(problem)
        return cron


@login_required
def automation_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = AutomationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            automation = automation_create(**form.cleaned_data)
        except AutomationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Automation {automation.slug} created.")
            return redirect("workflows:automations")
    automations = Automation.objects.select_related("workflow", "run_as").prefetch_related(
        "schedules"
    )
    context = {"automations": automations, "form": form, "schedule_form": ScheduleForm()}
    return render(request, "workflows/automations.html", context)


@login_required
@require_POST
def schedule_add(request: HttpRequest, slug: str) -> HttpResponse:
    _staff(request)
    automation = get_object_or_404(Automation, slug=slug)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect("workflows:automations")
    try:
        schedule_create(automation=automation, **form.cleaned_data)
    except AutomationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Schedule added to {automation.slug}.")
    return redirect("workflows:automations")


@login_required
@require_POST
def schedule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    schedule = get_object_or_404(Schedule, pk=pk)
    schedule.enabled = not schedule.enabled
    schedule.save(update_fields=["enabled"])
    state = "enabled" if schedule.enabled else "paused"
    messages.success(request, f"Schedule {schedule.name} {state}.")
    return redirect("workflows:automations")


@login_required
@require_POST
def automation_fire_view(request: HttpRequest, slug: str) -> HttpResponse:
    _staff(request)
    automation = get_object_or_404(Automation, slug=slug)
    try:
        started = automation_fire(
            automation=automation,
            payload={"fired_by": request.user.get_username(), "at": timezone.now().isoformat()},
            trigger="manual",
            user=request.user,
        )
    except AutomationError as exc:
        messages.error(request, str(exc))
        return redirect("workflows:automations")
    if "agent_run_id" in started:
        return redirect("dashboard:run", run_id=started["agent_run_id"])
    if "workflow_run_id" in started:
        return redirect("workflows:run", pk=started["workflow_run_id"])
    messages.success(request, f"Fired: {started}")
    return redirect("workflows:automations")
