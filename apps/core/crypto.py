"""Encryption at rest for secrets stored in the database (API keys of model
endpoints). Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from
OWM_FIELD_ENCRYPTION_KEY, or SECRET_KEY when that is unset."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class DecryptionError(ValueError):
    """The value was encrypted with another key (or was altered)."""


@cache
def _fernet(material: str) -> Fernet:
    digest = hashlib.sha256(f"owm-field-encryption:{material}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _key_material() -> str:
    return getattr(settings, "OWM_FIELD_ENCRYPTION_KEY", None) or settings.SECRET_KEY


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return _fernet(_key_material()).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(_key_material()).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("cannot decrypt: wrong OWM_FIELD_ENCRYPTION_KEY?") from exc
