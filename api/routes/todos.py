"""Todos by id: the caller's personal todos, and team todos the caller may see."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Response, status

from api.changes import PUBLISH_AFTER_COMMIT, ChangesDep
from api.deps import CurrentUser, SessionDep
from api.routes.schemas import TodoIn, TodoOut, TodoPatch
from domains.productivity import todos
from domains.productivity.models import Priority
from domains.productivity.notices import TODOS_CHANGED, TodoAction, todo_change

router = APIRouter(prefix="/api/todos", tags=["todos"], dependencies=PUBLISH_AFTER_COMMIT)


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
async def create_todo(body: TodoIn, session: SessionDep, user: CurrentUser, changes: ChangesDep) -> TodoOut:
    data = body.model_dump(exclude={"assignee_id", "is_private"})
    todo = await todos.create_todo(session, user.id, **data)
    changes.add(TODOS_CHANGED, todo_change(todo, "created", user.id))
    return TodoOut.of(todo)


@router.get("/{todo_id}")
async def get_todo(todo_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> TodoOut:
    todo, _ = await todos.get_todo(session, user.id, todo_id)
    return TodoOut.of(todo)


@router.put("/{todo_id}")
async def update_todo(
    todo_id: uuid.UUID, body: TodoPatch, session: SessionDep, user: CurrentUser, changes: ChangesDep
) -> TodoOut:
    fields = body.model_dump(exclude_unset=True)
    if "priority" in fields and fields["priority"] is not None:
        fields["priority"] = fields["priority"].value
    todo = await todos.update_todo(session, user.id, todo_id, fields)
    action: TodoAction = "completed" if fields.get("completed") else "updated"
    changes.add(TODOS_CHANGED, todo_change(todo, action, user.id))
    return TodoOut.of(todo)


@router.delete("/{todo_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_todo(todo_id: uuid.UUID, session: SessionDep, user: CurrentUser, changes: ChangesDep) -> Response:
    todo = await todos.delete_todo(session, user.id, todo_id)
    changes.add(TODOS_CHANGED, todo_change(todo, "deleted", user.id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
