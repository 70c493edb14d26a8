"""Productivity tables: teams and their members, todos, reminders, calendar events."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.timeutil import utcnow


class TeamRole(StrEnum):
    owner = "owner"
    admin = "admin"
    member = "member"
    viewer = "viewer"


class Priority(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    urgent = "urgent"


class Importance(StrEnum):
    """How much a reminder matters (the seed's `importance`): a high one is marked on the page and in its text."""

    low = "low"
    medium = "medium"
    high = "high"


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=120, index=True)
    description: str | None = Field(default=None, sa_type=Text)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class TeamMembership(SQLModel, table=True):
    __tablename__ = "team_memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_team_member"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    role: str = Field(default=TeamRole.member.value, max_length=16)
    joined_at: datetime = Field(default_factory=utcnow)


class Todo(SQLModel, table=True):
    __tablename__ = "todos"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str = Field(max_length=500)
    description: str | None = Field(default=None, sa_type=Text)
    completed: bool = Field(default=False, index=True)
    completed_at: datetime | None = None
    priority: str = Field(default=Priority.medium.value, max_length=16)
    due_date: datetime | None = Field(default=None, index=True)
    creator_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    assignee_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id", index=True, ondelete="CASCADE")
    is_private: bool = Field(default=False)
    google_calendar_event_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Reminder(SQLModel, table=True):
    __tablename__ = "reminders"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    message: str = Field(max_length=500)
    remind_at: datetime = Field(index=True)
    is_done: bool = Field(default=False)
    todo_id: uuid.UUID | None = Field(default=None, foreign_key="todos.id", ondelete="SET NULL")
    importance: str = Field(default=Importance.medium.value, max_length=16)
    by_call: bool = Field(default=False)  # delivered by a phone call that speaks it ("call me at seven to remind me…")
    # Set once, by the one scheduler that claims the reminder when it is due; `fired_late` when that
    # was well after its time (the server was down).
    fired_at: datetime | None = Field(default=None, index=True)
    fired_late: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class CalendarEvent(SQLModel, table=True):
    __tablename__ = "calendar_events"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=500)
    description: str | None = Field(default=None, sa_type=Text)
    location: str | None = Field(default=None, max_length=255)
    start_time: datetime = Field(index=True)
    end_time: datetime
    google_event_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
