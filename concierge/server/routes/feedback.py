"""Feedback on answers: change a rating later, report a booking or purchase, and rate through a signed URL.

The signed URL (`/feedback/{token}`) is what a run started with `feedback_keys` hands out at the end of its stream,
as the Agent Server does with LangSmith's presigned tokens: it takes a rating without an API key, for that run
and key only, until it expires.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Security
from pydantic import BaseModel, ConfigDict, Field

from concierge.server.auth import customer, require
from concierge.server.deps import App, CurrentTenant, ThreadRow
from concierge.state.human import Rating, parse_rating
from concierge.tools.db.models import Thread
from concierge.tools.support.feedback import DEFAULT_KEY, UnknownAnswer
from concierge.tools.support.signing import ExpiredToken, InvalidToken

router = APIRouter(tags=["feedback"])
FeedbackKey = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class RatingChange(BaseModel):
    """A rating of one answer, named by its turn or by the run that gave it (default: the latest answer)."""

    model_config = ConfigDict(extra="forbid")

    rating: Any = None
    comment: str = ""
    turn: int | None = Field(default=None, ge=1, le=2**31 - 1)
    run_id: str | None = None
    key: FeedbackKey = DEFAULT_KEY


class ActionReport(BaseModel):
    """A booking or purchase made by the customer, reported by the business's own system."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["booking", "purchase"]
    reference: Annotated[str, Field(max_length=200)] = ""


class SignedRating(BaseModel):
    """What a signed URL takes: our rating scales, or LangSmith's `score` (0/1, or 1-5)."""

    model_config = ConfigDict(extra="forbid")

    rating: Any = None
    score: Annotated[float, Field(ge=0, le=5, allow_inf_nan=False)] | bool | None = None
    comment: str = ""


def _rating(value: Any, comment: str) -> Rating:
    try:
        return parse_rating({"rating": value, "comment": comment})
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


def _own(thread: Thread, tenant: Any) -> None:
    if thread.tenant_id != tenant.id:
        raise HTTPException(404, f"thread {thread.id} not found")


Customer = Security(customer, scopes=["chat"])
"""A customer's browser (publishable key and the thread's token) or a system with `chat`."""
System = Security(require, scopes=["chat"])
"""The business's own system (a secret key with `chat`), never a customer's browser."""


@router.get("/threads/{thread_id}/feedback", dependencies=[Customer])
async def list_feedback(thread: ThreadRow, tenant: CurrentTenant, app: App) -> list[dict[str, Any]]:
    """The thread's ratings, by turn and key."""
    _own(thread, tenant)
    return await app.tools.feedback.ratings(tenant.id, thread.id)


@router.put("/threads/{thread_id}/feedback", dependencies=[Customer])
async def change_feedback(body: RatingChange, thread: ThreadRow, tenant: CurrentTenant, app: App) -> dict[str, Any]:
    """Rate an answer, or change its rating: the same turn and key again replaces the earlier rating."""
    _own(thread, tenant)
    rating = _rating(body.rating, body.comment)
    try:
        return await app.tools.feedback.rate(
            rating,
            tenant_id=tenant.id,
            thread_id=thread.id,
            turn=body.turn,
            run_id=body.run_id,
            key=body.key,
            source="api",
        )
    except UnknownAnswer as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/threads/{thread_id}/actions", status_code=201, dependencies=[System])
async def report_action(body: ActionReport, thread: ThreadRow, tenant: CurrentTenant, app: App) -> dict[str, Any]:
    """The customer booked or bought after the conversation's latest answer: an implicit sign it helped."""
    _own(thread, tenant)
    return await app.tools.feedback.record_action(
        tenant_id=tenant.id, thread_id=thread.id, kind=body.kind, reference=body.reference
    )


async def _rate_signed(app: App, token: str, value: Any, comment: str) -> dict[str, Any]:
    links = app.tools.feedback_links
    assert links is not None, "the toolbox is opened with the app"
    try:
        grant = links.check(token)
    except ExpiredToken as exc:
        raise HTTPException(410, str(exc)) from None
    except InvalidToken as exc:
        raise HTTPException(403, str(exc)) from None
    rating = _rating(value, comment)
    try:
        entry = await app.tools.feedback.rate(
            rating,
            tenant_id=grant.tenant_id,
            thread_id=grant.thread_id,
            run_id=grant.run_id,
            key=grant.key,
            source="signed_url",
        )
    except UnknownAnswer:
        raise HTTPException(404, f"run {grant.run_id} has no answer to rate (yet)") from None
    return {"ok": True, "key": entry["key"], "rating": entry["rating"], "score": entry["score"]}


def _from_score(score: float | bool | None) -> Any:
    """LangSmith-style scores: true/1 is up, false/0 down, 2-5 stars."""
    if score is None or isinstance(score, bool):
        return None if score is None else ("up" if score else "down")
    if score in (0, 1):
        return "up" if score else "down"
    return int(score) if float(score).is_integer() else score


@router.post("/feedback/{token}")
async def rate_with_signed_url(token: str, app: App, body: Annotated[SignedRating, Body()]) -> dict[str, Any]:
    """Rate the run this signed URL was made for, without an API key: 403 if altered, 410 once expired."""
    return await _rate_signed(
        app, token, body.rating if body.rating is not None else _from_score(body.score), body.comment
    )


@router.get("/feedback/{token}")
async def rate_with_signed_link(
    token: str,
    app: App,
    rating: Annotated[str | None, Query(max_length=32)] = None,
    score: Annotated[float | None, Query(ge=0, le=5)] = None,
    comment: Annotated[str, Query(max_length=4000)] = "",
) -> dict[str, Any]:
    """The same through a plain link (`?rating=helpful`), for an e-mail or a chat widget's buttons."""
    return await _rate_signed(app, token, rating if rating is not None else _from_score(score), comment)
