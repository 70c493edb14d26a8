"""Teams, their members and roles, and team todos."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Query, Response, status

from api.changes import PUBLISH_AFTER_COMMIT, ChangesDep
from api.deps import CurrentUser, SessionDep
from api.routes.schemas import MemberIn, MemberOut, RoleIn, TeamDetailOut, TeamIn, TeamOut, TodoIn, TodoOut
from core import accounts
from domains.productivity import teams, todos
from domains.productivity.notices import TODOS_CHANGED, todo_change

router = APIRouter(prefix="/api/teams", tags=["teams"], dependencies=PUBLISH_AFTER_COMMIT)


async def _detail(session: SessionDep, team_id: uuid.UUID, user: CurrentUser) -> TeamDetailOut:
    team, me = await teams.require_role(session, team_id, user.id)
    members = await teams.list_members(session, team_id, user.id)
    return TeamDetailOut(
        id=team.id,
        name=team.name,
        description=team.description,
        created_at=team.created_at,
        my_role=me.role,
        member_count=len(members),
        members=[
            MemberOut(
                user_id=u.id,
                email=u.email,
                username=u.username,
                first_name=u.first_name,
                last_name=u.last_name,
                role=m.role,
                joined_at=m.joined_at,
            )
            for u, m in members
        ],
    )


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_team(body: TeamIn, session: SessionDep, user: CurrentUser) -> TeamDetailOut:
    team = await teams.create_team(session, user.id, body.name, body.description)
    return await _detail(session, team.id, user)


@router.get("/")
async def list_teams(session: SessionDep, user: CurrentUser) -> list[TeamOut]:
    return [
        TeamOut(
            id=t.id, name=t.name, description=t.description, created_at=t.created_at, my_role=role, member_count=n
        )
        for t, role, n in await teams.list_teams(session, user.id)
    ]


@router.get("/{team_id}")
async def get_team(team_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> TeamDetailOut:
    return await _detail(session, team_id, user)


@router.post("/{team_id}/members", status_code=status.HTTP_201_CREATED)
async def add_member(team_id: uuid.UUID, body: MemberIn, session: SessionDep, user: CurrentUser) -> TeamDetailOut:
    if body.user_id is not None:
        target_id = body.user_id
    elif body.email:
        await teams.require_role(session, team_id, user.id)
        target = await accounts.get_user_by_email(session, body.email)
        if target is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No user has that email.")
        target_id = target.id
    else:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "Give the new member's email or user_id.")
    await teams.add_member(session, team_id, user.id, target_id, body.role)
    return await _detail(session, team_id, user)


@router.delete("/{team_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(team_id: uuid.UUID, user_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Response:
    await teams.remove_member(session, team_id, user.id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{team_id}/members/{user_id}/role")
async def change_role(
    team_id: uuid.UUID, user_id: uuid.UUID, body: RoleIn, session: SessionDep, user: CurrentUser
) -> TeamDetailOut:
    await teams.change_role(session, team_id, user.id, user_id, body.role)
    return await _detail(session, team_id, user)


@router.get("/{team_id}/todos")
async def list_team_todos(
    team_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    completed: bool | None = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[TodoOut]:
    found = await todos.list_todos(session, user.id, team_id=team_id, completed=completed, limit=limit, offset=offset)
    return [TodoOut.of(t) for t in found]


@router.post("/{team_id}/todos", status_code=status.HTTP_201_CREATED)
async def create_team_todo(
    team_id: uuid.UUID, body: TodoIn, session: SessionDep, user: CurrentUser, changes: ChangesDep
) -> TodoOut:
    todo = await todos.create_todo(session, user.id, team_id=team_id, **body.model_dump())
    changes.add(TODOS_CHANGED, todo_change(todo, "created", user.id))
    return TodoOut.of(todo)
