"""Assistants: this server has one, the `concierge` graph, under its graph id and the assistant id the Agent Server
derives from it. What `RemoteGraph` and the SDK read about it: the assistant, its graph and its schemas."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Security
from pydantic import create_model

from concierge import __version__
from concierge.server.auth import customer
from concierge.server.deps import App, get_tenant
from concierge.server.runs import ASSISTANT_ID, GRAPH_ID, assistant_of
from concierge.server.schemas import AssistantSearch

# The tenant's key (an operator's key manages tenants, not their agents).
router = APIRouter(
    prefix="/assistants", tags=["assistants"], dependencies=[Security(customer, scopes=["chat"]), Depends(get_tenant)]
)
log = logging.getLogger(__name__)
_CREATED = datetime(2026, 1, 1, tzinfo=UTC).isoformat()


def assistant() -> dict[str, Any]:
    return {
        "assistant_id": ASSISTANT_ID,
        "graph_id": GRAPH_ID,
        "name": GRAPH_ID,
        "description": "Customer-service agent: documents, catalog and web, routed generation, human handoff.",
        "config": {},
        "context": {},
        "metadata": {"created_by": "system", "version": __version__},
        "version": 1,
        "created_at": _CREATED,
        "updated_at": _CREATED,
    }


def _matches(body: AssistantSearch) -> bool:
    a = assistant()
    if body.graph_id not in (None, GRAPH_ID) or body.name not in (None, GRAPH_ID):
        return False
    return all(a["metadata"].get(k) == v for k, v in (body.metadata or {}).items())


@router.post("/search")
async def search(body: AssistantSearch) -> list[dict[str, Any]]:
    """The assistants matching; 404 for a graph id this server does not serve (as the Agent Server answers)."""
    if body.graph_id not in (None, GRAPH_ID):
        raise HTTPException(404, f"graph {body.graph_id!r} not found; this server serves {GRAPH_ID!r}")
    found = [assistant()] if _matches(body) and body.offset == 0 else []
    if body.select:
        found = [{k: v for k, v in a.items() if k in body.select} for a in found]
    return found[: body.limit]


@router.post("/count")
async def count(body: AssistantSearch) -> int:
    return 1 if _matches(body) else 0


@router.get("/{assistant_id}")
async def get_assistant(assistant_id: str) -> dict[str, Any]:
    assistant_of(assistant_id)
    return assistant()


@router.get("/{assistant_id}/graph")
async def get_graph(assistant_id: str, app: App, xray: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    """The graph's nodes and edges, as `RemoteGraph.get_graph` draws them."""
    assistant_of(assistant_id)
    depth: bool | int = False
    if xray not in (None, "", "false", "False"):
        try:
            depth = True if xray in ("true", "True") else int(xray)  # type: ignore[arg-type]
        except ValueError:
            raise HTTPException(422, f"xray must be true, false or a depth, not {xray!r}") from None
    drawn = (await app.graph.aget_graph(xray=depth)).to_json()
    for node in drawn.get("nodes", []):
        if isinstance(node.get("data"), dict):
            node["data"].pop("id", None)
    return drawn


def _schema(make: Callable[[], Any], what: str) -> Any:
    try:
        return make()
    except Exception as exc:  # a field no JSON schema describes: say so in the log, answer the rest
        log.warning("no JSON schema for the graph's %s: %s", what, exc)
        return None


def _state_schema(graph: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in graph.stream_channels_list:
        update_type = graph.channels[name].UpdateType
        try:
            create_model(name, value=(update_type, None)).model_json_schema()
            fields[name] = (update_type, None)
        except Exception:
            fields[name] = (Any, None)
    return create_model(graph.get_name("State"), **fields).model_json_schema()


@router.get("/{assistant_id}/schemas")
async def get_schemas(assistant_id: str, app: App) -> dict[str, Any]:
    assistant_of(assistant_id)
    graph = app.graph
    return {
        "graph_id": GRAPH_ID,
        "input_schema": _schema(graph.get_input_jsonschema, "input"),
        "output_schema": _schema(graph.get_output_jsonschema, "output"),
        "state_schema": _schema(lambda: _state_schema(graph), "state"),
        "config_schema": _schema(lambda: graph.get_config_jsonschema(include=["configurable"]), "config"),
        "context_schema": _schema(graph.get_context_jsonschema, "context"),
    }


@router.get("/{assistant_id}/subgraphs")
async def get_subgraphs(assistant_id: str) -> dict[str, Any]:
    """The graph has no subgraphs."""
    assistant_of(assistant_id)
    return {}


@router.get("/{assistant_id}/subgraphs/{namespace}")
async def get_subgraph(assistant_id: str, namespace: str) -> dict[str, Any]:
    assistant_of(assistant_id)
    return {}
