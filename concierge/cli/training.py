"""`concierge export-training`: a tenant's approved corrections as OpenAI and Gemini fine-tuning files."""

from pathlib import Path

from concierge.tools.db.models import Tenant
from concierge.tools.settings import Settings
from concierge.tools.support.training import export, system_prompt
from concierge.tools.toolbox import Toolbox

FIGURES = ("approved", "exported", "below_threshold", "train", "validation", "mean_quality", "tokens_total")


async def export_training(settings: Settings, tenant_id: str, min_quality: int, out: Path, seed: str) -> dict:
    """Write the files, print where and the statistics; the last line holds the figures as key=value."""
    tools = await Toolbox.from_settings(settings).open(warm=False)  # counts tokens, never searches
    try:
        async with tools.db.session() as s:
            tenant = await s.get(Tenant, tenant_id)
        if tenant is None:
            raise ValueError(f"tenant {tenant_id!r} not found")
        approved = await tools.corrections.approved(tenant_id)
        kept = [c for c in approved if (c.quality or 0) >= min_quality]
        stats = export(
            kept,
            out,
            system=system_prompt(tenant.name, tenant.description),
            min_quality=min_quality,
            approved_total=len(approved),
            seed=seed,
        )
    finally:
        await tools.close()
    for name, path in stats["files"].items():
        print(f"{name}: {path}")
    print(f"stats: {out / 'stats.json'}")
    if stats["by_category"]:
        print("by category: " + ", ".join(f"{k}={v}" for k, v in sorted(stats["by_category"].items())))
    print(" ".join(f"{k}={stats[k]}" for k in FIGURES))
    return stats
