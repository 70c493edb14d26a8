"""Teams and the role rules every team operation obeys.

viewer reads · member creates todos and changes their own or assigned ones · admin manages
members (never owners) and every todo · owner does everything. A non-member learns nothing
about a team: every lookup answers NotFound.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.models import User
from domains.productivity.models import Team, TeamMembership, TeamRole

RANK = {TeamRole.viewer: 0, TeamRole.member: 1, TeamRole.admin: 2, TeamRole.owner: 3}


def parse_role(role: str) -> TeamRole:
    try:
        return TeamRole(role.strip().lower())
    except ValueError:
        raise Invalid("A role is one of owner, admin, member or viewer.") from None


def as_uuid(value: str | uuid.UUID) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        return None


async def membership(session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamMembership | None:
    stmt = select(TeamMembership).where(TeamMembership.team_id == team_id, TeamMembership.user_id == user_id)
    return (await session.exec(stmt)).first()


async def require_role(
    session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID, minimum: TeamRole = TeamRole.viewer
) -> tuple[Team, TeamMembership]:
    """The team and the caller's membership, if the caller holds at least `minimum` there."""
    member = await membership(session, team_id, user_id)
    team = await session.get(Team, team_id) if member else None
    if member is None or team is None:
        raise NotFound("That team does not exist, or you are not in it.")
    if RANK[TeamRole(member.role)] < RANK[minimum]:
        raise Forbidden(f"You need to be a team {minimum.value} or above to do that; you are a {member.role}.")
    return team, member


async def resolve_team(session: AsyncSession, user_id: uuid.UUID, ref: str) -> Team:
    """A team the caller belongs to, named by id or by (part of) its name."""
    team_id = as_uuid(ref)
    if team_id is not None:
        team, _ = await require_role(session, team_id, user_id)
        return team
    words = ref.strip().lower().removesuffix(" team").removeprefix("the ").strip()
    stmt = (
        select(Team)
        .join(TeamMembership, col(TeamMembership.team_id) == col(Team.id))
        .where(TeamMembership.user_id == user_id)
    )
    teams = list((await session.exec(stmt)).all())
    exact = [t for t in teams if t.name.lower() == words or t.name.lower().removesuffix(" team") == words]
    if len(exact) == 1:
        return exact[0]
    partial = [t for t in teams if words and words in t.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise NotFound(f"You are not in a team called {ref}.")
    names = ", ".join(t.name for t in partial)
    raise Invalid(f"Several of your teams match {ref}: {names}. Which one?")


async def create_team(session: AsyncSession, user_id: uuid.UUID, name: str, description: str | None = None) -> Team:
    name = name.strip()
    if not name:
        raise Invalid("A team needs a name.")
    team = Team(name=name, description=description, created_by=user_id)
    session.add(team)
    await session.flush()
    session.add(TeamMembership(team_id=team.id, user_id=user_id, role=TeamRole.owner.value))
    await session.flush()
    return team


async def list_teams(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Team, str, int]]:
    """The caller's teams with the caller's role and the member count."""
    counts = (
        select(TeamMembership.team_id, func.count().label("n")).group_by(col(TeamMembership.team_id)).subquery()
    )
    stmt = (
        select(Team, TeamMembership.role, counts.c.n)
        .join(TeamMembership, col(TeamMembership.team_id) == col(Team.id))
        .join(counts, counts.c.team_id == col(Team.id))
        .where(TeamMembership.user_id == user_id)
        .order_by(col(Team.name))
    )
    return [(team, role, int(n)) for team, role, n in (await session.exec(stmt)).all()]


async def list_members(
    session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID
) -> list[tuple[User, TeamMembership]]:
    await require_role(session, team_id, user_id)
    stmt = (
        select(User, TeamMembership)
        .join(TeamMembership, col(TeamMembership.user_id) == col(User.id))
        .where(TeamMembership.team_id == team_id)
        .order_by(col(TeamMembership.joined_at))
    )
    return [(u, m) for u, m in (await session.exec(stmt)).all()]


async def _owner_count(session: AsyncSession, team_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(TeamMembership.team_id == team_id, TeamMembership.role == TeamRole.owner.value)
    return int((await session.exec(stmt)).one())


async def add_member(
    session: AsyncSession, team_id: uuid.UUID, actor_id: uuid.UUID, target_id: uuid.UUID, role: TeamRole
) -> TeamMembership:
    _, actor = await require_role(session, team_id, actor_id, TeamRole.admin)
    if role is TeamRole.owner and actor.role != TeamRole.owner.value:
        raise Forbidden("Only an owner can add another owner.")
    target = await session.get(User, target_id)
    if target is None or not target.is_active:
        raise NotFound("That user does not exist.")
    if await membership(session, team_id, target_id) is not None:
        raise Conflict(f"{target.display_name} is already in the team.")
    member = TeamMembership(team_id=team_id, user_id=target_id, role=role.value)
    session.add(member)
    await session.flush()
    return member


async def _target_membership(
    session: AsyncSession, team_id: uuid.UUID, actor_id: uuid.UUID, target_id: uuid.UUID
) -> tuple[TeamMembership, TeamMembership]:
    _, actor = await require_role(session, team_id, actor_id)
    target = await membership(session, team_id, target_id)
    if target is None:
        raise NotFound("That person is not in the team.")
    return actor, target


async def remove_member(
    session: AsyncSession, team_id: uuid.UUID, actor_id: uuid.UUID, target_id: uuid.UUID
) -> None:
    actor, target = await _target_membership(session, team_id, actor_id, target_id)
    leaving = actor_id == target_id
    if not leaving:
        if RANK[TeamRole(actor.role)] < RANK[TeamRole.admin]:
            raise Forbidden("Only team admins and owners can remove members.")
        if target.role == TeamRole.owner.value and actor.role != TeamRole.owner.value:
            raise Forbidden("Admins cannot remove an owner.")
    if target.role == TeamRole.owner.value and await _owner_count(session, team_id) == 1:
        raise Conflict("A team needs at least one owner; make someone else owner first.")
    await session.delete(target)
    await session.flush()


async def change_role(
    session: AsyncSession, team_id: uuid.UUID, actor_id: uuid.UUID, target_id: uuid.UUID, role: TeamRole
) -> TeamMembership:
    actor, target = await _target_membership(session, team_id, actor_id, target_id)
    if actor.role == TeamRole.owner.value:
        pass
    elif actor.role == TeamRole.admin.value:
        if target.role == TeamRole.owner.value or role is TeamRole.owner:
            raise Forbidden("Admins cannot change an owner's role or make owners.")
    else:
        raise Forbidden("Only team admins and owners can change roles.")
    if target.role == TeamRole.owner.value and role is not TeamRole.owner and await _owner_count(session, team_id) == 1:
        raise Conflict("A team needs at least one owner; make someone else owner first.")
    target.role = role.value
    session.add(target)
    await session.flush()
    return target
