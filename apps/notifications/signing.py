"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

The signed content is "<msg_id>.<timestamp>.<body>"; the key is the base64
part of a "whsec_..." secret; the header value is "v1,<base64 HMAC-SHA256>",
several space-separated when secrets rotate. Shared with the webhooks app."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"
TOLERANCE_S = 5 * 60


class SignatureError(ValueError):
    pass


def secret_generate() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    raw = secret[len(PREFIX) :] if secret.startswith(PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise SignatureError("the secret is not whsec_<base64>") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value for one message: "v1,<base64 HMAC>"."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for a POST of `body`."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body),
    }


def verify(
    secret: str,
    msg_id: str,
    timestamp: int | str,
    body: bytes,
    signature: str,
    *,
    tolerance_s: int = TOLERANCE_S,
    now: int | None = None,
) -> bool:
    """True when one of the "v1,..." signatures matches and the timestamp is
    within `tolerance_s` of now (either way). Compares in constant time."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = int(time.time()) if now is None else now
    if abs(current - ts) > tolerance_s:
        return False
    try:
        expected = sign(secret, msg_id, ts, body).encode()
    except SignatureError:
        return False
    found = False
    for candidate in signature.split():
        if candidate.startswith("v1,"):
            found |= hmac.compare_digest(candidate.encode(), expected)
    return found
