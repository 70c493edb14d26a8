"""Shapes shared by the team and todo routers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from domains.productivity.models import Priority, TeamRole, Todo

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Description = Annotated[str, StringConstraints(max_length=10_000)]


class TodoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    priority: Priority = Priority.medium
    due_date: datetime | None = None
    assignee_id: uuid.UUID | None = None
    is_private: bool = False


class TodoPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    priority: Priority | None = None
    due_date: datetime | None = None
    completed: bool | None = None
    assignee_id: uuid.UUID | None = None
    is_private: bool | None = None


class TodoOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str | None
    completed: bool
    completed_at: datetime | None
    priority: str
    due_date: datetime | None
    creator_id: uuid.UUID
    assignee_id: uuid.UUID | None
    team_id: uuid.UUID | None
    is_private: bool
    google_calendar_event_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, todo: Todo) -> TodoOut:
        return cls(**todo.model_dump())


class TeamIn(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    description: Description | None = None


class MemberIn(BaseModel):
    email: Annotated[str, StringConstraints(max_length=255)] | None = None
    user_id: uuid.UUID | None = None
    role: TeamRole = TeamRole.member


class InvitedOut(BaseModel):
    """An invitation by email: the invitee joins when they next list their teams."""

    email: str
    role: TeamRole
    expires_in_days: int


class RoleIn(BaseModel):
    role: TeamRole


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str
    username: str
    first_name: str
    last_name: str
    role: str
    joined_at: datetime


class TeamOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    created_at: datetime
    my_role: str
    member_count: int


class TeamDetailOut(TeamOut):
    members: list[MemberOut]
