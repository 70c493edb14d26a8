"""Team tools: teams, members, roles and team todos, under the same role rules as the API."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlmodel import col, select

from core import accounts
from core.db import transaction
from core.errors import NotFound
from core.models import User
from core.tools import ToolContext, tool
from domains.common import parse_datetime
from domains.productivity import invitations, teams, todos
from domains.productivity.models import TeamMembership
from domains.productivity.notices import notify, todo_change
from domains.productivity.views import team_view, todo_view

TeamRef = Annotated[str, Field(description="The team's id or name, e.g. 'design'.")]
Email = Annotated[str, Field(description="The person's email address.", min_length=3, max_length=255)]
RoleArg = Literal["admin", "member", "viewer"]


async def _member_by_email(session: Any, team_id: uuid.UUID, actor_id: uuid.UUID, email: str) -> User:
    """The team's member with that email. Looked up among the team only, so the answer for an address
    is the same whether or not someone outside the team has it."""
    wanted = accounts.normalize_email(email)
    for user, _ in await teams.list_members(session, team_id, actor_id):
        if accounts.normalize_email(user.email) == wanted:
            return user
    raise NotFound(f"No one in the team has the email {email}.")


@tool("productivity")
async def create_team(
    ctx: ToolContext,
    name: Annotated[str, Field(description="The team's name.", min_length=1, max_length=120)],
    description: str | None = None,
) -> dict[str, Any]:
    """Create a team; the caller becomes its owner."""
    async with transaction(ctx.sessions) as session:
        team = await teams.create_team(session, ctx.user_id, name, description)
        return {"created": team_view(team, "owner", 1)}


@tool("productivity", mutates=False)
async def get_teams(ctx: ToolContext) -> dict[str, Any]:
    """List the teams the caller belongs to, with the caller's role in each (joining those they were
    invited to first)."""
    async with transaction(ctx.sessions) as session:
        me = await session.get(User, ctx.user_id)
        if me is not None:
            await invitations.accept_pending(session, ctx.store, me)
        found = await teams.list_teams(session, ctx.user_id)
        return {"teams": [team_view(t, role, n) for t, role, n in found], "count": len(found)}


@tool("productivity", mutates=False)
async def get_team_members(ctx: ToolContext, team: TeamRef) -> dict[str, Any]:
    """List a team's members and their roles."""
    async with ctx.sessions() as session:
        found = await teams.resolve_team(session, ctx.user_id, team)
        members = await teams.list_members(session, found.id, ctx.user_id)
        return {
            "team": found.name,
            "members": [{"name": u.display_name, "email": u.email, "role": m.role} for u, m in members],
        }


@tool("productivity")
async def create_team_todo(
    ctx: ToolContext,
    team: TeamRef,
    title: Annotated[str, Field(description="What the todo says.", min_length=1, max_length=500)],
    description: str | None = None,
    priority: Literal["low", "medium", "high", "urgent"] = "medium",
    due_date: Annotated[str | None, Field(description="ISO date or date-time, caller's local time.")] = None,
    assignee_email: Annotated[str | None, Field(description="Email of the team member to assign it to.")] = None,
) -> dict[str, Any]:
    """Create a todo in a team, optionally assigned to a member. Needs the member role or above."""
    due = parse_datetime(ctx, due_date, "due date") if due_date else None
    async with transaction(ctx.sessions) as session:
        found = await teams.resolve_team(session, ctx.user_id, team)
        assignee = (await _member_by_email(session, found.id, ctx.user_id, assignee_email)).id if assignee_email else None
        todo = await todos.create_todo(
            session,
            ctx.user_id,
            title=title,
            description=description,
            priority=priority,
            due_date=due,
            team_id=found.id,
            assignee_id=assignee,
        )
    notify(ctx, todo_change(todo, "created", ctx.user_id))
    return {"created": todo_view(ctx, todo), "team": found.name}


@tool("productivity")
async def add_team_member(ctx: ToolContext, team: TeamRef, email: Email, role: RoleArg = "member") -> dict[str, Any]:
    """Invite someone to a team by email; they join when they next look at their teams (the answer is the
    same whether or not anyone has that email). Needs the admin role or above."""
    async with transaction(ctx.sessions) as session:
        found = await teams.resolve_team(session, ctx.user_id, team)
        await invitations.invite(session, ctx.store, found.id, ctx.user_id, email, teams.parse_role(role))
        return {"invited": {"email": email.strip(), "role": role}, "team": found.name,
                "message": f"I invited {email.strip()} to the {found.name} team as {role}. They join when they "
                           f"next look at their teams, within {invitations.INVITE_DAYS} days."}


@tool("productivity")
async def remove_team_member(ctx: ToolContext, team: TeamRef, email: Email) -> dict[str, Any]:
    """Remove someone from a team. Admins remove members; only owners remove owners."""
    async with transaction(ctx.sessions) as session:
        found = await teams.resolve_team(session, ctx.user_id, team)
        user = await _member_by_email(session, found.id, ctx.user_id, email)
        await teams.remove_member(session, found.id, ctx.user_id, user.id)
        return {"removed": {"name": user.display_name, "email": user.email}, "team": found.name}


@tool("productivity")
async def change_member_role(ctx: ToolContext, team: TeamRef, email: Email, role: RoleArg) -> dict[str, Any]:
    """Change a member's role in a team (admin, member or viewer)."""
    async with transaction(ctx.sessions) as session:
        found = await teams.resolve_team(session, ctx.user_id, team)
        user = await _member_by_email(session, found.id, ctx.user_id, email)
        await teams.change_role(session, found.id, ctx.user_id, user.id, teams.parse_role(role))
        return {"changed": {"name": user.display_name, "email": user.email, "role": role}, "team": found.name}


@tool("productivity", mutates=False)
async def search_users(
    ctx: ToolContext, query: Annotated[str, Field(description="Part of a name or email.", min_length=2)]
) -> dict[str, Any]:
    """Find people in your teams by name or email, e.g. to assign them a todo. Someone new is
    added to a team by their email address instead."""
    my_teams = select(TeamMembership.team_id).where(TeamMembership.user_id == ctx.user_id)
    teammates = select(TeamMembership.user_id).where(col(TeamMembership.team_id).in_(my_teams))
    async with ctx.sessions() as session:
        found = await accounts.search_users(session, query, among=teammates)
        return {"users": [{"name": u.display_name, "email": u.email} for u in found]}


TOOLS = [
    create_team,
    get_teams,
    get_team_members,
    create_team_todo,
    add_team_member,
    remove_team_member,
    change_member_role,
    search_users,
]
