"""Signed feedback URLs: a customer's browser can rate an answer without an API key.

Like LangSmith's presigned feedback tokens, but ours: the token names the run, the feedback key, the thread and
tenant, and an expiry, and carries an HMAC-SHA256 of all of them under the server secret. Changing any of them
(another run's id, a later expiry) breaks the signature; nothing is stored until a rating arrives.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_PURPOSE = b"concierge-feedback-v1:"


class InvalidToken(ValueError):
    """The token was not signed by this server, or was altered."""


class ExpiredToken(ValueError):
    """The token was genuine but its time is up."""


@dataclass(frozen=True)
class FeedbackGrant:
    """What a signed token allows: rating one run under one key until `expires_at`."""

    run_id: str
    key: str
    thread_id: str
    tenant_id: str
    expires_at: datetime


def server_secret(configured: str | None, path: Path) -> bytes:
    """The configured secret, else one generated once and kept (owner-readable only) in the data directory."""
    if configured:
        return configured.encode()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, _PURPOSE + payload.encode(), hashlib.sha256).digest())


def sign(secret: bytes, grant: FeedbackGrant) -> str:
    body = {
        "r": grant.run_id,
        "k": grant.key,
        "t": grant.thread_id,
        "n": grant.tenant_id,
        "e": int(grant.expires_at.timestamp()),
    }
    payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_signature(secret, payload)}"


def verify(secret: bytes, token: str, now: datetime | None = None) -> FeedbackGrant:
    """The grant a token holds; InvalidToken if it was not signed here, ExpiredToken once it has expired."""
    payload, _, signature = token.partition(".")
    if not payload or not signature or not hmac.compare_digest(signature, _signature(secret, payload)):
        raise InvalidToken("this feedback link is not valid")
    try:
        body = json.loads(_unb64(payload))
        grant = FeedbackGrant(
            run_id=str(body["r"]),
            key=str(body["k"]),
            thread_id=str(body["t"]),
            tenant_id=str(body["n"]),
            expires_at=datetime.fromtimestamp(int(body["e"]), UTC),
        )
    except (ValueError, KeyError, TypeError):
        raise InvalidToken("this feedback link is not valid") from None
    if (now or datetime.now(UTC)) >= grant.expires_at:
        raise ExpiredToken("this feedback link has expired")
    return grant
