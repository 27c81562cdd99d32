"""Seed the demo tenant. Idempotent: running it again updates rows in place and duplicates nothing."""

import json
import os
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from concierge.tools.auth.keys import SCOPES, create_key, find_key, hash_key
from concierge.tools.catalog.version import bump_version
from concierge.tools.db.models import ApiKey, Product, Service, Slot, Tenant
from concierge.tools.demo.pdf import markdown_to_pdf
from concierge.tools.documents.ingest import ingest_file
from concierge.tools.toolbox import Toolbox

CONTENT = resources.files("concierge.tools.demo") / "content"
SLOT_WEEKS = 3
_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Context fields a tenant stores in its settings.
TENANT_SETTINGS = ("agent_can_do", "agent_cannot_do", "attribution_style", "allowed_origins")
DEMO_KEYS_FILE = "demo-keys.json"
"""The demo tenant's keys in plain text, mode 0600, so `scripts/start` can print a ready-to-paste example: a demo
convenience only. A real tenant's keys are shown once (`concierge keys create`) and stored nowhere but hashed."""


def _load(name: str) -> Any:
    return json.loads((CONTENT / name).read_text())


async def seed_demo(tools: Toolbox, today: date | None = None, tenant_id: str | None = None) -> dict[str, int]:
    """Create or refresh the demo tenant; returns what it holds.

    `tenant_id` seeds the same content as another tenant (tests that need two alike); only the demo gets keys.
    """
    spec = _load("tenant.json")
    tenant_id, tz = tenant_id or spec["id"], ZoneInfo(spec["timezone"])
    today = today or datetime.now(tz).date()
    async with tools.db.session() as s:
        tenant = await s.get(Tenant, tenant_id) or Tenant(id=tenant_id)
        tenant.name, tenant.description = spec["name"], spec["description"]
        tenant.timezone, tenant.currency = spec["timezone"], spec["currency"]
        tenant.settings = {**(tenant.settings or {}), **{k: spec[k] for k in TENANT_SETTINGS}}
        s.add(tenant)
        await s.flush()

        for row in _load("products.json"):
            product = await s.scalar(select(Product).where(Product.tenant_id == tenant_id, Product.sku == row["sku"]))
            product = product or Product(tenant_id=tenant_id, sku=row["sku"])
            for key in ("name", "category", "brand", "model_number", "description", "tags", "currency", "stock"):
                setattr(product, key, row[key])
            product.price = Decimal(str(row["price"]))
            s.add(product)

        slots = 0
        for row in _load("services.json"):
            service = await s.scalar(select(Service).where(Service.tenant_id == tenant_id, Service.code == row["code"]))
            service = service or Service(tenant_id=tenant_id, code=row["code"])
            for key in ("name", "description", "duration_minutes", "currency"):
                setattr(service, key, row[key])
            service.price = Decimal(str(row["price"]))
            s.add(service)
            await s.flush()
            for start in _schedule(row["schedule"], today, tz):
                exists = await s.scalar(select(Slot.id).where(Slot.service_id == service.id, Slot.start == start))
                if exists is None:
                    end = start + timedelta(minutes=row["duration_minutes"])
                    s.add(
                        Slot(tenant_id=tenant_id, service_id=service.id, start=start, end=end, capacity=row["capacity"])
                    )
                    slots += 1
        await bump_version(s, tenant_id)
        await s.commit()
    tools.catalog.invalidate(tenant_id)

    documents = 0
    for path, media_type, title in _documents(tools.settings.data_dir / "demo"):
        doc = await ingest_file(tools, tenant_id, path, path.name, media_type, title)
        if doc.status != "completed":
            raise RuntimeError(f"demo document {path.name} failed: {doc.error}")
        documents += 1
    keys = await seed_demo_keys(tools, tenant_id) if tenant_id == spec["id"] else {}
    return {
        "keys": len(keys),
        "products": len(_load("products.json")),
        "services": len(_load("services.json")),
        "new_slots": slots,
        "documents": documents,
    }


async def seed_demo_keys(tools: Toolbox, tenant_id: str) -> dict[str, str]:
    """The demo's keys, kept across re-seeding: a secret key with every scope and a publishable key.

    Read from the 0600 file when it holds live keys; stored again under the same text when the database is new;
    made afresh otherwise.
    """
    path = tools.settings.data_dir / DEMO_KEYS_FILE
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted = {"secret": ("demo staff (all scopes)", list(SCOPES)), "publishable": ("demo widget", ["chat"])}
    out: dict[str, str] = {}
    for kind, (name, scopes) in wanted.items():
        key = kept.get(kind)
        if key and await find_key(tools.db, key) is not None:
            out[kind] = key
            continue
        stale = key if key and await _unknown(tools, key) else None
        _, out[kind] = await create_key(tools.db, tenant_id, kind, scopes, name, "seed-demo", key=stale)  # type: ignore[arg-type]
    if out != kept:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(out, f, indent=2)
    path.chmod(0o600)
    return out


async def _unknown(tools: Toolbox, key: str) -> bool:
    """True when no row holds this key (a new database): it can be stored again; False when it was revoked."""
    async with tools.db.session() as s:
        return await s.scalar(select(ApiKey.id).where(ApiKey.key_hash == hash_key(key))) is None


def _schedule(schedule: list[dict], today: date, tz: ZoneInfo) -> list[datetime]:
    """Concrete start times from today over the coming weeks for a weekly schedule like `{"weekday": "sat", ...}`.

    Today's slots that have already started are kept but never offered: searches only look from now on.
    """
    starts = []
    for offset in range(SLOT_WEEKS * 7):
        day = today + timedelta(days=offset)
        for entry in schedule:
            if _WEEKDAYS.index(entry["weekday"]) == day.weekday():
                starts += [datetime.combine(day, time.fromisoformat(t), tz) for t in entry["times"]]
    return starts


DOCUMENTS = {"faq.md": "Customer FAQ", "policies.md": "Store policies"}


def _documents(workdir: Path) -> list[tuple[Path, str, str]]:
    """The demo's documents as files: two Markdown files and the services guide rendered as a PDF."""
    workdir.mkdir(parents=True, exist_ok=True)
    files = []
    for name, title in DOCUMENTS.items():
        target = workdir / name
        target.write_text((CONTENT / name).read_text())
        files.append((target, "text/markdown", title))
    guide = workdir / "services-guide.pdf"
    markdown_to_pdf((CONTENT / "services_guide.md").read_text(), guide, "Inkwell & Oak services guide")
    files.append((guide, "application/pdf", "Services guide"))
    return files
