"""Evaluation reports: what `concierge eval` wrote for the key's tenant, for the operator pages.

`concierge eval` writes each run's report as `$CONCIERGE_DATA_DIR/eval/<tenant>-<UTC time>.json` (`summary` and
`outcomes`); a report written elsewhere with `--json` is not listed. A report's name is checked against that
pattern and the key's tenant before any file is read, so no other tenant's report and no other file is reachable.
"""

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Security
from fastapi import Path as PathParam

from concierge.server.auth import require
from concierge.server.deps import App, CurrentTenant

router = APIRouter(
    prefix="/evaluation", tags=["evaluation"], dependencies=[Security(require, scopes=["analytics:view"])]
)
_STAMP = re.compile(r"-(\d{8}T\d{6}Z)\.json$")


def _reports(folder: Path, tenant_id: str) -> list[Path]:
    pattern = re.compile(re.escape(tenant_id) + r"-\d{8}T\d{6}Z\.json")
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if pattern.fullmatch(p.name)), key=lambda p: p.name, reverse=True)


def _when(path: Path) -> str:
    m = _STAMP.search(path.name)
    assert m is not None
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).isoformat()


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _list(folder: Path, tenant_id: str, limit: int) -> list[dict[str, Any]]:
    out = []
    for path in _reports(folder, tenant_id)[:limit]:
        data = _read(path)
        if data is not None:
            out.append({"name": path.stem, "created_at": _when(path), "summary": data.get("summary", {})})
    return out


@router.get("/reports")
async def reports(
    app: App, tenant: CurrentTenant, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[dict[str, Any]]:
    """The tenant's evaluation reports, newest first: name, time and the summary figures."""
    return await asyncio.to_thread(_list, app.tools.settings.data_dir / "eval", tenant.id, limit)


@router.get("/reports/{name}")
async def report(app: App, tenant: CurrentTenant, name: Annotated[str, PathParam(max_length=200)]) -> dict[str, Any]:
    """One report with every question's outcome (`latest` for the newest)."""
    folder = app.tools.settings.data_dir / "eval"
    found = await asyncio.to_thread(_reports, folder, tenant.id)
    path = found[0] if name == "latest" and found else next((p for p in found if p.stem == name), None)
    data = await asyncio.to_thread(_read, path) if path is not None else None
    if path is None or data is None:
        raise HTTPException(404, f"evaluation report {name} not found")
    return {"name": path.stem, "created_at": _when(path), **data}
