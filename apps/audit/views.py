from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from apps.audit.exports import export_response
from apps.audit.models import AuditEntry
from apps.audit.selectors import (
    AuditPage,
    audit_chain_last_result,
    audit_chain_verify,
    audit_entry_list,
    audit_entry_page,
    audit_filter_choices,
    audit_filters_clean,
    user_is_auditor,
)


def audit_access(request: HttpRequest) -> None:
    """Only staff and members of the "auditor" group may read the audit log."""
    if not user_is_auditor(request.user):
        raise PermissionDenied("The audit log is open to auditors and staff only.")


def _cursor(request: HttpRequest, name: str) -> int | None:
    """A page cursor (?before= / ?after=, a seq); anything else means none."""
    value = request.GET.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _with_current(values: list[str], current: str) -> list[str]:
    """A dropdown's values, keeping the one in the URL even when not listed."""
    return values if not current or current in values else [current, *values]


@login_required
@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    audit_access(request)
    filters = audit_filters_clean(request.GET)
    error = ""
    try:
        page = audit_entry_page(
            filters=filters, before=_cursor(request, "before"), after=_cursor(request, "after")
        )
    except ValueError as exc:
        error = str(exc)
        page = AuditPage(
            entries=[], newer_after=None, older_before=None, total=0, total_capped=False
        )
    choices = audit_filter_choices()
    context = {
        "page": page,
        "filters": filters,
        "query": urlencode(filters),
        "filter_error": error,
        "verify": audit_chain_last_result(),
        "events": _with_current(choices["event"], filters.get("event", "")),
        "tools": _with_current(choices["tool"], filters.get("tool", "")),
        "agents": _with_current(choices["agent"], filters.get("agent", "")),
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
