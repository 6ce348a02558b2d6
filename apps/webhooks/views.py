"""Webhook pages (staff only: they show secrets once): endpoints, create,
rotate, and each endpoint's delivery log with replay by hand."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.webhooks import selectors
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.services import delivery_replay, endpoint_create, endpoint_rotate_secret
from apps.workflows.models import Automation
from apps.workflows.triggers import AutomationError

PER_PAGE = 25


def _page(request: HttpRequest, **extra: Any) -> HttpResponse:
    context = {
        "endpoints": selectors.endpoint_list(),
        "automations": Automation.objects.filter(trigger_kind=Automation.Trigger.WEBHOOK),
        "form": {},
        "secret": None,
        "secret_for": None,
        **extra,
    }
    return render(
        request, "webhooks/endpoint_list.html", context, status=400 if extra.get("error") else 200
    )


@staff_member_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = {k: request.POST.get(k, "").strip() for k in ("slug", "name", "automation")}
    automation = Automation.objects.filter(slug=form["automation"]).first()
    if not form["slug"] or not form["name"] or automation is None:
        return _page(request, form=form, error="Slug, name and an automation are required.")
    try:
        endpoint, secret = endpoint_create(
            slug=form["slug"], name=form["name"], automation=automation, created_by=request.user
        )
    except (AutomationError, IntegrityError) as exc:
        return _page(
            request,
            form=form,
            error=str(exc)
            if isinstance(exc, AutomationError)
            else "An endpoint with this slug exists.",
        )
    return _page(request, secret=secret, secret_for=endpoint)


def _endpoint_or_404(slug: str) -> WebhookEndpoint:
    endpoint = selectors.endpoint_list().filter(slug=slug).first()
    if endpoint is None:
        raise Http404("no such endpoint")
    return endpoint


@staff_member_required
@require_POST
def endpoint_rotate(request: HttpRequest, slug: str) -> HttpResponse:
    endpoint = _endpoint_or_404(slug)
    secret = endpoint_rotate_secret(endpoint=endpoint)
    return _page(request, secret=secret, secret_for=endpoint, rotated=True)


@staff_member_required
def delivery_list(request: HttpRequest, slug: str) -> HttpResponse:
    endpoint = _endpoint_or_404(slug)
    status = request.GET.get("status", "")
    deliveries = selectors.delivery_list(endpoint=endpoint, status=status).select_related(
        "replay_of"
    )
    page = Paginator(deliveries, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/delivery_list.html",
        {
            "endpoint": endpoint,
            "page": page,
            "status": status,
            "statuses": WebhookDelivery.Status.choices,
        },
    )


@staff_member_required
@require_POST
def delivery_replay_view(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=pk).first()
    if delivery is None:
        raise Http404("no such delivery")
    if not delivery.verified:
        messages.error(request, "Only verified deliveries can be replayed.")
    else:
        replay = delivery_replay(delivery=delivery, user=request.user)
        messages.success(request, f"Delivery {delivery.pk} replayed as {replay.pk}.")
    return redirect("webhooks:deliveries", delivery.endpoint.slug)
