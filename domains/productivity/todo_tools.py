"""Todo tools: the caller's own todos and the team todos assigned to them.

Every change is announced on the store (core.events) once committed, for live pages."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from core.db import transaction
from core.errors import Invalid
from core.tools import ToolContext, tool
from domains.common import parse_datetime
from domains.productivity import todos
from domains.productivity.notices import notify, todo_change
from domains.productivity.views import todo_view

PriorityArg = Literal["low", "medium", "high", "urgent"]
TodoRef = Annotated[str, Field(description="The todo's id, or words from its title.")]
DueArg = Annotated[str | None, Field(description="When it is due: ISO date or date-time in the caller's local time.")]


@tool("productivity")
async def create_todo(
    ctx: ToolContext,
    title: Annotated[str, Field(description="What the todo says, e.g. 'buy milk'.", min_length=1, max_length=500)],
    description: Annotated[str | None, Field(max_length=10_000)] = None,
    priority: PriorityArg = "medium",
    due_date: DueArg = None,
) -> dict[str, Any]:
    """Create a personal todo for the caller."""
    due = parse_datetime(ctx, due_date, "due date") if due_date else None
    async with transaction(ctx.sessions) as session:
        todo = await todos.create_todo(
            session, ctx.user_id, title=title, description=description, priority=priority, due_date=due
        )
    notify(ctx, todo_change(todo, "created", ctx.user_id))
    return {"created": todo_view(ctx, todo)}


@tool("productivity", mutates=False)
async def get_todos(
    ctx: ToolContext,
    completed: Annotated[bool | None, Field(description="true: only done ones; false: only open ones.")] = None,
    priority: PriorityArg | None = None,
) -> dict[str, Any]:
    """List the caller's todos (personal ones and team todos assigned to them), open ones first."""
    async with ctx.sessions() as session:
        found = await todos.list_todos(session, ctx.user_id, include_team=True, completed=completed, priority=priority)
        return {"todos": [todo_view(ctx, t) for t in found], "count": len(found)}


@tool("productivity")
async def complete_todo(ctx: ToolContext, todo: TodoRef) -> dict[str, Any]:
    """Mark one of the caller's todos as done."""
    async with transaction(ctx.sessions) as session:
        found = await todos.find_todo(session, ctx.user_id, todo, include_completed=False)
        updated = await todos.update_todo(session, ctx.user_id, found.id, {"completed": True})
    notify(ctx, todo_change(updated, "completed", ctx.user_id))
    return {"completed": todo_view(ctx, updated)}


@tool("productivity")
async def update_todo(
    ctx: ToolContext,
    todo: TodoRef,
    title: Annotated[str | None, Field(description="New title.", max_length=500)] = None,
    description: Annotated[str | None, Field(max_length=10_000)] = None,
    priority: PriorityArg | None = None,
    due_date: DueArg = None,
) -> dict[str, Any]:
    """Change a todo's title, description, priority or due date."""
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = title
    if description is not None:
        changes["description"] = description
    if priority is not None:
        changes["priority"] = priority
    if due_date is not None:
        changes["due_date"] = parse_datetime(ctx, due_date, "due date")
    if not changes:
        raise Invalid("Tell me what to change: the title, description, priority or due date.")
    async with transaction(ctx.sessions) as session:
        found = await todos.find_todo(session, ctx.user_id, todo)
        updated = await todos.update_todo(session, ctx.user_id, found.id, changes)
    notify(ctx, todo_change(updated, "updated", ctx.user_id))
    return {"updated": todo_view(ctx, updated)}


@tool("productivity")
async def delete_todo(ctx: ToolContext, todo: TodoRef) -> dict[str, Any]:
    """Delete one of the caller's todos. Confirm with the caller first."""
    async with transaction(ctx.sessions) as session:
        found = await todos.find_todo(session, ctx.user_id, todo)
        view = todo_view(ctx, found)
        await todos.delete_todo(session, ctx.user_id, found.id)
    notify(ctx, todo_change(found, "deleted", ctx.user_id))
    return {"deleted": view}


TOOLS = [create_todo, get_todos, complete_todo, update_todo, delete_todo]
