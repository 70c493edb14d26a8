"""The processes of a deployment in the store: who is alive, who takes calls, who holds which call."""

from __future__ import annotations

import asyncio
import os

from core.cluster import Cluster, node_id
from core.runtime import Runtime


async def test_processes_announce_themselves_and_claim_their_calls(runtime: Runtime) -> None:
    a = Cluster(runtime.store, "http://127.0.0.1:1001", node="a")
    b = Cluster(runtime.store, "http://127.0.0.1:1002", node="b")
    await a.announce(accepting=False, load=0.9, calls=8)
    await b.announce(accepting=True, load=0.2, calls=1)
    assert {n.id: n.address for n in await a.nodes()} == {"a": "http://127.0.0.1:1001", "b": "http://127.0.0.1:1002"}
    peer = await a.accepting_peer()
    assert peer is not None and peer.id == "b"
    assert await b.accepting_peer() is None  # a is full, and b does not count itself

    await a.claim("webrtc", "pc-1")
    assert await b.owner("webrtc", "pc-1") == "a"
    await b.release("webrtc", "pc-1")  # only the owner's release counts
    assert await b.owner("webrtc", "pc-1") == "a"
    await a.release("webrtc", "pc-1")
    assert await b.owner("webrtc", "pc-1") is None

    await b.leave()
    assert await a.node("b") is None and await a.accepting_peer() is None


async def test_a_process_no_other_can_reach_claims_nothing(runtime: Runtime) -> None:
    alone = Cluster(runtime.store)
    await alone.announce(accepting=True, load=0.0, calls=0)
    await alone.claim("webrtc", "pc-2")
    assert await alone.nodes() == [] and await alone.owner("webrtc", "pc-2") is None


async def test_a_forked_worker_has_its_own_id() -> None:
    read, write = os.pipe()
    parent = node_id()
    pid = os.fork()
    if pid == 0:
        os.write(write, node_id().encode())
        os._exit(0)
    os.close(write)
    await asyncio.to_thread(os.waitpid, pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert child and child != parent and node_id() == parent
