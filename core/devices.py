"""Signed-in devices: each sign-in (a login or a registration) is one device session, kept in the
store until it ends (SESSION_MAX_DAYS) or the account holder ends it from another device. Its id
travels in the session's access and refresh tokens (`sid`), so ending one session stops its
tokens at once and leaves the account's other devices signed in."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from core.store import Store
from core.timeutil import utcnow

MAX_DEVICE_CHARS = 200


@dataclass(frozen=True)
class DeviceSession:
    id: str
    device: str
    created_at: datetime
    last_used_at: datetime


def _key(user_id: uuid.UUID | str, sid: str) -> str:
    return f"auth:session:{user_id}:{sid}"


def _dump(session: DeviceSession) -> str:
    return json.dumps({"device": session.device, "created_at": session.created_at.isoformat(),
                       "last_used_at": session.last_used_at.isoformat()})


def _load(sid: str, raw: str) -> DeviceSession:
    data = json.loads(raw)
    return DeviceSession(sid, str(data["device"]), datetime.fromisoformat(data["created_at"]),
                         datetime.fromisoformat(data["last_used_at"]))


async def start(store: Store, user_id: uuid.UUID, device: str | None, lifetime_s: float) -> str:
    """A new device session; its id."""
    sid = uuid.uuid4().hex
    now = utcnow()
    label = " ".join((device or "").split())[:MAX_DEVICE_CHARS] or "unknown device"
    await store.set(_key(user_id, sid), _dump(DeviceSession(sid, label, now, now)), ttl=lifetime_s)
    return sid


async def alive(store: Store, user_id: uuid.UUID, sid: str) -> bool:
    return await store.get(_key(user_id, sid)) is not None


async def touch(store: Store, user_id: uuid.UUID, sid: str, lifetime_s: float) -> bool:
    """Note that the session was used (a token refresh); False when it has ended."""
    raw = await store.get(_key(user_id, sid))
    if raw is None:
        return False
    session = _load(sid, raw)
    await store.set(_key(user_id, sid), _dump(DeviceSession(sid, session.device, session.created_at, utcnow())),
                    ttl=lifetime_s)
    return True


async def list_for(store: Store, user_id: uuid.UUID) -> list[DeviceSession]:
    """The account's live sessions, most recently used first."""
    prefix = _key(user_id, "")
    found = []
    for key in await store.keys(prefix):
        raw = await store.get(key)
        if raw is not None:
            found.append(_load(key.removeprefix(prefix), raw))
    return sorted(found, key=lambda s: s.last_used_at, reverse=True)


async def end(store: Store, user_id: uuid.UUID, sid: str) -> bool:
    """End one session; False when there was none of that id."""
    return await store.delete(_key(user_id, sid)) > 0


async def end_all(store: Store, user_id: uuid.UUID) -> None:
    keys = await store.keys(_key(user_id, ""))
    if keys:
        await store.delete(*keys)
