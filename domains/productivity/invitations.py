"""Adding someone to a team by email is an invitation: it waits in the store (`INVITE_DAYS`) and the
invitee joins when they next look at their teams. The one who invites hears the same answer whether
or not an account has that email, so a team admin cannot use it to find out who uses Convonet; an
invitation to an email with no account yet works once its owner registers.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from core.accounts import normalize_email
from core.errors import Forbidden
from core.models import User
from core.store import Store
from domains.productivity.models import Team, TeamMembership, TeamRole
from domains.productivity.teams import membership, require_role

INVITE_DAYS = 14
_PREFIX = "team-invite:"


def _email_key(email: str) -> str:
    return _PREFIX + hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32] + ":"


async def invite(
    session: AsyncSession, store: Store, team_id: uuid.UUID, actor_id: uuid.UUID, email: str, role: TeamRole
) -> Team:
    """Invite `email` to the team as `role` (needs admin; only an owner invites an owner)."""
    team, actor = await require_role(session, team_id, actor_id, TeamRole.admin)
    if role is TeamRole.owner and actor.role != TeamRole.owner.value:
        raise Forbidden("Only an owner can add another owner.")
    pending = json.dumps({"role": role.value, "invited_by": str(actor_id)})
    await store.set(_email_key(email) + str(team_id), pending, ttl=INVITE_DAYS * 86400)
    return team


async def accept_pending(session: AsyncSession, store: Store, user: User) -> int:
    """Join the teams `user`'s email was invited to (still standing, not joined already); how many."""
    prefix = _email_key(user.email)
    keys = await store.keys(prefix)
    joined = 0
    for key in keys:
        raw = await store.get(key)
        try:
            team_id = uuid.UUID(key.removeprefix(prefix))
        except ValueError:
            continue
        if raw is None or await session.get(Team, team_id) is None or await membership(session, team_id, user.id):
            continue
        session.add(TeamMembership(team_id=team_id, user_id=user.id, role=str(json.loads(raw)["role"])))
        joined += 1
    if joined:
        await session.flush()
    if keys:
        await store.delete(*keys)
    return joined
