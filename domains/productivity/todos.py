"""Todos, personal and team, with the access rules of the team roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import Forbidden, Invalid, NotFound
from core.timeutil import ensure_aware, utcnow
from domains.productivity.models import Priority, TeamMembership, TeamRole, Todo
from domains.productivity.teams import RANK, as_uuid, membership, require_role

MAX_TITLE = 500
EDITABLE = frozenset({"title", "description", "priority", "due_date", "completed", "assignee_id", "is_private"})


def parse_priority(value: str) -> Priority:
    aliases = {"normal": "medium", "important": "high", "critical": "urgent"}
    word = value.strip().lower()
    try:
        return Priority(aliases.get(word, word))
    except ValueError:
        raise Invalid("Priority is one of low, medium, high or urgent.") from None


def _check_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise Invalid("A todo needs a title.")
    if len(title) > MAX_TITLE:
        raise Invalid(f"A todo title can be at most {MAX_TITLE} characters.")
    return title


@dataclass(frozen=True)
class Access:
    """What the caller may do with one todo."""

    read: bool
    write: bool
    delete: bool
    role: str | None


async def access(session: AsyncSession, todo: Todo, user_id: uuid.UUID) -> Access:
    if todo.team_id is None:
        mine = todo.creator_id == user_id
        return Access(read=mine, write=mine, delete=mine, role=None)
    member = await membership(session, todo.team_id, user_id)
    if member is None:
        return Access(False, False, False, None)
    rank = RANK[TeamRole(member.role)]
    involved = user_id in (todo.creator_id, todo.assignee_id)
    manager = rank >= RANK[TeamRole.admin]
    read = manager or involved or not todo.is_private
    write = manager or (rank >= RANK[TeamRole.member] and involved)
    delete = manager or (rank >= RANK[TeamRole.member] and todo.creator_id == user_id)
    return Access(read=read, write=write, delete=delete, role=member.role)


async def get_todo(session: AsyncSession, user_id: uuid.UUID, todo_id: uuid.UUID) -> tuple[Todo, Access]:
    todo = await session.get(Todo, todo_id)
    if todo is None:
        raise NotFound("That todo does not exist.")
    allowed = await access(session, todo, user_id)
    if not allowed.read:
        raise NotFound("That todo does not exist.")
    return todo, allowed


async def _check_assignee(session: AsyncSession, team_id: uuid.UUID | None, assignee_id: uuid.UUID | None) -> None:
    if assignee_id is None:
        return
    if team_id is None:
        raise Invalid("Only team todos can be assigned.")
    if await membership(session, team_id, assignee_id) is None:
        raise Invalid("The assignee must be a member of the team.")


async def create_todo(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    title: str,
    description: str | None = None,
    priority: str = "medium",
    due_date: datetime | None = None,
    team_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    is_private: bool = False,
) -> Todo:
    if team_id is not None:
        await require_role(session, team_id, user_id, TeamRole.member)
    await _check_assignee(session, team_id, assignee_id)
    todo = Todo(
        title=_check_title(title),
        description=description,
        priority=parse_priority(priority).value,
        due_date=ensure_aware(due_date),
        creator_id=user_id,
        team_id=team_id,
        assignee_id=assignee_id,
        is_private=is_private if team_id is not None else True,
    )
    session.add(todo)
    await session.flush()
    return todo


async def update_todo(session: AsyncSession, user_id: uuid.UUID, todo_id: uuid.UUID, changes: dict[str, Any]) -> Todo:
    todo, allowed = await get_todo(session, user_id, todo_id)
    if not allowed.write:
        raise Forbidden("You can only change todos you created or that are assigned to you.")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise Invalid(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    if "title" in changes:
        todo.title = _check_title(changes["title"])
    if "description" in changes:
        todo.description = changes["description"]
    if "priority" in changes and changes["priority"] is not None:
        todo.priority = parse_priority(changes["priority"]).value
    if "due_date" in changes:
        todo.due_date = ensure_aware(changes["due_date"])
    if "assignee_id" in changes:
        await _check_assignee(session, todo.team_id, changes["assignee_id"])
        todo.assignee_id = changes["assignee_id"]
    if "is_private" in changes and todo.team_id is not None:
        todo.is_private = bool(changes["is_private"])
    if "completed" in changes and changes["completed"] is not None:
        todo.completed = bool(changes["completed"])
        todo.completed_at = utcnow() if todo.completed else None
    todo.updated_at = utcnow()
    session.add(todo)
    await session.flush()
    return todo


async def delete_todo(session: AsyncSession, user_id: uuid.UUID, todo_id: uuid.UUID) -> Todo:
    todo, allowed = await get_todo(session, user_id, todo_id)
    if not allowed.delete:
        raise Forbidden("You can only delete todos you created, unless you are a team admin.")
    await session.delete(todo)
    await session.flush()
    return todo


async def list_todos(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    team_id: uuid.UUID | None = None,
    include_team: bool = False,
    completed: bool | None = None,
    priority: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Todo]:
    """Personal todos; or one team's todos (`team_id`); or, with `include_team`, personal todos plus
    team todos assigned to the caller."""
    stmt = select(Todo)
    if team_id is not None:
        _, member = await require_role(session, team_id, user_id)
        stmt = stmt.where(Todo.team_id == team_id)
        if RANK[TeamRole(member.role)] < RANK[TeamRole.admin]:
            stmt = stmt.where(
                or_(col(Todo.is_private).is_(False), Todo.creator_id == user_id, Todo.assignee_id == user_id)
            )
    elif include_team:
        member_teams = select(TeamMembership.team_id).where(TeamMembership.user_id == user_id)
        stmt = stmt.where(
            or_(
                and_(col(Todo.team_id).is_(None), col(Todo.creator_id) == user_id),
                and_(col(Todo.assignee_id) == user_id, col(Todo.team_id).in_(member_teams)),
            )
        )
    else:
        stmt = stmt.where(col(Todo.team_id).is_(None), Todo.creator_id == user_id)
    if completed is not None:
        stmt = stmt.where(Todo.completed == completed)
    if priority is not None:
        stmt = stmt.where(Todo.priority == parse_priority(priority).value)
    stmt = stmt.order_by(col(Todo.completed), col(Todo.created_at).desc()).offset(offset).limit(limit)
    return list((await session.exec(stmt)).all())


async def find_todo(session: AsyncSession, user_id: uuid.UUID, ref: str, *, include_completed: bool = True) -> Todo:
    """A todo the caller can see, named by id or by words from its title."""
    todo_id = as_uuid(ref)
    if todo_id is not None:
        todo, _ = await get_todo(session, user_id, todo_id)
        return todo
    words = ref.strip().lower()
    if not words:
        raise Invalid("Which todo?")
    candidates = await list_todos(session, user_id, include_team=True, completed=None if include_completed else False)
    exact = [t for t in candidates if t.title.lower() == words]
    if len(exact) >= 1:
        return sorted(exact, key=lambda t: t.completed)[0]
    partial = [t for t in candidates if words in t.title.lower()]
    if not partial:
        tokens = set(words.split())
        partial = [t for t in candidates if tokens and tokens <= set(t.title.lower().split())]
    open_ones = [t for t in partial if not t.completed]
    pool = open_ones or partial
    if len(pool) == 1:
        return pool[0]
    if not pool:
        raise NotFound(f"I couldn't find a todo called {ref}.")
    titles = ", ".join(t.title for t in pool[:5])
    raise Invalid(f"Several todos match {ref}: {titles}. Which one?")
