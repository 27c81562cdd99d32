"""`concierge catalog import FILE`: load a catalog file for a tenant from the terminal, with the row report."""

import asyncio
from pathlib import Path

from concierge.tools.catalog.importer import CatalogFileError, Kind, import_catalog
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.migrate import upgrade
from concierge.tools.db.models import Tenant
from concierge.tools.settings import Settings


def format_report(report: dict) -> str:
    lines = [
        f"imported into {report['tenant_id']!r}: accepted={report['accepted']} created={report['created']} "
        f"updated={report['updated']} rejected={report['rejected_count']}"
    ]
    if report.get("format"):
        lines[0] += f" format={report['format']}"
    by_kind = report.get("accepted_by_kind") or {}
    if len(by_kind) > 1:
        lines.append("accepted: " + " ".join(f"{k}={n}" for k, n in by_kind.items()))
    variants = report.get("variants") or {}
    if any(variants.values()):
        lines.append("variants: " + " ".join(f"{k}={v}" for k, v in variants.items()))
    for r in report["rejected"]:
        key = f" ({r['key']})" if r["key"] else ""
        lines.append(f"  rejected {r['kind']} row {r['row']}{key}: {r['reason']}")
    for r in report.get("skipped", []):
        key = f" ({r['key']})" if r["key"] else ""
        lines.append(f"  skipped {r['kind']} row {r['row']}{key}: {r['reason']}")
    for c in report.get("ignored", []):
        lines.append(f"  ignored column {c['column']!r}: {c['reason']}")
    for c in report.get("combined", []):
        rows = ", ".join(str(r) for r in c["rows"])
        lines.append(f"  combined {c['kind']} rows {rows} ({c['key']}): {c['note']}")
    for change in report.get("rekeyed", []):
        lines.append(f"  rekeyed {change}: stored before under the old key")
    return "\n".join(lines)


async def import_command(
    settings: Settings,
    path: Path,
    tenant_id: str,
    kind: Kind | None,
    create: bool,
    timezone: str,
    currency: str,
) -> str:
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise SystemExit(f"concierge catalog import: cannot read {path}: {exc.strerror or exc}") from None
    # The database alone: no toolbox, so the command starts without loading LangGraph or the tokenizer.
    await asyncio.to_thread(settings.ensure_dirs)
    db = AppDatabase(settings.app_db_url, settings.database_schema)
    try:
        await upgrade(db.engine)
        if create:
            async with db.session() as s:
                if await s.get(Tenant, tenant_id) is None:
                    s.add(Tenant(id=tenant_id, name=tenant_id, timezone=timezone, currency=currency.upper()))
                    await s.commit()
        try:
            report = await import_catalog(db, tenant_id, data, path.name, kind)
        except CatalogFileError as exc:
            raise SystemExit(f"concierge catalog import: cannot read {path.name}: {exc}") from None
        except LookupError as exc:
            raise SystemExit(f"concierge catalog import: {exc.args[0]} (pass --create to create it)") from None
    finally:
        await db.dispose()
    return format_report({"tenant_id": tenant_id, **report.as_dict()})
