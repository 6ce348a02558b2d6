"""Identity state: refresh tokens (rotation and reuse detection), revoked token
ids and families, the per-user "sign out everywhere" cut-off, and service
accounts with their API keys."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class RefreshToken(models.Model):
    """One issued refresh token. Refreshing marks it used and issues the next
    one in the same family; presenting a used one again revokes the family."""

    jti = models.CharField(max_length=64, unique=True)
    family = models.CharField(max_length=64, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"refresh {self.jti[:8]} ({self.user_id})"


class RevokedToken(models.Model):
    """A revoked access-token id ("jti:<id>") or token family ("fam:<id>").

    Verification looks both up in one indexed query; a row is useless once
    every token it could match has expired, so `expires_at` lets it be pruned."""

    key = models.CharField(max_length=80, unique=True)
    reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key


class TokenCutoff(models.Model):
    """Every token of `user` issued before `valid_after` is rejected."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="token_cutoff"
    )
    valid_after = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id} tokens valid after {self.valid_after.isoformat()}"


class ServiceAccount(models.Model):
    """A non-human user (no usable password) that acts through API keys. The
    roles of the account's user (its Django groups) are the roles its keys act with."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account"
    )
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_username()


class ApiKey(models.Model):
    """`owm_<prefix>_<secret>`: only the prefix and the sha256 of the secret are kept."""

    account = models.ForeignKey(ServiceAccount, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (owm_{self.prefix}_…)"

    def is_usable(self, *, now: object = None) -> bool:
        moment = now or timezone.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > moment  # type: ignore[operator]

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"
