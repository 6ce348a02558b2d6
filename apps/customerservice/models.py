"""Customer service: customers, the knowledge base, inquiries as they arrive,
and the tickets humans work when an inquiry is escalated."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Tier(models.TextChoices):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class Priority(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class Customer(models.Model):
    external_id = models.CharField(max_length=40, unique=True)  # e.g. CUST-1001
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.BRONZE)

    class Meta:
        ordering = ["external_id"]

    def __str__(self) -> str:
        return f"{self.external_id} {self.name}"


class KnowledgeCategory(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "knowledge categories"

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """A knowledge-base article. On SQLite an FTS5 table mirrors title, body
    and tags through triggers (migration 0002); on PostgreSQL the search is
    computed with SearchVector at query time."""

    category = models.ForeignKey(
        KnowledgeCategory, on_delete=models.PROTECT, related_name="articles"
    )
    title = models.CharField(max_length=200)
    body = models.TextField()
    tags = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]


class Inquiry(models.Model):
    """A customer's message as classified by analyze_customer_inquiry."""

    class Channel(models.TextChoices):
        CHAT = "chat"
        EMAIL = "email"
        PHONE = "phone"
        WEB = "web"
        AGENT = "agent"

    code = models.CharField(max_length=20, unique=True)  # INQ-<n>
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="inquiries"
    )
    customer_tier = models.CharField(max_length=10, choices=Tier.choices, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.CHAT)
    text = models.TextField()
    category = models.CharField(max_length=20, db_index=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, db_index=True)
    confidence = models.FloatField(default=0.0)
    reasons = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "inquiries"

    def __str__(self) -> str:
        return self.code


class Ticket(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        PENDING = "pending"
        RESOLVED = "resolved"
        CLOSED = "closed"

    ACTIVE = (Status.OPEN, Status.PENDING)

    code = models.CharField(max_length=20, unique=True)  # TCK-<n>
    inquiry = models.ForeignKey(
        Inquiry, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    subject = models.CharField(max_length=200)
    reason = models.TextField()
    priority = models.CharField(max_length=10, choices=Priority.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_tickets",
    )
    queue = models.CharField(max_length=40)
    sla_due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "sla_due_at"]),
            models.Index(fields=["assignee", "status"]),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_overdue(self) -> bool:
        return self.is_active and self.sla_due_at < timezone.now()


class TicketNote(models.Model):
    """Internal notes and replies to the customer (is_reply) on a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField()
    is_reply = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note on {self.ticket.code}"
