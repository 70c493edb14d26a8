"""The demo account `make run` creates: a user, a voice PIN, a team with a few todos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core import accounts
from core.runtime import Runtime
from core.timeutil import utcnow
from domains.productivity import teams, todos

DEMO_EMAIL = "admin@convonet.com"
DEMO_PASSWORD = "admin123"
DEMO_PIN = "1234"
DEMO_TEAM = "Demo Team"


@dataclass(frozen=True)
class SeedResult:
    email: str
    password: str
    pin: str
    team: str
    created: bool


async def seed_demo(runtime: Runtime) -> SeedResult:
    """Create the demo data once; running it again changes nothing."""
    async with runtime.sessions() as session, session.begin():
        existing = await accounts.get_user_by_email(session, DEMO_EMAIL)
        if existing is None:
            user = await accounts.register_user(
                session,
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                username="admin",
                first_name="Demo",
                last_name="Admin",
                voice_pin=DEMO_PIN,
            )
            user.is_verified = True
            user.is_staff = True  # the demo account works the dashboards too
            team = await teams.create_team(session, user.id, DEMO_TEAM, "Seeded by convonet seed.")
            now = utcnow()
            for title, priority, days in (
                ("Review the quarterly report", "high", 1),
                ("Call the plumber", "medium", 2),
                ("Plan the team offsite", "low", 14),
            ):
                await todos.create_todo(
                    session, user.id, title=title, priority=priority, due_date=now + timedelta(days=days), team_id=team.id
                )
            await todos.create_todo(session, user.id, title="Buy milk", priority="medium")
        return SeedResult(DEMO_EMAIL, DEMO_PASSWORD, DEMO_PIN, DEMO_TEAM, created=existing is None)
