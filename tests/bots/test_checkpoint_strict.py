"""`LANGGRAPH_STRICT_MSGPACK=true` (LangGraph's strict msgpack: a checkpoint decodes only the types allowed) reaches
every checkpoint shard: compiling the graph allows its state's types on the serializer of each shard, and a type
the state does not name still comes back as its plain data. LangGraph reads the variable when it is imported,
so the graph runs in a process started with it (`python -m tests.bots.test_checkpoint_strict URL DATA_DIR`)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph

from bots.agent.checkpoint import CHECKPOINT_SHARDS, ShardedCheckpointer, open_checkpointer
from core.config import Settings

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Table:
    party: int


@dataclass
class Note:
    text: str


class State(TypedDict):
    table: Table
    note: Any  # the schema names no type here: a Note is not allowed


def _write(state: State) -> dict[str, Any]:
    return {"table": Table(state["table"].party + 2), "note": Note("window seat")}


async def read_back_on_every_shard(settings: Settings) -> list[list[str]]:
    """For a thread on each shard, the graph writes a Table and a Note; the types its state reads back as."""
    builder = StateGraph(State)
    builder.add_node("write", _write)
    builder.add_edge(START, "write")
    async with open_checkpointer(settings) as checkpointer:
        assert isinstance(checkpointer, ShardedCheckpointer)
        graph = builder.compile(checkpointer=checkpointer)
        run = uuid.uuid4().hex
        threads: dict[int, str] = {}
        for i in count():
            thread = f"strict-{run}-{i}"
            threads.setdefault(checkpointer.shards.index(checkpointer.shard(thread)), thread)
            if len(threads) == len(checkpointer.shards):
                break
        found = []
        for thread in threads.values():
            config: RunnableConfig = {"configurable": {"thread_id": thread}}
            await graph.ainvoke({"table": Table(2), "note": None}, config)
            values = (await graph.aget_state(config)).values
            found.append([type(values["table"]).__name__, type(values["note"]).__name__])
    return found


def test_the_graphs_types_are_allowed_on_every_shard_and_no_others(settings: Settings) -> None:
    env = {**os.environ, "LANGGRAPH_STRICT_MSGPACK": "true",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.bots.test_checkpoint_strict", settings.effective_database_url,
         str(settings.data_dir)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == [["Table", "dict"]] * CHECKPOINT_SHARDS


if __name__ == "__main__":
    url, data_dir = sys.argv[1:3]
    strict = Settings(environment="test", jwt_secret="s" * 40, data_dir=Path(data_dir), database_url=url,
                      _env_file=None)  # type: ignore[call-arg]
    print(json.dumps(asyncio.run(read_back_on_every_shard(strict))))
