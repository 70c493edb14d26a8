"""Teams, their members and roles, and team todos."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.responses import JSONResponse

from api.changes import PUBLISH_AFTER_COMMIT, ChangesDep
from api.deps import CurrentUser, SessionDep, StoreDep
from api.routes.schemas import (
    InvitedOut,
    MemberIn,
    MemberOut,
    RoleIn,
    TeamDetailOut,
    TeamIn,
    TeamOut,
    TodoIn,
    TodoOut,
)
from domains.productivity import invitations, teams, todos
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
async def list_teams(session: SessionDep, user: CurrentUser, store: StoreDep) -> list[TeamOut]:
    """The caller's teams (joining those they were invited to first)."""
    await invitations.accept_pending(session, store, user)
    return [
        TeamOut(
            id=t.id, name=t.name, description=t.description, created_at=t.created_at, my_role=role, member_count=n
        )
        for t, role, n in await teams.list_teams(session, user.id)
    ]


@router.get("/{team_id}")
async def get_team(team_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> TeamDetailOut:
    return await _detail(session, team_id, user)


@router.post("/{team_id}/members", status_code=status.HTTP_201_CREATED, response_model=TeamDetailOut,
             responses={202: {"model": InvitedOut, "description": "Invited by email"}})
async def add_member(
    team_id: uuid.UUID, body: MemberIn, session: SessionDep, user: CurrentUser, store: StoreDep
) -> TeamDetailOut | JSONResponse:
    """Add a teammate by `user_id` (201, at once), or invite one by `email` (202): they join when they
    next list their teams. An email gets the same 202 whether or not anyone has it."""
    if body.user_id is not None:
        await teams.add_member(session, team_id, user.id, body.user_id, body.role)
        return await _detail(session, team_id, user)
    if not body.email or "@" not in body.email:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "Give the new member's email or user_id.")
    await invitations.invite(session, store, team_id, user.id, body.email, body.role)
    invited = InvitedOut(email=body.email.strip(), role=body.role, expires_in_days=invitations.INVITE_DAYS)
    return JSONResponse(invited.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)


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
