"""`concierge catalog import FILE`: load a catalog file for a tenant from the terminal, with the row report."""

import asyncio
from pathlib import Path

from concierge.tools.appdb import Tenant
from concierge.tools.catalog_import import CatalogFileError, Kind, import_catalog
from concierge.tools.settings import Settings


def format_report(report: dict) -> str:
    lines = [
        f"imported into {report['tenant_id']!r}: accepted={report['accepted']} created={report['created']} "
        f"updated={report['updated']} rejected={report['rejected_count']}"
    ]
    for r in report["rejected"]:
        key = f" ({r['key']})" if r["key"] else ""
        lines.append(f"  rejected {r['kind']} row {r['row']}{key}: {r['reason']}")
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
    from concierge.tools.toolbox import Toolbox

    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise SystemExit(f"concierge catalog import: cannot read {path}: {exc.strerror or exc}") from None
    tools = await Toolbox.from_settings(settings).open()
    try:
        if create:
            async with tools.db.session() as s:
                if await s.get(Tenant, tenant_id) is None:
                    s.add(Tenant(id=tenant_id, name=tenant_id, timezone=timezone, currency=currency.upper()))
                    await s.commit()
        try:
            report = await import_catalog(tools.db, tenant_id, data, path.name, kind)
        except CatalogFileError as exc:
            raise SystemExit(f"concierge catalog import: cannot read {path.name}: {exc}") from None
        except LookupError as exc:
            raise SystemExit(f"concierge catalog import: {exc.args[0]} (pass --create to create it)") from None
    finally:
        await tools.close()
    return format_report({"tenant_id": tenant_id, **report.as_dict()})
