"""The processes of one deployment: which process carries which call, how to reach it, and who takes new calls.

Every process has an id (`node_id`, new in each forked worker) and, when it serves a shared store, an
address other processes can reach (its own internal port: `convonet serve` binds one per process).
It announces itself in the store every few seconds (`cluster:node:{id}`, with its load and whether
it takes new calls; the entry expires when the process dies) and claims the calls it holds
(`cluster:owner:{kind}:{key}` → its id). A request about a call that lands on another process is
forwarded to the owner's address (`api.forward`), so no load balancer needs sticky sessions.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass

from core.store import Store

NODE_KEY = "cluster:node:"
OWNER_KEY = "cluster:owner:"
HEARTBEAT_SECONDS = 2.0
NODE_TTL = 3 * HEARTBEAT_SECONDS + 1  # a process missing three heartbeats is gone
OWNER_TTL = 12 * 3600.0  # longer than any call; the claim is also dropped when the call ends


_ident = (os.getpid(), uuid.uuid4().hex[:12])


def node_id() -> str:
    """This process's id in the deployment (a forked worker gets its own)."""
    global _ident
    if _ident[0] != os.getpid():
        _ident = (os.getpid(), uuid.uuid4().hex[:12])
    return _ident[1]


@dataclass(frozen=True)
class NodeState:
    """A live process as it last announced itself."""

    id: str
    address: str
    accepting: bool
    load: float
    calls: int
    pid: int

    @classmethod
    def parse(cls, raw: str) -> NodeState:
        data = json.loads(raw)
        return cls(str(data["id"]), str(data["address"]), bool(data["accepting"]), float(data["load"]),
                   int(data["calls"]), int(data.get("pid", 0)))


class Cluster:
    """This process's view of the deployment, through the shared store."""

    def __init__(self, store: Store, address: str | None = None, node: str | None = None) -> None:
        self._store = store
        self._node = node
        self.address = address
        """Where other processes reach this one (`http://host:port`); None: not reachable (tests, one process)."""

    @property
    def id(self) -> str:
        """`node_id()`, unless the cluster was given another (tests play several processes in one)."""
        return self._node or node_id()

    async def announce(self, *, accepting: bool, load: float, calls: int) -> None:
        if self.address is None:
            return
        state = NodeState(self.id, self.address, accepting, round(load, 3), calls, os.getpid())
        await self._store.set(NODE_KEY + self.id, json.dumps(asdict(state)), ttl=NODE_TTL)

    async def leave(self) -> None:
        if self.address is not None:
            await self._store.delete(NODE_KEY + self.id)

    async def node(self, node: str) -> NodeState | None:
        raw = await self._store.get(NODE_KEY + node)
        return NodeState.parse(raw) if raw else None

    async def nodes(self) -> list[NodeState]:
        """Every live process (a scan: for admission when this one is full, not for every request)."""
        found = []
        for key in await self._store.keys(NODE_KEY):
            raw = await self._store.get(key)
            if raw:
                found.append(NodeState.parse(raw))
        return found

    async def accepting_peer(self) -> NodeState | None:
        """The least loaded other process that takes new calls, if any."""
        peers = [n for n in await self.nodes() if n.id != self.id and n.accepting]
        return min(peers, key=lambda n: (n.load, n.calls), default=None)

    async def claim(self, kind: str, key: str) -> None:
        """Record that this process holds the call `kind:key` (e.g. a browser peer's `pc_id`); nothing
        to record when no other process could reach this one."""
        if self.address is not None:
            await self._store.set(f"{OWNER_KEY}{kind}:{key}", self.id, ttl=OWNER_TTL)

    async def release(self, kind: str, key: str) -> None:
        owner_key = f"{OWNER_KEY}{kind}:{key}"
        if self.address is not None and await self._store.get(owner_key) == self.id:
            await self._store.delete(owner_key)

    async def owner(self, kind: str, key: str) -> str | None:
        return await self._store.get(f"{OWNER_KEY}{kind}:{key}")
