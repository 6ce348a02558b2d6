"""Support pages: the ticket queue, a ticket a human works (htmx partials),
the inquiries log and the knowledge-base editor."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from apps.customerservice import selectors, services
from apps.customerservice.classifier import CATEGORIES
from apps.customerservice.forms import ArticleForm, AssignForm, NoteForm, StatusForm
from apps.customerservice.models import Article, Priority, Ticket

PER_PAGE = 25


def _page(request: HttpRequest, rows: Any, filters: dict[str, str]) -> dict[str, Any]:
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})
    return {"page": page, "query": query, **filters}


def _require_worker(request: HttpRequest) -> None:
    if not selectors.user_can_work_tickets(request.user):
        raise PermissionDenied("You may look at tickets but not work them.")


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "") for key in ("status", "priority", "assignee", "queue")}
    if "status" not in request.GET:
        filters["status"] = "active"
    assignee = str(request.user.pk) if filters["assignee"] == "me" else filters["assignee"]
    tickets = selectors.ticket_list(
        status=filters["status"],
        priority=filters["priority"],
        assignee=assignee,
        queue=filters["queue"],
    )
    context = _page(request, tickets, filters)
    context.update(
        statuses=Ticket.Status.choices,
        priorities=Priority.choices,
        queues=selectors.ticket_queues(),
        members=selectors.assignable_users(),
    )
    return render(request, "customerservice/tickets.html", context)


def _ticket_or_404(code: str) -> Ticket:
    ticket = selectors.ticket_get(code=code)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _render_ticket(request: HttpRequest, ticket: Ticket, **forms: Any) -> HttpResponse:
    context = {
        "ticket": ticket,
        "can_work": selectors.user_can_work_tickets(request.user),
        "members": selectors.assignable_users(),
        "statuses": Ticket.Status.choices,
        "note_form": forms.get("note_form") or NoteForm(),
        "form_error": forms.get("form_error", ""),
    }
    template = "customerservice/ticket.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#work"
    return render(request, template, context, status=forms.get("status", 200))


@login_required
def ticket_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _render_ticket(request, _ticket_or_404(code))


def _after_change(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return _render_ticket(request, _ticket_or_404(ticket.code))
    return redirect("customerservice:ticket", code=ticket.code)


@login_required
@require_POST
def ticket_assign(request: HttpRequest, code: str) -> HttpResponse:
    _require_worker(request)
    ticket = _ticket_or_404(code)
    form = AssignForm(request.POST, users=list(selectors.assignable_users()))
    if not form.is_valid():
        return _render_ticket(request, ticket, form_error="Choose a support member.", status=400)
    value = form.cleaned_data["assignee"]
    assignee = request.user if value == "me" else form.users.get(value)
    services.ticket_assign(ticket=ticket, assignee=assignee, actor=request.user)
    return _after_change(request, ticket)


@login_required
@require_POST
def ticket_note(request: HttpRequest, code: str) -> HttpResponse:
    _require_worker(request)
    ticket = _ticket_or_404(code)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, note_form=form, status=400)
    services.ticket_note_add(
        ticket=ticket,
        author=request.user,
        body=form.cleaned_data["body"],
        is_reply=form.cleaned_data["is_reply"],
    )
    return _after_change(request, ticket)


@login_required
@require_POST
def ticket_status(request: HttpRequest, code: str) -> HttpResponse:
    _require_worker(request)
    ticket = _ticket_or_404(code)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, form_error="Choose a valid status.", status=400)
    services.ticket_status_set(
        ticket=ticket, status=form.cleaned_data["status"], actor=request.user
    )
    return _after_change(request, ticket)


@login_required
def inquiry_list(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "") for key in ("category", "priority")}
    inquiries = selectors.inquiry_list(**filters)
    context = _page(request, inquiries, filters)
    context.update(categories=CATEGORIES, priorities=Priority.choices)
    return render(request, "customerservice/inquiries.html", context)


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "").strip() for key in ("category", "q")}
    articles = selectors.article_list(**filters)
    context = _page(request, articles, filters)
    context.update(
        categories=selectors.category_list(),
        can_edit=selectors.user_can_work_tickets(request.user),
    )
    return render(request, "customerservice/articles.html", context)


@login_required
def article_edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    _require_worker(request)
    article = get_object_or_404(Article, pk=article_id) if article_id else None
    if request.method != "POST":
        form = ArticleForm.for_article(article) if article else ArticleForm()
        return render(
            request, "customerservice/article_form.html", {"form": form, "article": article}
        )
    form = ArticleForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "customerservice/article_form.html",
            {"form": form, "article": article},
            status=400,
        )
    if article is None:
        article = services.article_create(**form.cleaned_data)
        messages.success(request, f"Article “{article.title}” created.")
    else:
        services.article_update(article=article, **form.cleaned_data)
        messages.success(request, f"Article “{article.title}” saved.")
    return redirect("customerservice:articles")
