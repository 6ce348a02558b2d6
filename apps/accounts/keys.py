"""The JWT signing key set.

settings.OWM_JWT_KEYS is a JSON list (or a list of dicts) of
  {"kid": "...", "alg": "HS256" | "RS256" | "EdDSA",
   "secret" | "secret_file"                      (HS256),
   "private_key" | "private_key_file",           (RS256/EdDSA, PEM; signs and verifies)
   "public_key" | "public_key_file",             (RS256/EdDSA, PEM; verifies only)
   "verify_only": true}                          (a retired key: verifies, never signs)
and settings.OWM_JWT_ACTIVE_KID names the key that signs. Unset, the set is the
single HS256 key "owm-1" made of settings.OWM_JWT_SECRET, as before key sets.

A bad entry fails loudly (ImproperlyConfigured) naming the kid."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519, rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_KID = "owm-1"
ALGORITHMS = {"HS256", "RS256", "EdDSA"}
MIN_HMAC_BYTES = 32
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    signing_key: Any  # the HMAC secret or the private key object; None: verify only
    verifying_key: Any  # the HMAC secret or the public key object
    verify_only: bool = False


@dataclass(frozen=True)
class KeySet:
    keys: dict[str, SigningKey]
    active_kid: str

    @property
    def active(self) -> SigningKey:
        return self.keys[self.active_kid]

    def get(self, kid: Any) -> SigningKey | None:
        return self.keys.get(kid) if isinstance(kid, str) else None


def _read(entry: dict[str, Any], name: str) -> str | None:
    if entry.get(name):
        return str(entry[name])
    path = entry.get(f"{name}_file")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"OWM_JWT_KEYS {entry.get('kid')!r}: {exc}") from exc
    return None


def _check_asymmetric(kid: str, alg: str, key: Any) -> None:
    public = key.public_key() if hasattr(key, "public_key") else key
    if alg == "RS256":
        if not isinstance(public, rsa.RSAPublicKey):
            raise ImproperlyConfigured(f"OWM_JWT_KEYS {kid!r}: RS256 needs an RSA key")
        if public.key_size < MIN_RSA_BITS:
            raise ImproperlyConfigured(f"OWM_JWT_KEYS {kid!r}: RSA keys need {MIN_RSA_BITS}+ bits")
    elif not isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        raise ImproperlyConfigured(f"OWM_JWT_KEYS {kid!r}: EdDSA needs an Ed25519/Ed448 key")


def _asymmetric(kid: str, alg: str, entry: dict[str, Any]) -> tuple[Any, Any]:
    private_pem, public_pem = _read(entry, "private_key"), _read(entry, "public_key")
    try:
        private = (
            serialization.load_pem_private_key(private_pem.encode(), password=None)
            if private_pem
            else None
        )
        if public_pem:
            public: Any = serialization.load_pem_public_key(public_pem.encode())
        else:
            public = private.public_key() if private is not None else None
    except ValueError as exc:
        raise ImproperlyConfigured(f"OWM_JWT_KEYS {kid!r}: unreadable PEM key") from exc
    if public is None:
        raise ImproperlyConfigured(f"OWM_JWT_KEYS {kid!r}: needs private_key or public_key")
    _check_asymmetric(kid, alg, public)
    return private, public


def _key(entry: dict[str, Any]) -> SigningKey:
    kid, alg = str(entry.get("kid") or ""), entry.get("alg")
    if not kid:
        raise ImproperlyConfigured("OWM_JWT_KEYS: every key needs a kid")
    if alg not in ALGORITHMS:
        raise ImproperlyConfigured(f"OWM_JWT_KEYS {kid!r}: alg must be one of {sorted(ALGORITHMS)}")
    if alg == "HS256":
        secret = _read(entry, "secret")
        if not secret or len(secret.encode()) < MIN_HMAC_BYTES:
            raise ImproperlyConfigured(
                f"OWM_JWT_KEYS {kid!r}: HS256 needs a secret of {MIN_HMAC_BYTES}+ bytes"
            )
        signing, verifying = secret, secret
    else:
        signing, verifying = _asymmetric(kid, alg, entry)
    verify_only = bool(entry.get("verify_only")) or signing is None
    return SigningKey(kid, alg, None if verify_only else signing, verifying, verify_only)


@lru_cache(maxsize=8)
def _build(raw: str, active_kid: str | None, secret: str) -> KeySet:
    entries = json.loads(raw) if raw else [{"kid": DEFAULT_KID, "alg": "HS256", "secret": secret}]
    if not isinstance(entries, list) or not entries:
        raise ImproperlyConfigured("OWM_JWT_KEYS must be a non-empty JSON list of keys")
    keys: dict[str, SigningKey] = {}
    for entry in entries:
        key = _key(entry)
        if key.kid in keys:
            raise ImproperlyConfigured(f"OWM_JWT_KEYS: duplicate kid {key.kid!r}")
        keys[key.kid] = key
    active = active_kid or next((k.kid for k in keys.values() if not k.verify_only), "")
    if active not in keys or keys[active].verify_only:
        raise ImproperlyConfigured(
            f"OWM_JWT_ACTIVE_KID={active!r} must name a key of OWM_JWT_KEYS that can sign"
        )
    return KeySet(keys=keys, active_kid=active)


def key_set() -> KeySet:
    """The configured key set (parsed once per distinct configuration)."""
    raw = getattr(settings, "OWM_JWT_KEYS", None) or ""
    try:
        text = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True)
    except TypeError as exc:
        raise ImproperlyConfigured("OWM_JWT_KEYS must be JSON") from exc
    try:
        return _build(
            text, getattr(settings, "OWM_JWT_ACTIVE_KID", None) or None, settings.OWM_JWT_SECRET
        )
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"OWM_JWT_KEYS is not valid JSON: {exc}") from exc
