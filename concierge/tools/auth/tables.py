"""Tables of trust: API keys (stored hashed) and the audit log. Moved into tools/db/models.py with the layout."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from concierge.tools.appdb import Base, UTCDateTime, utcnow


class ApiKey(Base):
    """A credential: its SHA-256 only (the key itself is shown once), its tenant, kind and scopes.

    A key without a tenant is an operator's: it manages tenants and their keys, and reads no tenant's data.
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"), index=True, default=None)
    kind: Mapped[str] = mapped_column(String(16), default="secret")
    """`secret` (servers, staff) or `publishable` (a browser widget: create and run threads only)."""
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(32))
    """The key's first characters, to tell keys apart in a listing."""
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AuditEntry(Base):
    """One admin action: who did what to which tenant or key, and when. Never holds a secret."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TenantSecret(Base):
    """A tenant's provider keys, encrypted with the server's secret (Fernet); decrypted only to build a client."""

    __tablename__ = "tenant_secrets"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    providers: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
