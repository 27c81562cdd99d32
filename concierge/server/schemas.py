"""Request and response bodies at the edge, in the shapes of the LangGraph Agent Server API."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

StreamMode = Literal[
    "values", "updates", "messages", "messages-tuple", "custom", "debug", "events", "tasks", "checkpoints"
]


class ThreadCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    thread_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    if_exists: Literal["raise", "do_nothing"] = "raise"


class Thread(BaseModel):
    thread_id: str
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any]
    status: Literal["idle", "busy", "interrupted", "error"]
    values: dict[str, Any] | None = None
    interrupts: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)


class RunCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resume: Any = None
    update: dict[str, Any] | list[Any] | None = None
    goto: str | list[str] | None = None


class RunCreate(BaseModel):
    """A run on a thread. Fields the Agent Server also accepts but we do not use are ignored."""

    model_config = ConfigDict(extra="ignore")

    assistant_id: str = "concierge"
    input: dict[str, Any] | None = None
    command: RunCommand | None = None
    stream_mode: StreamMode | list[StreamMode] = "values"
    context: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    feedback_keys: list[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]] | None = (
        Field(default=None, max_length=20)
    )
    """The stream ends with a `feedback` event: per key, a signed URL that takes a rating without an API key."""

    def modes(self) -> list[str]:
        return [self.stream_mode] if isinstance(self.stream_mode, str) else list(self.stream_mode)
