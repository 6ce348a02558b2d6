from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

from apps.core.crypto import decrypt, encrypt


class ModelEndpoint(models.Model):
    """An OpenAI-compatible chat-completions endpoint, managed by admins."""

    name = models.SlugField(unique=True)
    base_url = models.URLField(max_length=500)
    api_key_encrypted = models.TextField(blank=True, editable=False)
    model = models.CharField(max_length=200)
    temperature = models.FloatField(default=0.6)
    max_tokens = models.PositiveIntegerField(default=2048)
    input_price_per_m = models.DecimalField(
        max_digits=10, decimal_places=4, default=Decimal(0), help_text="USD per 1M prompt tokens"
    )
    output_price_per_m = models.DecimalField(
        max_digits=10,
        decimal_places=4,
        default=Decimal(0),
        help_text="USD per 1M completion tokens",
    )
    timeout_s = models.FloatField(default=60.0)
    max_retries = models.PositiveSmallIntegerField(default=3)
    concurrency_limit = models.PositiveSmallIntegerField(
        default=8, help_text="model requests at once, per worker process"
    )
    stream = models.BooleanField(default=True)
    enabled = models.BooleanField(default=True)
    last_check_at = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True, blank=True)
    last_check_latency_ms = models.FloatField(null=True, blank=True)
    last_check_message = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.model})"

    @property
    def api_key(self) -> str:
        return decrypt(self.api_key_encrypted)

    def set_api_key(self, value: str) -> None:
        self.api_key_encrypted = encrypt(value)


class Agent(models.Model):
    """An agent: a prompt, a tool set and a step budget. Rows come from data
    migrations of the domain apps and can be edited by admins."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    system_prompt = models.TextField()
    tool_names = models.JSONField(default=list)
    max_iterations = models.PositiveSmallIntegerField(default=10)
    example_prompts = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    endpoint = models.ForeignKey(
        ModelEndpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="empty: the OWM_LLM_* endpoint, or the offline planner",
    )
    fallback_endpoint = models.ForeignKey(
        ModelEndpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="used when the primary endpoint is down",
    )
    max_run_tokens = models.PositiveIntegerField(default=200_000)
    max_run_seconds = models.PositiveIntegerField(default=600)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Run(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        WAITING_APPROVAL = "waiting_approval"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        MAX_ITERATIONS = "max_iterations_reached"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.MAX_ITERATIONS)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="runs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agent_runs"
    )
    input = models.TextField()
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.QUEUED)
    provider = models.CharField(max_length=20, blank=True)  # "openai" or "offline"
    model = models.CharField(max_length=200, blank=True)
    final_answer = models.TextField(blank=True)
    error = models.TextField(blank=True)
    iterations = models.PositiveSmallIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal(0))
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.agent.slug} run {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Message(models.Model):
    """The conversation, persisted as it happens so a run can be inspected and resumed."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="messages")
    index = models.PositiveIntegerField()
    role = models.CharField(max_length=20)
    content = models.TextField(null=True, blank=True)  # noqa: DJ001  None is not "" for OpenAI
    tool_calls = models.JSONField(null=True, blank=True)
    tool_call_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=100, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="message_run_index")]

    def __str__(self) -> str:
        return f"{self.role} #{self.index}"

    def as_openai(self) -> dict[str, object]:
        message: dict[str, object] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        if self.role == "tool":
            message["tool_call_id"] = self.tool_call_id
            message["name"] = self.name
        return message


class RunEvent(models.Model):
    """A live event, persisted before it is broadcast; `seq` orders it within its run."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="runevent_run_seq")]

    def __str__(self) -> str:
        return f"{self.type} #{self.seq}"

    def as_payload(self) -> dict[str, object]:
        return {
            "run_id": str(self.run_id),
            "seq": self.seq,
            "type": self.type,
            "data": self.data,
            "ts": self.created_at.isoformat(),
        }


class UsageDaily(models.Model):
    """Tokens and cost rolled up per day, agent, user and model."""

    day = models.DateField()
    agent = models.CharField(max_length=50)
    user = models.CharField(max_length=150)
    model = models.CharField(max_length=200)
    model_turns = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal(0))

    class Meta:
        ordering = ["-day", "agent"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agent", "user", "model"], name="usage_daily_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agent} {self.user} {self.model}"
