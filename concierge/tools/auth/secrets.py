"""The server's secret: encrypts tenants' provider keys at rest (Fernet) and signs thread tokens (HMAC).

The secret comes from `CONCIERGE_SECRET_KEY` (one or more comma-separated values; the first encrypts, all
decrypt, so a key can be rotated). Without it, the embedded default generates one into the data directory on
first start (`secret.key`, mode 0600): fine on one machine, but replicas must share `CONCIERGE_SECRET_KEY`.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SECRET_FILE = "secret.key"


class SecretError(RuntimeError):
    """Stored secrets cannot be read with the configured key (it changed, or the data was tampered with)."""


def _derive(secret: str, purpose: bytes) -> bytes:
    return hashlib.sha256(purpose + b"\0" + secret.encode()).digest()


def load_or_create_secret(configured: str | None, data_dir: Path) -> str:
    """The configured secret, else the one in the data directory, generated (0600) the first time."""
    if configured:
        return configured
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text().strip()


class SecretBox:
    """Encrypts JSON for storage and signs short values; one instance per process."""

    def __init__(self, secret: str) -> None:
        keys = [k.strip() for k in secret.split(",") if k.strip()]
        if not keys:
            raise ValueError("empty secret key")
        self._fernet = MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(k, b"fernet"))) for k in keys])
        self._signing = _derive(keys[0], b"thread-token")

    def encrypt(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(value, sort_keys=True).encode()).decode()

    def decrypt(self, token: str | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise SecretError(
                "stored provider keys cannot be decrypted: CONCIERGE_SECRET_KEY is not the key they were stored with"
            ) from None

    def sign(self, message: str) -> str:
        digest = hmac.new(self._signing, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def verify(self, message: str, signature: str | None) -> bool:
        return bool(signature) and hmac.compare_digest(self.sign(message), signature or "")

    def thread_token(self, tenant_id: str, thread_id: str) -> str:
        """What a customer's browser holds to read and continue one thread, and nothing else."""
        return "tt_" + self.sign(f"thread:{tenant_id}:{thread_id}")

    def check_thread_token(self, tenant_id: str, thread_id: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.thread_token(tenant_id, thread_id), token or "")
