"""Change notices: a small message on the store when shared data changes, so live pages (the
team dashboard) refresh without polling, whichever door (phone, MCP, REST) made the change.

Publish only after the change has committed: a page that re-reads on the notice must see it.
A notice that cannot be sent is logged, never raised: the change itself is already saved.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.exceptions import RedisError

from core.logging import describe_error, report_exception
from core.store import Store

log = logging.getLogger(__name__)

async def publish_change(store: Store, kind: str, payload: dict[str, Any]) -> None:
    """Send `payload` on the `kind` channel (e.g. the productivity domain's `TODOS_CHANGED`)."""
    try:
        await store.publish(kind, json.dumps({"kind": kind, **payload}))
    except (RedisError, OSError) as exc:
        log.warning("could not publish %s: %s", kind, describe_error(exc))
        report_exception(exc)


class Changes:
    """Notices gathered while a transaction runs, sent by `publish` once it has committed."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[tuple[str, dict[str, Any]]] = []

    def add(self, kind: str, payload: dict[str, Any]) -> None:
        self._pending.append((kind, payload))

    async def publish(self) -> None:
        pending, self._pending = self._pending, []
        for kind, payload in pending:
            await publish_change(self._store, kind, payload)
