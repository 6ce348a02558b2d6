from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from apps.audit.exports import export_response
from apps.audit.models import AuditEntry
from apps.audit.selectors import (
    audit_chain_last_result,
    audit_chain_verify,
    audit_distinct_values,
    audit_entry_list,
    audit_filters_clean,
    user_is_auditor,
)

ENTRIES_PER_PAGE = 50


def audit_access(request: HttpRequest) -> None:
    """Only staff and members of the "auditor" group may read the audit log."""
    if not user_is_auditor(request.user):
        raise PermissionDenied("The audit log is open to auditors and staff only.")


@login_required
@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    audit_access(request)
    filters = audit_filters_clean(request.GET)
    error = ""
    try:
        entries = audit_entry_list(filters=filters)
    except ValueError as exc:
        error, entries = str(exc), AuditEntry.objects.none()
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode(filters)
    context = {
        "page": page,
        "filters": filters,
        "query": query,
        "filter_error": error,
        "verify": audit_chain_last_result(),
        "events": audit_distinct_values("event"),
        "tools": audit_distinct_values("tool"),
        "agents": audit_distinct_values("agent"),
        "decisions": AuditEntry.Decision.choices[1:],
    }
    return render(request, "audit/entries.html", context)


@login_required
@require_POST
def chain_verify(request: HttpRequest) -> HttpResponse:
    audit_access(request)
    result = audit_chain_verify()
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "audit/entries.html#verify", {"verify": result.as_dict()})
    return redirect("audit:entries")


@login_required
@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    audit_access(request)
    filters = audit_filters_clean(request.GET)
    try:
        audit_entry_list(filters=filters)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    return export_response(fmt=fmt, filters=filters)  # type: ignore[return-value]
