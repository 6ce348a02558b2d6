from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.notifications import selectors, services
from apps.notifications.forms import ChannelForm
from apps.notifications.models import Channel, Delivery

PER_PAGE = 25


@login_required
def delivery_list(request: HttpRequest) -> HttpResponse:
    deliveries = selectors.deliveries_visible_to(request.user)
    channel = request.GET.get("channel", "")
    status = request.GET.get("status", "")
    if channel:
        deliveries = deliveries.filter(channel=channel)
    if status:
        deliveries = deliveries.filter(status=status)
    page = Paginator(deliveries, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/delivery_list.html",
        {
            "page": page,
            "channel": channel,
            "status": status,
            "channels": Channel.choices,
            "statuses": Delivery.Status.choices,
            "may_manage": selectors.channel_manager(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def channel_list(request: HttpRequest) -> HttpResponse:
    if not selectors.channel_manager(request.user):
        raise PermissionDenied("only admins manage notification channels")
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.notification_channel_create(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error("target", exc)
        else:
            messages.success(request, f"Channel {created.name} created.")
            return redirect("notifications:channels")
    page = Paginator(selectors.channels_all(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/channel_list.html", {"page": page, "form": form})
