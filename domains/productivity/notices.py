"""The todo change notice (on `core.events`' channels): which todo, in which team, what happened, by whom."""

from __future__ import annotations

import uuid
from typing import Any, Literal, Protocol

from core.events import publish_change
from core.tools import ToolContext

TODOS_CHANGED = "todos:changed"
TodoAction = Literal["created", "updated", "completed", "deleted"]


class TodoLike(Protocol):
    id: uuid.UUID
    team_id: uuid.UUID | None


def todo_change(todo: TodoLike, action: TodoAction, user_id: uuid.UUID) -> dict[str, Any]:
    """The notice for one todo: which one, in which team (None: personal), what happened, by whom."""
    return {
        "team_id": str(todo.team_id) if todo.team_id else None,
        "user_id": str(user_id),
        "todo_id": str(todo.id),
        "action": action,
    }


def notify(ctx: ToolContext, change: dict[str, Any]) -> None:
    """Publish a tool's change notice in the background, after its change is committed: outside the
    tool's time limit, so a slow store can neither delay the answer nor turn a saved change into a
    reported failure (which a retry would duplicate)."""
    ctx.background.spawn(publish_change(ctx.store, TODOS_CHANGED, change), name="todos-changed-notice")
