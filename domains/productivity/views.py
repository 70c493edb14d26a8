"""What the productivity tools hand back to the model: small dicts, local times."""

from __future__ import annotations

from typing import Any

from core.tools import ToolContext
from domains.common import local_iso
from domains.productivity.models import CalendarEvent, Reminder, Team, Todo


def todo_view(ctx: ToolContext, todo: Todo) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": str(todo.id),
        "title": todo.title,
        "priority": todo.priority,
        "completed": todo.completed,
        "due": local_iso(ctx, todo.due_date),
    }
    if todo.description:
        view["description"] = todo.description
    if todo.team_id:
        view["team_id"] = str(todo.team_id)
        view["assignee_id"] = str(todo.assignee_id) if todo.assignee_id else None
    return view


def team_view(team: Team, role: str | None = None, members: int | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {"id": str(team.id), "name": team.name}
    if role:
        view["my_role"] = role
    if members is not None:
        view["member_count"] = members
    return view


def reminder_view(ctx: ToolContext, reminder: Reminder) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": str(reminder.id),
        "message": reminder.message,
        "remind_at": local_iso(ctx, reminder.remind_at),
        "importance": reminder.importance,
        "done": reminder.is_done,
    }
    if reminder.by_call:
        view["by_call"] = True
    if reminder.fired_at is not None:
        view["fired_at"] = local_iso(ctx, reminder.fired_at)
        view["late"] = reminder.fired_late
    return view


def event_view(ctx: ToolContext, event: CalendarEvent) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": str(event.id),
        "title": event.title,
        "start": local_iso(ctx, event.start_time),
        "end": local_iso(ctx, event.end_time),
    }
    if event.location:
        view["location"] = event.location
    if event.description:
        view["description"] = event.description
    return view
