"""What the graph asks people when it pauses, and the answers it accepts: checked before any run starts.

Three pauses: the customer's rating of an answer (`feedback`), the offer of a person after a "not helpful"
rating (`offer_human`), and a conversation waiting for a human agent (`handoff`). The handoff pause follows
LangGraph's `HumanInterrupt`, the schema LangChain's Agent Inbox reads, and takes the `HumanResponse` list the
inbox sends as well as our own `{"reply": ..., "agent": ...}`.

`check_resume` is what the server calls on a resume value before it starts a run, so a malformed value is a
422 naming what is accepted and the thread stays paused; the nodes parse with the same models.
"""

from typing import Annotated, Any, Literal, NotRequired, TypedDict

from langchain_core.messages import AIMessage, AnyMessage
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

InterruptKind = Literal["feedback", "offer_human", "handoff"]


# --- LangGraph's HumanInterrupt / HumanResponse (langgraph.prebuilt.interrupt), as the Agent Inbox reads them ---


class ActionRequest(TypedDict):
    action: str
    args: dict[str, Any]


class HumanInterruptConfig(TypedDict):
    allow_ignore: bool
    allow_respond: bool
    allow_edit: bool
    allow_accept: bool


class HumanInterrupt(TypedDict):
    action_request: ActionRequest
    config: HumanInterruptConfig
    description: NotRequired[str | None]


HANDOFF_ACTION = "handoff"
HANDOFF_REASONS: dict[str, str] = {
    # Why a conversation went to a person, as the agent (and the terminal chat) reads it.
    "asked_for_human": "The customer asked for a person.",
    "cannot_do": "The request is something the bot may not do.",
    "not_helpful": "The customer found the bot's answer not helpful and accepted a person.",
    "unanswered": "No grounded answer was found in the business's documents or catalog.",
    "follow_up": "The customer wrote again in a conversation a person is handling.",
}
HUMAN_AGENT = "human_agent"
"""`name` of a message a human agent wrote; `additional_kwargs["human_agent"]` says who."""
PROMPT_KEY = "concierge_prompt"
"""`additional_kwargs` key marking a message the bot added around an answer (not an answer, not a draft)."""
OFFER = "Sorry that did not help. Would you like me to pass you to a person on our team?"


def answer_message(messages: list[AnyMessage]) -> AIMessage | None:
    """This turn's answer: the last bot message after the customer's last message, not our prompts."""
    for message in reversed(messages):
        if not isinstance(message, AIMessage):
            return None
        if not message.additional_kwargs.get(PROMPT_KEY) and message.name != HUMAN_AGENT:
            return message
    return None


def interrupt_kind(value: Any) -> InterruptKind | None:
    """Which of our pauses an interrupt value is; None for one we did not raise."""
    if not isinstance(value, dict):
        return None
    if value.get("type") in ("feedback", "offer_human"):
        return value["type"]
    request = value.get("action_request")
    if isinstance(request, dict) and request.get("action") == HANDOFF_ACTION and "config" in value:
        return "handoff"
    return None


# --- Ratings ---

RatingWord = Literal["helpful", "not_helpful", "up", "down"]
_WORD_SCORES: dict[str, float] = {"helpful": 1.0, "up": 1.0, "not_helpful": 0.0, "down": 0.0}
FEEDBACK_ACCEPTED = (
    '"helpful" or "not_helpful", "up" or "down", or 1-5; alone or as '
    '{"rating": ..., "comment": "...", "handoff": false} ({"handoff": true} alone asks for a person)'
)


def _normalise_rating(value: Any) -> Any:
    """`"Not helpful"` -> `"not_helpful"`, `"4"` -> `4`; anything else outside the scales is refused plainly."""
    if value is None:
        return None
    if isinstance(value, str):
        word = value.strip().lower().replace(" ", "_").replace("-", "_")
        value = int(word) if word.isdigit() else word
        if isinstance(value, str) and value not in _WORD_SCORES:
            raise ValueError(f"unknown rating {word!r}")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"a rating is a word or a whole number of stars, not {value!r}")
    if isinstance(value, int) and not 1 <= value <= 5:
        raise ValueError(f"stars go from 1 to 5, not {value}")
    return value


