"""Change notices from the REST door, sent after the request's transaction has committed.

The request's session commits when its dependency exits; dependencies exit in reverse order,
so `pending_changes` must be entered before the session. A router lists it in its own
`dependencies` (resolved before any parameter) and a handler that changes something takes
`changes: ChangesDep`, the same object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends

from api.deps import StoreDep
from core.events import Changes


async def pending_changes(store: StoreDep) -> AsyncIterator[Changes]:
    changes = Changes(store)
    yield changes
    # Reached only when the request succeeded and its session committed (a failure raises here).
    await changes.publish()


ChangesDep = Annotated[Changes, Depends(pending_changes)]
PUBLISH_AFTER_COMMIT = [Depends(pending_changes)]
