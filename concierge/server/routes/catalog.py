"""Catalog: import products, services and slots from CSV or JSON; list and search what the tenant sells."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request, Security
from sqlalchemy import select
from starlette.datastructures import UploadFile

from concierge.server.auth import require
from concierge.server.deps import App, CurrentTenant
from concierge.tools.catalog.importer import KINDS, CatalogFileError, Kind, import_catalog
from concierge.tools.db.models import Service, Slot

router = APIRouter(
    prefix="/catalog", tags=["catalog"], dependencies=[Security(require, scopes=["integrations:manage"])]
)


@router.post("/import")
async def import_file(
    request: Request, tenant: CurrentTenant, app: App, kind: Annotated[Kind | None, Query()] = None
) -> dict[str, Any]:
    """Import rows from a multipart upload (field `file`), a JSON body, or a `text/csv` body.

    A CSV holds one kind (`?kind=products|services|slots`, default products); JSON may hold all three.
    The answer counts rows accepted, created and updated, and lists each rejected row with the reason.
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    filename = ""
    limit = int(app.tools.settings.max_import_mb * 1024 * 1024)  # the body itself is cut off at this size as it arrives
    if ctype == "multipart/form-data":
        form = await request.form(max_part_size=limit)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, "multipart body needs a `file` field holding the CSV or JSON file")
        form_kind = form.get("kind")
        if isinstance(form_kind, str) and form_kind:
            if form_kind not in KINDS:
                raise HTTPException(422, f"kind must be one of {', '.join(KINDS)}")
            kind = kind or form_kind  # type: ignore[assignment]
        data, filename = await upload.read(), upload.filename or ""
    elif ctype in ("application/json", "text/csv", "text/plain", ""):
        data = await request.body()
        filename = "body.json" if ctype == "application/json" else "body.csv" if ctype == "text/csv" else ""
    else:
        raise HTTPException(415, "send multipart/form-data with a `file`, application/json or text/csv")
    if len(data) > limit:
        raise HTTPException(413, f"catalog file over {app.tools.settings.max_import_mb:g} MB")
    try:
        report = await import_catalog(app.tools.db, tenant.id, data, filename, kind)
    except CatalogFileError as exc:
        raise HTTPException(422, f"cannot read the catalog file: {exc}") from None
    app.tools.catalog.invalidate(tenant.id)
    return {"tenant_id": tenant.id, **report.as_dict()}


@router.get("/products")
async def list_products(
    tenant: CurrentTenant,
    app: App,
    q: str = "",
    category: str | None = None,
    tag: Annotated[list[str] | None, Query()] = None,
    max_price: Decimal | None = None,
    in_stock: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Products of the tenant; with `q`, fuzzy search on names and model numbers, best first."""
    hits = await app.tools.catalog.search_products(
        tenant.id,
        q,
        [],
        limit,
        category=category,
        tags=tag or [],
        max_price=max_price,
        in_stock=in_stock,
        browse=not q.strip(),
    )
    return {"products": [h.as_dict() for h in hits]}


@router.get("/services")
async def list_services(tenant: CurrentTenant, app: App) -> dict[str, Any]:
    async with app.tools.db.session() as s:
        rows = (await s.scalars(select(Service).where(Service.tenant_id == tenant.id).order_by(Service.name))).all()
    return {
        "services": [
            {
                "code": r.code,
                "name": r.name,
                "description": r.description,
                "duration_minutes": r.duration_minutes,
                "price": str(r.price),
                "currency": r.currency,
            }
            for r in rows
        ]
    }


@router.get("/slots")
async def list_slots(
    tenant: CurrentTenant,
    app: App,
    service: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    free_only: bool = True,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Slots between `start` and `end` (default the next two weeks), in the tenant's time zone."""
    tz = ZoneInfo(tenant.timezone)
    lo = start or datetime.now(tz)
    lo = lo if lo.tzinfo else lo.replace(tzinfo=tz)
    hi = end or lo + timedelta(days=14)
    hi = hi if hi.tzinfo else hi.replace(tzinfo=tz)
    if hi <= lo:
        raise HTTPException(422, "end must be after start")
    query = (
        select(Slot, Service.code)
        .join(Service, Slot.service_id == Service.id)
        .where(Slot.tenant_id == tenant.id, Slot.start >= lo, Slot.start < hi)
        .order_by(Slot.start)
        .limit(limit)
    )
    if service:
        query = query.where(Service.code == service)
    if free_only:
        query = query.where(Slot.booked < Slot.capacity)
    async with app.tools.db.session() as s:
        rows = (await s.execute(query)).all()
    return {
        "slots": [
            {
                "service": code,
                "start": slot.start.astimezone(tz).isoformat(),
                "end": slot.end.astimezone(tz).isoformat(),
                "capacity": slot.capacity,
                "booked": slot.booked,
            }
            for slot, code in rows
        ]
    }
