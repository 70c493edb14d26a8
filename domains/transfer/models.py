"""Call-center tables: how each ring of a transferred call ended, kept for history and metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.timeutil import utcnow


class CallCenterOutcome(SQLModel, table=True):
    """One ring's outcome (answered, no-answer, rejected, caller-hung-up, or the PBX's dial status).

    The columns are what history and metrics filter on; `entry` is the whole record as the
    call-center API returns it."""

    __tablename__ = "call_center_outcomes"

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(max_length=64, index=True)
    call_sid: str | None = Field(default=None, max_length=64, index=True)
    department: str | None = Field(default=None, max_length=64)
    outcome: str = Field(max_length=32, index=True)
    agent_id: str | None = Field(default=None, max_length=64, index=True)
    wait_s: float | None = None
    handle_s: float | None = None
    at: datetime = Field(default_factory=utcnow, index=True)
    entry: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
