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


def server_secret(configured: str | None, data_dir: Path) -> str:
    """`CONCIERGE_SECRET_KEY` (the first, when several are listed for rotation), else the one kept in the data
    directory (`secret.key`, 0600), generated the first time: the same secret the rest of the server uses."""
    if configured:
        return configured.split(",")[0].strip()
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_text().strip()
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text().strip()


class FeedbackLinks:
    """Makes and checks signed feedback URLs with a key derived from the server secret for this purpose only."""

    def __init__(self, secret: str, ttl_s: float) -> None:
        self._key = hashlib.sha256(_PURPOSE + secret.encode()).digest()
        self.ttl_s = ttl_s

    def token(self, *, run_id: str, key: str, thread_id: str, tenant_id: str, now: datetime | None = None) -> str:
        expires = (now or datetime.now(UTC)).timestamp() + self.ttl_s
        grant = FeedbackGrant(run_id, key, thread_id, tenant_id, datetime.fromtimestamp(int(expires), UTC))
        return sign(self._key, grant)

    def check(self, token: str, now: datetime | None = None) -> FeedbackGrant:
        return verify(self._key, token, now)


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
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, then a 500, for a forged URL).
    expected = _signature(secret, payload).encode()
    if not payload or not signature or not hmac.compare_digest(signature.encode(), expected):
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
