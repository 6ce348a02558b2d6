from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.dashboard.access import check_staff

PER_PAGE = 25


@login_required
def admin_center(request: HttpRequest) -> HttpResponse:
    check_staff(request.user, "the admin center")
    role = request.GET.get("role", "")
    users = get_user_model().objects.prefetch_related("groups").order_by("username")
    if role:
        users = users.filter(groups__name=role)
    context = {
        "page": Paginator(users, PER_PAGE).get_page(request.GET.get("page")),
        "roles": Group.objects.order_by("name"),
        "role": role,
    }
    return render(request, "dashboard/admin_center.html", context)


@login_required
@require_POST
def user_toggle_active(request: HttpRequest, user_id: int) -> HttpResponse:
    check_staff(request.user, "the admin center")
    member = get_object_or_404(get_user_model().objects.prefetch_related("groups"), pk=user_id)
    error = ""
    if member.pk == request.user.pk:
        error = "You cannot deactivate yourself."
    else:
        member.is_active = not member.is_active
        member.save(update_fields=["is_active"])
    if not request.htmx:
        return redirect("dashboard:admin-center")
    return render(
        request, "dashboard/admin_center.html#user-row", {"member": member, "error": error}
    )
