"""Due reminders, each claimed exactly once: however many schedulers (replicas) look at the same
database, only the one whose conditional UPDATE changes the row fires that reminder."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select, update

from core.db import SessionFactory, transaction
from domains.productivity.models import Reminder

REMINDER_DUE = "reminders:due"  # the store channel a fired reminder's notice goes out on
# A reminder fired more than this after its time is marked late (the server was down, or behind).
LATE_AFTER = timedelta(minutes=1)
BATCH = 100


@dataclass(frozen=True)
class DueReminder:
    """A reminder this scheduler claimed: it alone delivers it."""

    id: uuid.UUID
    user_id: uuid.UUID
    message: str
    remind_at: datetime
    importance: str
    late: bool
    by_call: bool = False  # the user asked to be called with it

    def notice(self) -> dict[str, Any]:
        """The change notice for the user's open pages (`core.events`)."""
        return {"user_id": str(self.user_id), "reminder_id": str(self.id), "message": self.message,
                "remind_at": self.remind_at.isoformat(), "importance": self.importance, "late": self.late}


async def claim_due(sessions: SessionFactory, now: datetime, *, limit: int = BATCH,
                    late_after: timedelta = LATE_AFTER) -> list[DueReminder]:
    """Claim up to `limit` reminders due at `now` that nobody has fired yet, soonest first."""
    async with sessions() as session:
        candidates = (await session.exec(
            select(Reminder.id, Reminder.remind_at)
            .where(col(Reminder.fired_at).is_(None), col(Reminder.is_done).is_(False),
                   col(Reminder.remind_at) <= now)
            .order_by(col(Reminder.remind_at)).limit(limit)
        )).all()
    claimed: list[DueReminder] = []
    for reminder_id, remind_at in candidates:
        late = now - remind_at > late_after
        async with transaction(sessions) as session:
            # The row may have been fired by another scheduler, or moved to a later time, since it was read.
            result = await session.exec(
                update(Reminder)
                .where(col(Reminder.id) == reminder_id, col(Reminder.fired_at).is_(None),
                       col(Reminder.is_done).is_(False), col(Reminder.remind_at) <= now)
                .values(fired_at=now, fired_late=late, is_done=True)
            )
            if result.rowcount != 1:
                continue
            row = await session.get(Reminder, reminder_id)
            assert row is not None  # claimed in this very transaction
            claimed.append(DueReminder(row.id, row.user_id, row.message, row.remind_at, row.importance, late,
                                       row.by_call))
    return claimed

