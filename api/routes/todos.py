"""Todos by id: the caller's personal todos, and team todos the caller may see."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Response, status

from api.deps import CurrentUser, SessionDep
from api.routes.schemas import TodoIn, TodoOut, TodoPatch
from domains.productivity import todos
from domains.productivity.models import Priority

router = APIRouter(prefix="/api/todos", tags=["todos"])


@router.get("/")
async def list_todos(
    session: SessionDep,
    user: CurrentUser,
    completed: bool | None = None,
    priority: Priority | None = None,
    include_assigned: bool = Query(False, description="Also list team todos assigned to me."),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[TodoOut]:
    found = await todos.list_todos(
        session,
        user.id,
        include_team=include_assigned,
        completed=completed,
        priority=priority.value if priority else None,
        limit=limit,
        offset=offset,
    )
    return [TodoOut.of(t) for t in found]


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_todo(body: TodoIn, session: SessionDep, user: CurrentUser) -> TodoOut:
    data = body.model_dump(exclude={"assignee_id", "is_private"})
    return TodoOut.of(await todos.create_todo(session, user.id, **data))


@router.get("/{todo_id}")
async def get_todo(todo_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> TodoOut:
    todo, _ = await todos.get_todo(session, user.id, todo_id)
    return TodoOut.of(todo)


@router.put("/{todo_id}")
async def update_todo(todo_id: uuid.UUID, body: TodoPatch, session: SessionDep, user: CurrentUser) -> TodoOut:
    changes = body.model_dump(exclude_unset=True)
    if "priority" in changes and changes["priority"] is not None:
        changes["priority"] = changes["priority"].value
    return TodoOut.of(await todos.update_todo(session, user.id, todo_id, changes))


@router.delete("/{todo_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_todo(todo_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Response:
    await todos.delete_todo(session, user.id, todo_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
