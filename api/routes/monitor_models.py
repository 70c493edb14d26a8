"""What the Agent Monitor's routes answer with, so the OpenAPI schema documents them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, PlainSerializer

# Times as `datetime.isoformat()` writes them (what the pages have always been sent).
IsoTime = Annotated[datetime, PlainSerializer(lambda v: v.isoformat(), return_type=str)]


class WindowOut(BaseModel):
    """The records the figures are computed over."""

    records: int
    since: str | None
    until: str | None
    limit: int


class CountsOut(BaseModel):
    turns: int
    calls: int
    tool_calls: int
    tool_errors: int
    failed_turns: int
    transfers: int


class StageOut(BaseModel):
    """One stage's durations in milliseconds."""

    p50: float | None
    p95: float | None
    count: int
    max: float | None


class ActiveCallOut(BaseModel):
    call_sid: str
    channel: str
    user_id: str | None
    user_email: str | None
    started_at: IsoTime
    turns: int
    last_at: str | None


class LineChoiceOut(BaseModel):
    number: str
    name: str


class FilterChoicesOut(BaseModel):
    channels: list[str]
    domains: list[str]
    lines: list[LineChoiceOut] = []
    """The business lines, for staff (a line's calls are many callers')."""


class StatsOut(BaseModel):
    window: WindowOut
    counts: CountsOut
    error_rate: float
    stages: dict[str, StageOut]
    active_calls: list[ActiveCallOut]
    scope: Literal["all", "own"]
    filters: FilterChoicesOut


class InteractionsOut(BaseModel):
    """A page of records (turn, tool and transfer records from the live window, each with its `key` and
    `user_email`) or of finished calls."""

    source: Literal["recent", "calls"]
    items: list[dict[str, Any]]
    page: int
    page_size: int
    total: int
    pages: int


class StreamTokenOut(BaseModel):
    token: str
    expires_in: int