class Rating(BaseModel):
    """A customer's rating of one answer, in whichever scale the business uses."""

    model_config = ConfigDict(extra="forbid")

    rating: RatingWord | Annotated[int, Field(ge=1, le=5)] | None = None
    comment: Annotated[str, Field(max_length=4000)] = ""
    handoff: StrictBool = False
    """The customer also asks for a person."""

    @field_validator("rating", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        return _normalise_rating(value)

    @model_validator(mode="after")
    def _something_said(self) -> "Rating":
        if self.rating is None and not self.handoff:
            raise ValueError("a rating is needed (or handoff: true)")
        return self

    @property
    def score(self) -> float | None:
        """The rating on one scale, 0 (worst) to 1 (best): words are 0 or 1, stars (n - 1) / 4."""
        if self.rating is None:
            return None
        if isinstance(self.rating, str):
            return _WORD_SCORES[self.rating]
        return (self.rating - 1) / 4

    @property
    def helpful(self) -> bool | None:
        """Helpful, not helpful, or neither (3 of 5, or no rating)."""
        score = self.score
        return None if score is None or score == 0.5 else score > 0.5


def parse_rating(value: Any) -> Rating:
    """A resume value (`4`, `"helpful"`, `{"rating": "up", "comment": "..."}`) as a `Rating`; ValueError if not."""
    body = value if isinstance(value, dict) else {"rating": value}
    try:
        return Rating.model_validate(body)
    except ValidationError as exc:
        raise ValueError(f"invalid feedback ({_first_error(exc)}); accepted: {FEEDBACK_ACCEPTED}") from None


# --- The offer of a person after "not helpful" ---

OFFER_ACCEPTED = 'true or false, "yes" or "no", or {"accept": true}'
_YES = {"yes", "y", "true", "accept", "ok", "please"}
_NO = {"no", "n", "false", "decline", "no_thanks"}


def parse_offer(value: Any) -> bool:
    """Did the customer accept the offer of a person?"""
    if isinstance(value, dict) and set(value) == {"accept"}:
        value = value["accept"]
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower().replace(" ", "_")
        if word in _YES:
            return True
        if word in _NO:
            return False
    raise ValueError(f"invalid answer to the offer of a person ({value!r}); accepted: {OFFER_ACCEPTED}")


# --- A human agent's answer to a handoff ---

HANDOFF_ACCEPTED = (
    'the Agent Inbox\'s [{"type": "response" | "accept" | "edit" | "ignore", "args": ...}] '
    '(response: the reply text; edit: {"action": "handoff", "args": {"draft": "..."}}), '
    'or {"reply": "...", "agent": "...", "keep": false, "category": "...", "reason": "..."}'
)


class InboxResponse(BaseModel):
    """One `HumanResponse`, as the Agent Inbox sends it (a list of one)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["accept", "ignore", "response", "edit"]
    args: str | dict[str, Any] | None = None


class AgentReply(BaseModel):
    """Our own shape: the reply, who wrote it, and whether the agent keeps the conversation."""

    model_config = ConfigDict(extra="forbid")

    reply: Annotated[str, Field(min_length=1, max_length=20_000)]
    agent: Annotated[str, Field(max_length=128)] | None = None
    keep: StrictBool = False
    """The agent keeps the conversation: the customer's next messages come to them, not the bot."""
    category: Annotated[str, Field(max_length=64)] | None = None
    reason: Annotated[str, Field(max_length=2000)] | None = None


class HandoffDecision(BaseModel):
    """What the agent decided, whatever shape it came in."""

    action: Literal["reply", "ignore"]
    reply: str = ""
    agent: str | None = None
    keep: bool = False
    category: str | None = None
    reason: str | None = None
    via: Literal["inbox", "api"] = "api"
    inbox_type: str | None = None


_RESPONSES = TypeAdapter(list[InboxResponse])


def parse_handoff_reply(value: Any, draft: str = "") -> HandoffDecision:
    """A resume value for a handoff as a decision; `accept` sends the bot's draft as it is."""
    try:
        if isinstance(value, str):
            value = {"reply": value}
        if isinstance(value, dict) and "type" not in value:
            body = AgentReply.model_validate(value)
            if not body.reply.strip():
                raise ValueError("the reply is empty")
            return HandoffDecision(action="reply", **body.model_dump(), via="api")
        responses = _RESPONSES.validate_python([value] if isinstance(value, dict) else value)
    except ValidationError as exc:
        raise ValueError(f"invalid handoff reply ({_first_error(exc)}); accepted: {HANDOFF_ACCEPTED}") from None
    except ValueError as exc:
        raise ValueError(f"invalid handoff reply ({exc}); accepted: {HANDOFF_ACCEPTED}") from None
    if len(responses) != 1:
        raise ValueError(
            f"invalid handoff reply (send one response, not {len(responses)}); accepted: {HANDOFF_ACCEPTED}"
        )
    return _from_inbox(responses[0], draft)


def _from_inbox(response: InboxResponse, draft: str) -> HandoffDecision:
    kind, args = response.type, response.args
    if kind == "ignore":
        return HandoffDecision(action="ignore", via="inbox", inbox_type=kind)
    if kind == "response":
        if not isinstance(args, str) or not args.strip():
            raise ValueError(
                f"invalid handoff reply (a response's args is the reply text); accepted: {HANDOFF_ACCEPTED}"
            )
        text = args
    elif kind == "edit":
        inner = args.get("args") if isinstance(args, dict) else None
        text = next((inner[k] for k in ("draft", "reply") if isinstance(inner, dict) and k in inner), None)
        if not isinstance(text, str) or not text.strip():
            raise ValueError(
                "invalid handoff reply (an edit's args is {'action': 'handoff', 'args': {'draft': 'the reply'}}); "
                f"accepted: {HANDOFF_ACCEPTED}"
            )
    else:  # accept: the bot's draft goes out as it is
        if not draft.strip():
            raise ValueError(f"invalid handoff reply (there is no draft to accept); accepted: {HANDOFF_ACCEPTED}")
        text = draft
    return HandoffDecision(action="reply", reply=text.strip(), via="inbox", inbox_type=kind)


# --- Before a run starts ---


def check_resume(interrupt_value: Any, resume: Any) -> None:
    """Raise ValueError, naming what is accepted, when `resume` cannot answer the pending interrupt."""
    kind = interrupt_kind(interrupt_value)
    if kind == "feedback":
        parse_rating(resume)
    elif kind == "offer_human":
        parse_offer(resume)
    elif kind == "handoff":
        draft = interrupt_value["action_request"].get("args", {}).get("draft") or ""
        decision = parse_handoff_reply(resume, draft)
        if (
            decision.action == "reply"
            and decision.inbox_type == "accept"
            and not interrupt_value["config"].get("allow_accept")
        ):
            raise ValueError(f"invalid handoff reply (accepting is not allowed here); accepted: {HANDOFF_ACCEPTED}")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"] if not isinstance(p, int) or len(err["loc"]) > 1)
    msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg
