"""Request and response bodies at the edge, in the shapes of the LangGraph Agent Server API."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

StreamMode = Literal[
    "values", "updates", "messages", "messages-tuple", "custom", "debug", "events", "tasks", "checkpoints"
]
ThreadStatus = Literal["idle", "busy", "interrupted", "error"]
RunStatus = Literal["pending", "running", "success", "error", "interrupted", "timeout"]


class ThreadCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    thread_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    if_exists: Literal["raise", "do_nothing"] = "raise"


class Thread(BaseModel):
    thread_id: str
    created_at: datetime
    updated_at: datetime
    state_updated_at: datetime | None = None
    metadata: dict[str, Any]
    status: ThreadStatus
    config: dict[str, Any] = Field(default_factory=dict)
    values: dict[str, Any] | None = None
    interrupts: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    error: Any = None


class ThreadPatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    metadata: dict[str, Any] = Field(default_factory=dict)
    """Merged into the thread's metadata."""


ThreadSortBy = Literal["thread_id", "status", "created_at", "updated_at", "state_updated_at"]
ThreadField = Literal["thread_id", "created_at", "updated_at", "metadata", "status", "values", "interrupts", "error"]


class ThreadSearch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ids: list[str] | None = None
    metadata: dict[str, Any] | None = None
    """Threads whose metadata contains this (JSON containment, nested objects included)."""
    values: dict[str, Any] | None = None
    """Threads whose state values contain this."""
    status: ThreadStatus | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)
    sort_by: ThreadSortBy = "updated_at"
    sort_order: Literal["asc", "desc"] = "desc"
    select: list[ThreadField] | None = None
    extract: dict[str, str] | None = None
    """`{alias: path}` (at most 10): each thread's value at `path` (`values.messages[-1].content`), returned in
    its `extracted` field."""


EXTRACTABLE = ("values", "metadata", "config", "interrupts")
ALIAS = r"^[A-Za-z_][A-Za-z0-9_]*$"


class ThreadPrune(BaseModel):
    model_config = ConfigDict(extra="ignore")

    thread_ids: list[str] = Field(default_factory=list, max_length=1000)
    strategy: Literal["delete", "keep_latest"] = "delete"


class RunsCancel(BaseModel):
    """`POST /runs/cancel`: runs of one thread by id, or every run of the tenant in a status."""

    model_config = ConfigDict(extra="ignore")

    thread_id: str | None = None
    run_ids: list[str] | None = Field(default=None, max_length=1000)
    status: Literal["pending", "running", "all"] | None = None


class ThreadCount(BaseModel):
    model_config = ConfigDict(extra="ignore")

    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    status: ThreadStatus | None = None


class CheckpointRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    thread_id: str | None = None
    checkpoint_ns: str = ""
    checkpoint_id: str | None = None
    checkpoint_map: dict[str, str] | None = None
    """Checkpoint ids by namespace (a list here once reached SQLite as a checkpoint id and failed the run)."""


class StateUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    values: dict[str, Any] | list[dict[str, Any]] | None = None
    as_node: str | None = None
    checkpoint: CheckpointRef | None = None
    checkpoint_id: str | None = None


class StateAt(BaseModel):
    model_config = ConfigDict(extra="ignore")

    checkpoint: CheckpointRef
    subgraphs: bool = False


class CheckpointConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    configurable: CheckpointRef


class HistoryQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=10, ge=1, le=1000)
    before: str | CheckpointConfig | CheckpointRef | None = None
    """A checkpoint id, a checkpoint, or a config holding one: checkpoints older than it."""
    metadata: dict[str, Any] | None = None
    checkpoint: CheckpointRef | None = None


class RunCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resume: Any = None
    update: dict[str, Any] | list[Any] | None = None
    goto: str | list[str] | None = None


class RunCreate(BaseModel):
    """A run, as the Agent Server takes it. Fields it accepts that do not apply here (webhook, after_seconds,
    langsmith_tracer) are accepted and ignored; `feedback_keys` asks for signed feedback URLs at the end."""

    model_config = ConfigDict(extra="ignore")

    assistant_id: str = "concierge"
    input: dict[str, Any] | None = None
    command: RunCommand | None = None
    stream_mode: StreamMode | list[StreamMode] = "values"
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    context: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: CheckpointRef | None = None
    checkpoint_id: str | None = None
    interrupt_before: Literal["*"] | list[str] | None = None
    interrupt_after: Literal["*"] | list[str] | None = None
    multitask_strategy: Literal["reject", "enqueue", "interrupt", "rollback"] = "enqueue"
    on_disconnect: Literal["cancel", "continue"] = "cancel"
    on_completion: Literal["delete", "keep"] | None = None
    if_not_exists: Literal["reject", "create"] = "reject"
    durability: Literal["sync", "async", "exit"] | None = None
    feedback_keys: list[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]] | None = (
        Field(default=None, max_length=20)
    )
    """The stream ends with a `feedback` event: per key, a signed URL that takes a rating without an API key."""

    def modes(self) -> list[str]:
        return [self.stream_mode] if isinstance(self.stream_mode, str) else list(self.stream_mode)


class AssistantSearch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    graph_id: str | None = None
    name: str | None = None
    metadata: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)
    sort_by: str | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None
