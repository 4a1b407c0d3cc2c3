"""Signing deliveries: HMAC-SHA256 over "<timestamp>.<body>", with a secret per webhook.

The receiver recomputes the signature from the raw body and the timestamp header, compares it in
constant time, and refuses a timestamp too old (a replayed delivery).
"""

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Consultrack-Signature"
TIMESTAMP_HEADER = "X-Consultrack-Timestamp"
EVENT_HEADER = "X-Consultrack-Event"
DELIVERY_HEADER = "X-Consultrack-Delivery"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of b"<timestamp>.<body>" under `secret`."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header: "t=<timestamp>,v1=<hex signature>"."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """True when `header` signs `body` under `secret` with a timestamp within `tolerance` seconds of `now`."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))
