"""Graph values to JSON the way the LangGraph Agent Server writes them, so `langgraph_sdk` reads them."""

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from uuid import UUID

import orjson
from langgraph.types import Interrupt
from pydantic import BaseModel

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS


def _default(obj: Any) -> Any:
    if isinstance(obj, Interrupt):
        return {"value": obj.value, "id": obj.id}
    if isinstance(obj, BaseModel):  # messages included: {"type": "ai", "content": ..., "id": ...}
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, (Decimal, UUID)):
        return str(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return repr(obj)


def dumps(value: Any) -> str:
    """Compact JSON (orjson: every token of every streamed answer goes through here)."""
    return orjson.dumps(value, default=_default, option=_OPTIONS).decode()


def jsonable(value: Any) -> Any:
    """A value made of plain JSON types, for responses FastAPI encodes itself."""
    return orjson.loads(orjson.dumps(value, default=_default, option=_OPTIONS))


def uri(path: str) -> str:
    """A path for a Location header: ids a client chose may hold any character, headers carry only ASCII."""
    return quote(path, safe="/")
