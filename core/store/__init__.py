"""The store: key/value with TTL, capped lists, counters and pub/sub, shared by every process.

In-process by default; Redis when REDIS_URL is set. Everything two processes must both see
(monitor events, the call-center queue, transfer context, PIN lockouts, rate limits) lives here.
"""

from core.store.base import Store, Subscription
from core.store.factory import create_store

__all__ = ["Store", "Subscription", "create_store"]
