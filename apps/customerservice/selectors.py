"""Reads for customer service, including the knowledge-base search that hides
the database difference (FTS5 on SQLite, tsvector ranking on PostgreSQL)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet

from apps.customerservice.models import (
    Article,
    Customer,
    Inquiry,
    KnowledgeCategory,
    Ticket,
    TicketNote,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

SUPPORT_GROUP = "support"
ALL_CATEGORIES = frozenset({"all", "any", "*", ""})
FTS_TABLE = "customerservice_article_fts"
SNIPPET_MARK = "**"
STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be by can do does for from how i in is it me my of on or our "
        "the to what when where which who why with you your",
    )
)


@dataclass(frozen=True)
class ArticleHit:
    id: int
    title: str
    category: str
    snippet: str
    score: float


def search_terms(query: str) -> list[str]:
    """The words of `query` worth searching for (stop words dropped unless nothing is left)."""
    words = list(dict.fromkeys(re.findall(r"\w+", query.lower())))
    kept = [w for w in words if w not in STOPWORDS]
    return kept or words


def article_search(*, query: str, category: str | None = None, limit: int = 5) -> list[ArticleHit]:
    """Published articles matching any word of `query`, best first.

    `category` is a category slug, or None / "all" / "any" for every category.
    Ranking favours matches in the title, then tags, then body."""
    terms = search_terms(query)
    if not terms:
        return []
    slug = None if category is None or category.lower() in ALL_CATEGORIES else category
    if connection.vendor == "postgresql":
        return _search_postgres(terms, slug, limit)
    if connection.vendor == "sqlite":
        return _search_sqlite(terms, slug, limit)
    return _search_plain(terms, slug, limit)


def _search_sqlite(terms: list[str], slug: str | None, limit: int) -> list[ArticleHit]:
    match = " OR ".join('"' + term.replace('"', "") + '"' for term in terms)
    sql = f"""
        SELECT a.id, a.title, c.slug,
               snippet({FTS_TABLE}, 1, %s, %s, '…', 16),
               bm25({FTS_TABLE}, 10.0, 1.0, 4.0) AS rank
        FROM {FTS_TABLE} f
        JOIN customerservice_article a ON a.id = f.rowid
        JOIN customerservice_knowledgecategory c ON c.id = a.category_id
        WHERE {FTS_TABLE} MATCH %s AND a.published AND (%s IS NULL OR c.slug = %s)
        ORDER BY rank, a.id
        LIMIT %s
    """  # noqa: S608 -- the table name is a constant; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [SNIPPET_MARK, SNIPPET_MARK, match, slug, slug, limit])
        rows = cursor.fetchall()
    return [
        ArticleHit(pk, title, cat, snip, round(-rank, 4)) for pk, title, cat, snip, rank in rows
    ]


def _search_postgres(terms: list[str], slug: str | None, limit: int) -> list[ArticleHit]:
    from django.contrib.postgres.search import (
        SearchHeadline,
        SearchQuery,
        SearchRank,
        SearchVector,
    )

    config = "english"
    vector = (
        SearchVector("title", weight="A", config=config)
        + SearchVector("tags", weight="B", config=config)
        + SearchVector("body", weight="C", config=config)
    )
    search = reduce(or_, (SearchQuery(term, config=config) for term in terms))
    articles = _published(slug).annotate(document=vector).filter(document=search)
    articles = articles.annotate(
        rank=SearchRank(vector, search),
        snippet=SearchHeadline(
            "body",
            search,
            config=config,
            start_sel=SNIPPET_MARK,
            stop_sel=SNIPPET_MARK,
            max_words=30,
            min_words=12,
        ),
    ).order_by("-rank", "id")[:limit]
    return [
        ArticleHit(a.pk, a.title, a.category.slug, a.snippet, round(float(a.rank), 4))
        for a in articles
    ]


def _search_plain(terms: list[str], slug: str | None, limit: int) -> list[ArticleHit]:
    """Other databases: substring matches, title hits counted three times."""
    matching = _published(slug).filter(
        reduce(or_, (Q(title__icontains=t) | Q(body__icontains=t) for t in terms))
    )
    hits = []
    for article in matching:
        title, body = article.title.lower(), article.body.lower()
        score = sum(3 * (t in title) + body.count(t) for t in terms)
        hits.append(
            ArticleHit(
                article.pk, article.title, article.category.slug, article.body[:200], float(score)
            )
        )
    return sorted(hits, key=lambda h: (-h.score, h.id))[:limit]


def _published(slug: str | None) -> QuerySet[Article]:
    articles = Article.objects.filter(published=True).select_related("category")
    return articles.filter(category__slug=slug) if slug else articles


def category_get(*, slug: str) -> KnowledgeCategory | None:
    return KnowledgeCategory.objects.filter(slug__iexact=slug.strip()).first()


def category_slugs() -> list[str]:
    return list(KnowledgeCategory.objects.order_by("slug").values_list("slug", flat=True))


def category_list() -> QuerySet[KnowledgeCategory]:
    return KnowledgeCategory.objects.annotate(article_count=Count("articles")).order_by("name")


def article_list(*, category: str = "", q: str = "") -> QuerySet[Article]:
    articles = Article.objects.select_related("category")
    if category and category.lower() not in ALL_CATEGORIES:
        articles = articles.filter(category__slug=category)
    if q:
        articles = articles.filter(Q(title__icontains=q) | Q(tags__icontains=q))
    return articles


def customer_get(*, external_id: str) -> Customer | None:
    return Customer.objects.filter(external_id__iexact=external_id.strip()).first()


def inquiry_get(*, code: str) -> Inquiry | None:
    return Inquiry.objects.select_related("customer").filter(code__iexact=code.strip()).first()


def inquiry_recent_codes(*, limit: int = 5) -> list[str]:
    return list(Inquiry.objects.values_list("code", flat=True)[:limit])


def inquiry_list(*, category: str = "", priority: str = "") -> QuerySet[Inquiry]:
    inquiries = (
        Inquiry.objects.select_related("customer")
        .annotate(ticket_count=Count("tickets"))
        .order_by("-created_at", "-id")  # an aggregate ignores Meta.ordering
    )
    if category:
        inquiries = inquiries.filter(category=category)
    if priority:
        inquiries = inquiries.filter(priority=priority)
    return inquiries


def ticket_list(
    *, status: str = "", priority: str = "", assignee: str = "", queue: str = ""
) -> QuerySet[Ticket]:
    """Tickets for the queue: most urgent SLA first. `assignee` is a user id,
    "me" is resolved by the caller, "none" means unassigned."""
    tickets = Ticket.objects.select_related("assignee", "inquiry").order_by("sla_due_at", "id")
    if status == "active":
        tickets = tickets.filter(status__in=Ticket.ACTIVE)
    elif status:
        tickets = tickets.filter(status=status)
    if priority:
        tickets = tickets.filter(priority=priority)
    if assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee.isdigit():
        tickets = tickets.filter(assignee_id=int(assignee))
    if queue:
        tickets = tickets.filter(queue=queue)
    return tickets


def ticket_get(*, code: str) -> Ticket | None:
    notes = TicketNote.objects.select_related("author")
    return (
        Ticket.objects.select_related("assignee", "inquiry", "inquiry__customer")
        .prefetch_related(Prefetch("notes", queryset=notes))
        .filter(code__iexact=code.strip())
        .first()
    )


def ticket_open_for_inquiry(*, inquiry: Inquiry) -> Ticket | None:
    return inquiry.tickets.filter(status__in=Ticket.ACTIVE).order_by("id").first()


def ticket_queues() -> list[str]:
    return list(Ticket.objects.order_by("queue").values_list("queue", flat=True).distinct())


def support_members() -> QuerySet[AbstractBaseUser]:
    """Active members of the "support" group, each with its open-ticket count."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=SUPPORT_GROUP)
        .annotate(
            open_tickets=Count(
                "support_tickets", filter=Q(support_tickets__status__in=Ticket.ACTIVE)
            )
        )
        .order_by("username")
    )


def support_assignee_pick() -> AbstractBaseUser | None:
    """The assignment rule: the active support member with the fewest open or
    pending tickets; ties go to the member with the lowest id. None when the
    group has no active member (the ticket stays unassigned in its queue)."""
    return support_members().order_by("open_tickets", "id").first()


def assignable_users() -> QuerySet[AbstractBaseUser]:
    """Who a ticket may be handed to on the ticket page: support members and staff."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name=SUPPORT_GROUP) | Q(is_staff=True))
        .distinct()
        .order_by("username")
    )


def user_can_work_tickets(user: AbstractBaseUser) -> bool:
    """Who may assign, reply to and change tickets and edit the knowledge base:
    staff, members of the support group, and users allowed to run tools."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff or user.has_perm("tools.use_tools"):
        return True
    return user.groups.filter(name=SUPPORT_GROUP).exists()  # type: ignore[attr-defined]
